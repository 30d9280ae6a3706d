"""A local Weekdone for tests and demos: real HTTP, Weekdone's OAuth and key-result endpoints.

One server stands in for both hosts (point a sink's ``url`` and ``auth_url`` at it):

- ``GET /oauth_authorize`` (``client_id``, ``redirect_uri``, ``response_type=code``, ``state``):
  approves at once and redirects to ``redirect_uri?code=…&state=…``; a wrong client id or
  redirect URI gets a plain-text 400, as Weekdone documents;
- ``POST /oauth_token`` (form): ``grant_type=authorization_code`` (``code``, ``redirect_uri``)
  or ``refresh_token`` (``refresh_token``), with ``client_id``/``client_secret``; answers
  ``{"access_token", "token_type", "expires_in", "refresh_token", "user"}``, or 400
  ``{"error": "invalid_grant"}`` / 401 ``{"error": "invalid_client"}``;
- ``GET /1/objective?token=…``: ``{"status": "ok", "data": [{id, type, description, period,
  progress, results: [{id, description, progress}]}]}``;
- ``PATCH /1/objective/{id}/result/{id}?token=…`` (form ``progress``, ``description``): sets
  the key result, ``{"status": "ok", "data": result}``; 404 for unknown ids, 400 for a progress
  that is not a number.

Errors are ``{"status": "error", "error": …}``; a missing, unknown, expired or revoked token gets
401. Objectives and key results come from ``seed``. Faults are armed by path substring
(``sandbox.faults.add("/result/", status=429, retry_after=1, method="PATCH")``; status 200
with a ``body`` answers that body with HTTP 200, ``truncate`` cuts the body, ``latency`` delays
it). ``received`` records every write that landed;
``revoke()`` invalidates every token; ``expire_access_tokens()`` ages the access tokens out.

Run it in the foreground with ``python -m connectors.weekdone.sandbox --port 8717``.
"""

from __future__ import annotations

import argparse
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from syncd.testing.sandbox import Faults, LocalServer, ReplyingHandler

Json = Any

CLIENT_ID = "sandbox-weekdone-client"
CLIENT_SECRET = "sandbox-weekdone-client-secret"
REDIRECT_URI = "http://127.0.0.1:8718/weekdone/callback"

_OBJECTIVE_TEXTS = (
    "Make onboarding effortless",
    "Grow recurring revenue",
    "Keep customers happy",
    "Ship a reliable platform",
)
_RESULT_TEXTS = (
    "Weekly active teams",
    "Monthly recurring revenue (CHF)",
    "Net promoter score",
    "Median first reply (minutes)",
    "Trial to paid conversion (%)",
    "Uptime (%)",
)


@dataclass
class KeyResult:
    """One key result: its text and current progress, and the day it was last written."""

    id: int
    description: str
    progress: float
    updated: date


@dataclass
class Objective:
    id: int
    type: str
    description: str
    period: str
    results: dict[int, KeyResult] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedWrite:
    """A write that landed (the token left out)."""

    method: str
    path: str
    form: dict[str, str]


def seeded_objectives(seed: int, day: date) -> dict[int, Objective]:
    """Three objectives of two to four key results each, the same for the same seed."""
    rng = random.Random(seed)
    objectives: dict[int, Objective] = {}
    next_result = rng.randint(20_000, 29_000)
    for index, objective_id in enumerate(sorted(rng.sample(range(1_000, 9_999), 3))):
        objective = Objective(
            id=objective_id,
            type=("company", "team", "user")[index],
            description=_OBJECTIVE_TEXTS[index],
            period="2026Q4",
        )
        for _ in range(rng.randint(2, 4)):
            next_result += rng.randint(1, 9)
            objective.results[next_result] = KeyResult(
                id=next_result,
                description=rng.choice(_RESULT_TEXTS),
                progress=float(rng.randint(0, 100)),
                updated=day,
            )
        objectives[objective_id] = objective
    return objectives


