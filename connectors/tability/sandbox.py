"""A local Tability API v2 for tests and the demo: real HTTP, Tability's paths and shapes.

One workspace (by UUID or slug) with outcomes and their check-ins, generated from ``seed``:

- ``GET /v2/whoami``: the token's user;
- ``GET /v2/workspaces/:ws``: ``{id, slug, name, timezone}``;
- ``GET /v2/workspaces/:ws/outcomes/:outcome`` (UUID or Nano ID): the outcome with its
  ``current_checkin`` (the latest check-in, or null);
- ``GET …/outcomes/:outcome/checkins?page=N``: its check-ins, newest ``checkin_date`` first,
  ``per_page`` a page, with ``X-Per-Page``, ``X-Page``, ``X-Total`` and a ``Link`` header
  (``first``, ``last``, and ``prev``/``next`` where they exist);
- ``POST …/outcomes/:outcome/checkins`` with ``{"checkin": {score, checkin_date, body,
  confidence}}``: appends a check-in (never updates one) and answers it. Without a
  ``confidence`` the sandbox picks one from the outcome's progress (green from 70 %, yellow
  from 50 %), as Tability's check-ins guide describes.

Every call needs ``Authorization: API <token>``: else, or after :meth:`TabilitySandbox.revoke`,
401 ``{"error": …}``. An unknown workspace or outcome is 404 ``{"error": "Not found"}``, a bad
body 400. Faults (:class:`~syncd.testing.sandbox.Faults`, matched on the path, optionally the
method) answer before anything else: 429 with ``Retry-After``, 5xx as an HTML page, ``truncate``
and ``latency``. ``lose_answers`` makes the next writes land and then answers 502, as a proxy
that lost the answer would. ``received`` records every write request (with the status it got).

The wire shapes follow :mod:`connectors.tability.wire` (what is verified and what is assumed).
Run it in the foreground with ``python -m connectors.tability.sandbox --port 8716``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from syncd.testing.sandbox import Faults, LocalServer, ReplyingHandler

Json = Any
TOKEN = "sandbox-tability-token"
_NANO = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HTML_ERROR = "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
_OUTCOMES = (
    ("Grow monthly recurring revenue to CHF 250k", 180_000.0, 250_000.0, 23),
    ("Reduce first reply time to 2 hours", 6.0, 2.0, 3),
    ("Reach 40 enterprise customers", 12.0, 40.0, 0),
    ("Lift NPS to 50", 31.0, 50.0, 12),
)
"""Title, from, to and the number of weekly check-ins each seeded outcome has."""
_CHECKINS = re.compile(r"^/v2/workspaces/([^/]+)/outcomes/([^/]+)/checkins/?$")
_OUTCOME = re.compile(r"^/v2/workspaces/([^/]+)/outcomes/([^/]+)/?$")
_WORKSPACE = re.compile(r"^/v2/workspaces/([^/]+)/?$")


class ApiError(Exception):
    """An error answer: ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class StoredCheckin:
    """One check-in the sandbox holds."""

    id: str
    nano_slug: str
    outcome_id: str
    day: date
    score: float
    confidence: str
    body: str
    created_at: datetime
    is_remote: bool = False


@dataclass
class StoredOutcome:
    """One outcome (key result) and its check-ins, in the order they were made."""

    id: str
    nano_slug: str
    title: str
    start: float
    target: float
    checkins: list[StoredCheckin] = field(default_factory=list)


@dataclass(frozen=True)
class ReceivedWrite:
    """One write request the sandbox received, and the status it answered."""

    method: str
    path: str
    json: Json
    status: int


