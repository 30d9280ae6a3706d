"""A local Quantive Results API for tests and the demo: real HTTP, the paths, headers and JSON
shapes the ``quantive`` sink uses (what of them is verified: :mod:`connectors.quantive`).

- ``GET /api/v1/metrics/{id}``: ``{id, name, actual, target, lastCheckInDate, …}``;
- ``POST /api/v1/metrics/{id}/checkin`` with ``{actual, checkInDate, comment, confidence?,
  customFields?}``: appends a check-in; ``actual`` and ``lastCheckInDate`` then show the
  check-in with the latest ``checkInDate`` (ties: the later one); answers the key result;
- ``GET /api/v1/accounts/{id}``: ``{id, name, domain}``.

Every path is served with and without the ``/results`` prefix of the current hosts. Requests
need ``Authorization: Bearer <token>`` and ``gtmhub-accountId: <account id>`` (401 otherwise,
and for every request after :meth:`QuantiveSandbox.revoke`); an unknown key result is 404, a
malformed check-in 400, each with an ``{"error", "message"}`` body. Key results come from
``seed``: their ids, names, targets and any earlier check-ins.

Faults are armed on a path part (``sandbox.faults.add("/checkin", status=429,
retry_after=1)``; ``method="GET"`` narrows them); ``.received`` records every write the API
accepted (method, path, JSON body), ``.requests`` every request.

Run it in the foreground with ``python -m connectors.quantive.sandbox --port 8717``.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from zoneinfo import ZoneInfo

from connectors.quantive import wire
from syncd.testing.sandbox import Faults, LocalServer, ReplyingHandler

Json = Any
PREFIX = "/results"
NAMES = (
    "Grow weekly active teams",
    "Cut median first reply time",
    "Raise net revenue retention",
    "Ship the self-serve onboarding",
    "Lift trial to paid conversion",
    "Reduce churned seats",
)


@dataclass(frozen=True)
class CheckIn:
    """One check-in as the sandbox holds it."""

    actual: float
    at: datetime
    comment: str
    confidence: float | None = None


@dataclass
class Metric:
    """One key result and its check-ins, oldest appended first."""

    id: str
    name: str
    target: float
    checkins: list[CheckIn] = field(default_factory=list)

    def latest(self) -> CheckIn | None:
        best: CheckIn | None = None
        for checkin in self.checkins:
            if best is None or checkin.at >= best.at:
                best = checkin
        return best

    def as_json(self) -> Json:
        latest = self.latest()
        return {
            wire.METRIC_ID: self.id,
            wire.METRIC_NAME: self.name,
            wire.METRIC_ACTUAL: latest.actual if latest else 0,
            wire.METRIC_TARGET: self.target,
            wire.METRIC_LAST_CHECKIN: _stamp(latest.at) if latest else None,
            "manualType": "numeric",
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sandbox received (credentials left out)."""

    method: str
    path: str
    json: Json = None


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _object_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


def generate(seed: int, count: int = 4) -> list[Metric]:
    """``count`` key results from ``seed``; every other one has an earlier check-in."""
    rng = random.Random(seed)
    metrics = []
    for index in range(count):
        metric = Metric(_object_id(rng), NAMES[index % len(NAMES)], float(rng.randrange(50, 500)))
        if index % 2 == 1:
            day = date(2026, 9, 1) + timedelta(days=rng.randrange(0, 20))
            at = datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)
            metric.checkins.append(CheckIn(float(rng.randrange(1, 40)), at, "by hand"))
        metrics.append(metric)
    return metrics