class ApiError(Exception):
    """An error answer: its HTTP status and body."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def _api_error(status: int, words: str) -> ApiError:
    return ApiError(status, {"status": "error", "error": words})


def _oauth_error(status: int, code: str, words: str) -> ApiError:
    return ApiError(status, {"error": code, "error_description": words})


class WeekdoneSandbox(LocalServer):
    """The sandbox server. ``clock`` ages access tokens (``token_lifetime`` seconds);
    ``today`` is the day a write is recorded on; ``rotate_refresh_tokens`` answers each refresh
    with a new refresh token (the old one then stops working)."""

    thread_name = "weekdone-sandbox"
    poll_interval = 0.05

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 20261201,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        redirect_uri: str = REDIRECT_URI,
        token_lifetime: float = 3600.0,
        rotate_refresh_tokens: bool = False,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.token_lifetime = token_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.clock = clock
        self.today = today
        self.objectives = seeded_objectives(seed, date(2026, 10, 1))
        self.faults = Faults(default_status=500)
        self.received: list[RecordedWrite] = []
        self.token_requests: list[dict[str, str]] = []
        """Every form posted to the token endpoint, secrets included (tests only)."""
        self._access: dict[str, float] = {}
        self._refresh: set[str] = set()
        self._codes: dict[str, str] = {}
        self._minted = 0
        self._lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    # ---- tokens -----------------------------------------------------------------------------

    def _mint(self, kind: str) -> str:
        self._minted += 1
        return f"wdsbx-{kind}-{self.seed}-{self._minted:06d}"

    def issue_tokens(self) -> tuple[str, str]:
        """An access and a refresh token, as the one-time authorization would give."""
        with self._lock:
            access, refresh = self._mint("access"), self._mint("refresh")
            self._access[access] = self.clock() + self.token_lifetime
            self._refresh.add(refresh)
        return access, refresh

    def issue_code(self, redirect_uri: str | None = None) -> str:
        """An authorization code, as the user's approval in the browser gives."""
        with self._lock:
            code = self._mint("code")
            self._codes[code] = redirect_uri or self.redirect_uri
        return code

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on (refresh tokens stay)."""
        with self._lock:
            self._access = dict.fromkeys(self._access, -math.inf)

    def revoke(self) -> None:
        """The app's access is revoked: every access and refresh token is refused from now on."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()

    def token_valid(self, token: str | None) -> bool:
        with self._lock:
            expires = self._access.get(token or "")
            return expires is not None and self.clock() < expires

    def authorize(self, params: dict[str, str]) -> str:
        """The redirect URL answering ``GET /oauth_authorize`` (approved at once)."""
        if (
            params.get("client_id") != self.client_id
            or params.get("redirect_uri") != self.redirect_uri
        ):
            raise ApiError(400, "Invalid client_id or redirect_uri")
        answer: dict[str, str] = {}
        if params.get("response_type") != "code":
            answer["error"] = "unsupported_response_type"
        else:
            answer["code"] = self.issue_code(params["redirect_uri"])
        if "state" in params:
            answer["state"] = params["state"]
        return f"{self.redirect_uri}?{urlencode(answer)}"

    def token(self, form: dict[str, str]) -> Json:
        """The answer of ``POST /oauth_token``."""
        self.token_requests.append(dict(form))
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                redirect = self._codes.pop(form.get("code", ""), None)
                if redirect is None or redirect != form.get("redirect_uri"):
                    raise _oauth_error(400, "invalid_grant", "Authorization code is invalid")
                refresh = self._mint("refresh")
                self._refresh.add(refresh)
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self._refresh:
                    raise _oauth_error(400, "invalid_grant", "Refresh token is invalid")
                if self.rotate_refresh_tokens:
                    self._refresh.discard(refresh)
                    refresh = self._mint("refresh")
                    self._refresh.add(refresh)
            else:
                raise _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
            access = self._mint("access")
            self._access[access] = self.clock() + self.token_lifetime
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.token_lifetime),
            "refresh_token": refresh,
            "user": {"id": 1, "name": "Sandbox Admin"},
        }

    # ---- the API ----------------------------------------------------------------------------

    def listing(self) -> Json:
        with self._lock:
            data = [
                {
                    "id": objective.id,
                    "type": objective.type,
                    "description": objective.description,
                    "period": objective.period,
                    "progress": _mean([r.progress for r in objective.results.values()]),
                    "results": [_result_json(r) for r in objective.results.values()],
                }
                for objective in self.objectives.values()
            ]
        return {"status": "ok", "data": data}

    def set_result(
        self, path: str, objective_id: int, result_id: int, form: dict[str, str]
    ) -> Json:
        with self._lock:
            objective = self.objectives.get(objective_id)
            if objective is None:
                raise _api_error(404, "Objective not found")
            result = objective.results.get(result_id)
            if result is None:
                raise _api_error(404, "Key result not found")
            if "progress" in form:
                try:
                    progress = float(form["progress"])
                except ValueError:
                    progress = math.nan
                if not math.isfinite(progress):
                    raise _api_error(400, "progress must be a number")
                result.progress = progress
                result.updated = self.today()
            if form.get("description"):
                result.description = form["description"]
            self.received.append(RecordedWrite("PATCH", path, dict(form)))
            return {"status": "ok", "data": _result_json(result)}

    def key_result(self, objective_id: int, result_id: int) -> KeyResult:
        """The stored key result (tests read the tool's state here, not through the sink)."""
        with self._lock:
            return self.objectives[objective_id].results[result_id]


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def _result_json(result: KeyResult) -> Json:
    progress = int(result.progress) if result.progress.is_integer() else result.progress
    return {"id": result.id, "description": result.description, "progress": progress}