class TabilitySandbox(LocalServer):
    """The sandbox server; ``token`` is the Personal API token it accepts."""

    poll_interval = 0.05

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 20261201,
        token: str = TOKEN,
        workspace_slug: str = "helvetia",
        per_page: int = 10,
        today: date = date(2026, 11, 30),
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.per_page = per_page
        self.today = today
        self.faults = Faults(default_status=500)
        self.received: list[ReceivedWrite] = []
        self.lose_answers = 0
        """How many of the next writes land and are then answered 502."""
        self._revoked = False
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._clock = datetime(today.year, today.month, today.day, 8, tzinfo=UTC)
        self.workspace_id = self._uuid()
        self.workspace_slug = workspace_slug
        self.user = {
            "id": self._uuid(),
            "email": "okr.bot@helvetia.example",
            "firstname": "OKR",
            "lastname": "Bot",
            "name": "OKR Bot",
        }
        self.outcomes: list[StoredOutcome] = [
            self._seed_outcome(title, start, target, count)
            for title, start, target, count in _OUTCOMES
        ]

    # ---- seeded state ---------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _nano(self) -> str:
        return "".join(self._random.choice(_NANO) for _ in range(12))

    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def _seed_outcome(self, title: str, start: float, target: float, count: int) -> StoredOutcome:
        outcome = StoredOutcome(self._uuid(), self._nano(), title, start, target)
        for week in range(count, 0, -1):
            day = self.today - timedelta(days=7 * week)
            share = (count - week + 1) / (count + 1) * self._random.uniform(0.6, 1.0)
            score = round(start + (target - start) * share, 1)
            outcome.checkins.append(
                self._new_checkin(outcome, day, score, None, f"Weekly update {day}")
            )
        return outcome

    def _new_checkin(
        self, outcome: StoredOutcome, day: date, score: float, confidence: str | None, body: str
    ) -> StoredCheckin:
        return StoredCheckin(
            id=self._uuid(),
            nano_slug=self._nano(),
            outcome_id=outcome.id,
            day=day,
            score=score,
            confidence=confidence or _confidence(outcome, score),
            body=body,
            created_at=self._tick(),
        )

    # ---- what tests read and do -------------------------------------------------------------

    def outcome(self, ref: str) -> StoredOutcome | None:
        """The outcome with UUID or Nano ID ``ref``."""
        return next((o for o in self.outcomes if ref in (o.id, o.nano_slug)), None)

    def checkins_of(self, ref: str) -> list[tuple[date, float]]:
        """``(day, score)`` of each check-in of outcome ``ref``, oldest first (by day, then
        by when it was made)."""
        outcome = self.outcome(ref)
        if outcome is None:
            raise KeyError(ref)
        with self._lock:
            ordered = sorted(outcome.checkins, key=lambda c: (c.day, c.created_at))
            return [(checkin.day, checkin.score) for checkin in ordered]

    def revoke(self) -> None:
        """Reject the token from now on (401), as after it was revoked in Tability."""
        self._revoked = True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    # ---- the API ----------------------------------------------------------------------------

    def authorised(self, header: str | None) -> bool:
        return not self._revoked and header == f"API {self.token}"

    def _workspace(self, ref: str) -> None:
        if ref not in (self.workspace_id, self.workspace_slug):
            raise ApiError(404, "Not found")

    def _outcome(self, workspace: str, ref: str) -> StoredOutcome:
        self._workspace(workspace)
        outcome = self.outcome(ref)
        if outcome is None:
            raise ApiError(404, "Not found")
        return outcome

    def get(self, path: str, page_text: str | None) -> tuple[Json, dict[str, str]]:
        """A GET's body and its extra headers."""
        if path.rstrip("/") == "/v2/whoami":
            return dict(self.user), {}
        if match := _CHECKINS.match(path):
            outcome = self._outcome(*match.groups())
            return self._page(path, _newest_first(outcome.checkins), page_text)
        if match := _OUTCOME.match(path):
            outcome = self._outcome(*match.groups())
            return self._outcome_record(outcome), {}
        if match := _WORKSPACE.match(path):
            self._workspace(match.group(1))
            return {
                "id": self.workspace_id,
                "slug": self.workspace_slug,
                "name": "Helvetia Health",
                "timezone": "Europe/Zurich",
            }, {}
        raise ApiError(404, "Not found")

    def post(self, path: str, payload: Json) -> Json:
        match = _CHECKINS.match(path)
        if match is None:
            raise ApiError(404, "Not found")
        outcome = self._outcome(*match.groups())
        fields = payload.get("checkin") if isinstance(payload, dict) else None
        if not isinstance(fields, dict):
            raise ApiError(400, "param is missing or the value is empty: checkin")
        score = fields.get("score")
        if isinstance(score, str):
            try:
                score = float(score)
            except ValueError:
                score = None
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ApiError(400, "Score is not a number")
        try:
            day = date.fromisoformat(str(fields.get("checkin_date") or self.today.isoformat()))
        except ValueError:
            raise ApiError(400, "Checkin date is invalid") from None
        confidence = fields.get("confidence")
        if confidence is not None and confidence not in ("red", "yellow", "green"):
            raise ApiError(400, "Confidence is not included in the list")
        body = fields.get("body") or ""
        if not isinstance(body, str):
            raise ApiError(400, "Body is invalid")
        checkin = self._new_checkin(outcome, day, float(score), confidence, body)
        checkin.is_remote = True
        outcome.checkins.append(checkin)
        return _checkin_record(checkin, self.workspace_id)

    def _page(
        self, path: str, checkins: list[StoredCheckin], page_text: str | None
    ) -> tuple[Json, dict[str, str]]:
        try:
            page = max(1, int(page_text or "1"))
        except ValueError:
            raise ApiError(400, "page is not a number") from None
        total = len(checkins)
        last = max(1, -(-total // self.per_page))
        chunk = checkins[(page - 1) * self.per_page : page * self.per_page]
        links = {"first": 1, "last": last}
        if page > 1:
            links["prev"] = min(page - 1, last)
        if page < last:
            links["next"] = page + 1
        link = ", ".join(f'<{self.url}{path}?page={n}>; rel="{rel}"' for rel, n in links.items())
        headers = {
            "X-Per-Page": str(self.per_page),
            "X-Page": str(page),
            "X-Total": str(total),
            "Link": link,
        }
        return [_checkin_record(c, self.workspace_id) for c in chunk], headers

    def _outcome_record(self, outcome: StoredOutcome) -> Json:
        newest = _newest_first(outcome.checkins)
        return {
            "id": outcome.id,
            "workspace_id": self.workspace_id,
            "nano_slug": outcome.nano_slug,
            "title": outcome.title,
            "from": outcome.start,
            "to": outcome.target,
            "outcome_type": "improve_metric",
            "current_checkin": _checkin_record(newest[0], self.workspace_id) if newest else None,
        }

    def record(self, write: ReceivedWrite) -> None:
        with self._lock:
            self.received.append(write)

    def take_lost_answer(self) -> bool:
        with self._lock:
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return True
            return False


def _confidence(outcome: StoredOutcome, score: float) -> str:
    span = outcome.target - outcome.start
    progress = 0.0 if span == 0 else (score - outcome.start) / span
    return "green" if progress >= 0.7 else "yellow" if progress >= 0.5 else "red"


def _newest_first(checkins: list[StoredCheckin]) -> list[StoredCheckin]:
    return sorted(checkins, key=lambda c: (c.day, c.created_at), reverse=True)


def _timestamp(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _checkin_record(checkin: StoredCheckin, workspace_id: str) -> Json:
    return {
        "id": checkin.id,
        "workspace_id": workspace_id,
        "nano_slug": checkin.nano_slug,
        "outcome_id": checkin.outcome_id,
        "checkin_date": f"{checkin.day.isoformat()}T00:00:00.000Z",
        "score": checkin.score,
        "confidence": checkin.confidence,
        "body": checkin.body,
        "created_at": _timestamp(checkin.created_at),
        "updated_at": _timestamp(checkin.created_at),
        "is_remote": checkin.is_remote,
    }


class _Handler(ReplyingHandler):
    owner: TabilitySandbox
    protocol_version = "HTTP/1.1"
    server_version = "TabilitySandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: writes are recorded in ``sandbox.received``."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        sandbox = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path
        write = self.command != "GET"
        payload: Json = None
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode("utf-8", "replace")
        status, text, content_type, headers, truncate = self._answer(path, split.query, payload)
        if write:
            sandbox.record(ReceivedWrite(self.command, path, payload, status))
        self._send(status, text, content_type, headers, truncate=truncate)

    def _answer(
        self, path: str, query: str, payload: Json
    ) -> tuple[int, str, str, dict[str, str], bool]:
        sandbox = self.owner
        fault = sandbox.faults.take(path, self.command)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.status >= 500:
                status_text = f"{fault.status} {HTTPStatus(fault.status).phrase}"
                text = fault.body or _HTML_ERROR.format(status=status_text)
                return fault.status, text, "text/html", headers, False
            message = fault.message or HTTPStatus(fault.status).phrase
            text = fault.body or json.dumps({"error": message})
            return fault.status, text, "application/json", headers, False
        if not sandbox.authorised(self.headers.get("Authorization")):
            return 401, json.dumps({"error": "Unauthorized"}), "application/json", {}, False
        try:
            with sandbox._lock:
                if self.command == "GET":
                    page = parse_qs(query).get("page", [None])[-1]
                    body, headers = sandbox.get(path, page)
                elif self.command == "POST":
                    body, headers = sandbox.post(path, payload), {}
                else:
                    raise ApiError(404, "Not found")
        except ApiError as error:
            return error.status, json.dumps({"error": error.message}), "application/json", {}, False
        if self.command == "POST" and sandbox.take_lost_answer():
            text = _HTML_ERROR.format(status="502 Bad Gateway")
            return 502, text, "text/html", {}, False
        truncate = fault is not None and fault.truncate
        return 200, json.dumps(body), "application/json", headers, truncate


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a local Tability API v2 sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8716)
    parser.add_argument("--seed", type=int, default=20261201)
    options = parser.parse_args()
    sandbox = TabilitySandbox(host=options.host, port=options.port, seed=options.seed)
    sandbox.start()
    print(f"Tability sandbox on {sandbox.url}: workspace {sandbox.workspace_slug}, token {TOKEN}")
    for outcome in sandbox.outcomes:
        print(f"  outcome {outcome.nano_slug}  {outcome.title}")
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