class QuantiveSandbox(LocalServer):
    """The sandbox server; ``token`` and ``account_id`` are the credentials it accepts."""

    poll_interval = 0.1

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 20261201,
        token: str = "sandbox-quantive-token",
        account_id: str = "5be26318e5274a0007f17f61",
        account_name: str = "Helvetia Health",
        metrics: int = 4,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.account_id = account_id
        self.account_name = account_name
        self.metrics = {metric.id: metric for metric in generate(seed, metrics)}
        self.faults = Faults(match="substring", default_status=500)
        self.received: list[RecordedRequest] = []
        """Writes the API accepted, in order."""
        self.requests: list[RecordedRequest] = []
        self.revoked = False
        self._lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    @property
    def metric_ids(self) -> list[str]:
        """The key results' ids, in the order they were generated."""
        return list(self.metrics)

    @property
    def api_url(self) -> str:
        """The ``url`` a sink's config names: the base URL with the ``/results`` prefix."""
        return self.url + PREFIX

    def revoke(self) -> None:
        """Reject the token from now on (401), as after it is revoked in Settings."""
        self.revoked = True

    def checkins(self, metric: str, zone: ZoneInfo = ZoneInfo("UTC")) -> list[tuple[date, float]]:
        """The check-ins of key result ``metric`` as (day in ``zone``, value), oldest first."""
        with self._lock:
            held = sorted(self.metrics[metric].checkins, key=lambda checkin: checkin.at)
        return [(checkin.at.astimezone(zone).date(), checkin.actual) for checkin in held]

    # ---- the API ----------------------------------------------------------------------------

    def authorised(self, authorization: str | None, account: str | None) -> bool:
        return (
            not self.revoked
            and authorization == f"Bearer {self.token}"
            and account == self.account_id
        )

    def answer(self, method: str, path: str, body: Json) -> Json:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            raise ApiError(404, f"no route {path}")
        rest = parts[2:]
        if method == "GET" and len(rest) == 2 and rest[0] == "metrics":
            return self._metric(rest[1]).as_json()
        if method == "POST" and len(rest) == 3 and rest[0] == "metrics" and rest[2] == "checkin":
            return self._checkin(rest[1], path, body)
        if method == "GET" and len(rest) == 2 and rest[0] == "accounts":
            if rest[1] != self.account_id:
                raise ApiError(403, "the token has no access to that account")
            return {"id": self.account_id, "name": self.account_name, "domain": "helvetia"}
        raise ApiError(404, f"no route {method} {path}")

    def _metric(self, metric: str) -> Metric:
        found = self.metrics.get(metric)
        if found is None:
            raise ApiError(404, f"metric with id {metric} not found")
        return found

    def _checkin(self, metric: str, path: str, body: Json) -> Json:
        found = self._metric(metric)
        if not isinstance(body, dict):
            raise ApiError(400, "the body is not a JSON object")
        actual = body.get(wire.CHECKIN_ACTUAL)
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            raise ApiError(400, "actual must be a number")
        raw_date = body.get(wire.CHECKIN_DATE)
        try:
            at = datetime.fromisoformat(str(raw_date))
        except ValueError:
            raise ApiError(400, f"checkInDate {raw_date!r} is not a timestamp") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        confidence = body.get("confidence")
        checkin = CheckIn(
            float(actual),
            at,
            str(body.get(wire.CHECKIN_COMMENT) or ""),
            float(confidence) if isinstance(confidence, int | float) else None,
        )
        with self._lock:
            found.checkins.append(checkin)
            self.received.append(RecordedRequest("POST", path, body))
        return found.as_json()

    def log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


_HTML_ERROR = "<!DOCTYPE html><html><head><title>{0}</title></head><body>{0}</body></html>"


class _Handler(ReplyingHandler):
    owner: QuantiveSandbox
    protocol_version = "HTTP/1.1"
    server_version = "QuantiveSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        self._serve(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._json(400, {"error": "Bad Request", "message": "the body is not JSON"})
            return
        self._serve(body)

    def _serve(self, body: Json) -> None:
        sandbox = self.owner
        path = self.path.split("?", 1)[0]
        if path.startswith(PREFIX + "/"):
            path = path[len(PREFIX) :]
        sandbox.log(RecordedRequest(self.command, path, body))
        fault = sandbox.faults.take(path, self.command)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            if fault.status >= 500 and fault.body is None and fault.message is None:
                phrase = f"{fault.status} {HTTPStatus(fault.status).phrase}"
                self._send(fault.status, _HTML_ERROR.format(phrase), "text/html", headers)
                return
            message = fault.message or HTTPStatus(fault.status).phrase
            payload = fault.body or {"error": HTTPStatus(fault.status).phrase, "message": message}
            self._json(fault.status, payload, headers)
            return
        if not sandbox.authorised(
            self.headers.get("Authorization"), self.headers.get(wire.ACCOUNT_HEADER)
        ):
            self._json(401, {"error": "Unauthorized", "message": "invalid token or account"})
            return
        try:
            answer = sandbox.answer(self.command, path, body)
        except ApiError as error:
            phrase = HTTPStatus(error.status).phrase
            self._json(error.status, {"error": phrase, "message": error.message})
            return
        self._json(200, answer, truncate=fault is not None and fault.truncate)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Quantive Results API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8717)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    sandbox = QuantiveSandbox(host=args.host, port=args.port, seed=args.seed)
    sandbox.start()
    print(
        f"Quantive sandbox on {sandbox.api_url} (token {sandbox.token}, "
        f"account {sandbox.account_id}); key results: {', '.join(sandbox.metric_ids)}",
        flush=True,
    )
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