def _result_ids(path: str) -> tuple[int, int] | None:
    parts = path.strip("/").split("/")
    shaped = len(parts) == 5 and parts[:2] == ["1", "objective"] and parts[3] == "result"
    if shaped and parts[2].isdigit() and parts[4].isdigit():
        return int(parts[2]), int(parts[4])
    return None


class _Handler(ReplyingHandler):
    owner: WeekdoneSandbox
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _serve(self) -> None:
        sandbox = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        fault = sandbox.faults.take(split.path, self.command)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            payload = (
                fault.body
                if fault.body is not None
                else {
                    "status": "error",
                    "error": fault.message or HTTPStatus(fault.status).phrase,
                }
            )
            self._json(fault.status, payload, headers)
            return
        if fault is not None and fault.status == 200 and fault.body is not None:
            self._json(200, fault.body)  # an error Weekdone answers with HTTP 200
            return
        truncate = fault is not None and fault.truncate
        try:
            if split.path == "/oauth_authorize" and self.command == "GET":
                self._redirect(sandbox.authorize(query))
                return
            if split.path == "/oauth_token" and self.command == "POST":
                self._json(200, sandbox.token(form), truncate=truncate)
                return
            answer = self._api(split.path, query, form)
        except ApiError as error:
            if isinstance(error.body, str):
                self._send(error.status, error.body, "text/plain")
            else:
                self._json(error.status, error.body)
            return
        self._json(200, answer, truncate=truncate)

    def _api(self, path: str, query: dict[str, str], form: dict[str, str]) -> Json:
        sandbox = self.owner
        if not sandbox.token_valid(query.get("token")):
            raise _api_error(401, "Invalid or expired access token")
        if path == "/1/objective" and self.command == "GET":
            return sandbox.listing()
        ids = _result_ids(path)
        if ids is not None and self.command == "PATCH":
            return sandbox.set_result(path, *ids, form)
        raise _api_error(404, "Not found")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Weekdone API and OAuth sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8717)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    sandbox = WeekdoneSandbox(host=args.host, port=args.port, seed=args.seed)
    url = sandbox.start()
    _, refresh = sandbox.issue_tokens()
    print(
        f"Weekdone sandbox on {url}: client_id {sandbox.client_id}, client_secret "
        f"{sandbox.client_secret}, refresh_token {refresh}",
        flush=True,
    )
    for objective in sandbox.objectives.values():
        for result in objective.results.values():
            print(f"  objective {objective.id} result {result.id}: {result.description}")
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
