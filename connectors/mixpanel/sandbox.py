"""A local Mixpanel Query API for tests and the demo: real HTTP, Mixpanel's wire shapes.

Endpoints (GET, under ``/api/query``), shapes as in Mixpanel's OpenAPI file of the Query API:

- ``segmentation``: ``event``, ``from_date``/``to_date`` (inclusive, project zone), ``type``
  general or unique, ``unit=day`` or ``interval`` (days per bucket, keyed by its first day),
  ``where``; answers ``{"data": {"series": [dates], "values": {event: {date: n}}},
  "legend_size": 1}``.
- ``segmentation/sum``: ``on=properties["name"]`` (non-numeric values count 0.0), answers
  ``{"status": "ok", "computed_at": …, "results": {date: sum}}``.
- ``insights``: ``bookmark_id`` of a saved report (:data:`~connectors.mixpanel.data.BOOKMARKS`),
  answers ``{computed_at, date_range: {from_date, to_date}, headers, series: {name: {day: n}}}``
  with days as local-midnight ISO times over the report's own range.
- ``events/names``: the most common event names of the last 31 days (a JSON list).

``where`` understands ``properties["name"] == "value"`` only (else 400). Every request needs
``project_id`` and service-account Basic auth (base64 or, as Mixpanel also accepts, plain
``user:secret``); errors answer ``{"request": path, "error": words}``. The project's limits are
enforced: at most ``queries_per_hour`` accepted queries in any ``rate_window`` seconds and
``concurrency`` queries in flight, else 429 (no ``Retry-After``, as Mixpanel documents none);
``latency`` is each query's own duration. ``rate_limited`` counts the 429s sent.

Faults are armed per exact path: ``sandbox.faults.add("/api/query/segmentation", status=500)``;
``status=200`` with a str ``body`` sends that body as HTML, ``truncate=True`` cuts the body.
``raw_values`` holds value texts ("1e400", "NaN"…) the next data answers send as their only
day's value. ``sandbox.requests`` logs every request.

Run it in the foreground with ``python -m connectors.mixpanel.sandbox --port 8706``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from connectors.mixpanel import wire
from connectors.mixpanel.data import BOOKMARKS, Event, generate
from syncd.testing.sandbox import Faults as BaseFaults
from syncd.testing.sandbox import LocalServer

Json = Any
_WHERE = re.compile(r'^\s*properties\["([^"\\]+)"\]\s*==\s*"([^"\\]*)"\s*$')
_ON = re.compile(r'^\s*properties\["([^"\\]+)"\]\s*$')
_RAW = "@@raw@@"
_RAW_TOKEN = re.compile(r'"@@raw@@([^"]*)"')


class SandboxError(Exception):
    """An answer other than 200: its status and Mixpanel's words."""

    def __init__(self, status: int, words: str) -> None:
        super().__init__(words)
        self.status = status
        self.words = words


@dataclass
class RecordedRequest:
    """One request the sandbox received."""

    path: str
    params: dict[str, str]
    authorization: str | None


class Faults(BaseFaults):
    """Armed faults for exact paths (status 500 unless given)."""

    def __init__(self) -> None:
        super().__init__(match="exact", default_status=500)


class _EventIndex:
    """One event's occurrences in time order, with each one's local day in the project zone."""

    def __init__(self, events: list[Event], zone: ZoneInfo) -> None:
        self.events = events
        self.days = [e.time.astimezone(zone).date().toordinal() for e in events]
        self.times = [e.time for e in events]

    def between(self, first: date, last: date, now: datetime) -> list[Event]:
        """Occurrences on ``first`` … ``last`` (local days) that happened by ``now``."""
        low = bisect_left(self.days, first.toordinal())
        high = bisect_right(self.days, last.toordinal())
        high = min(high, bisect_right(self.times, now, lo=low))
        return self.events[low:high]


class MixpanelSandbox(LocalServer):
    """The sandbox server. ``now`` fixes its clock (default: the real time); ``timezone`` is the
    project's; ``username``/``secret`` the service account it accepts for ``project_id``."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        project_id: int = 2195193,
        username: str = "syncd.sandbox.mp-service-account",
        secret: str = "sandbox-secret",
        timezone: str = "Europe/Zurich",
        queries_per_hour: int = 60,
        concurrency: int = 5,
        rate_window: float = 3600.0,
        latency: float = 0.0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.fixed_now = now
        self.project_id = project_id
        self.username = username
        self.secret = secret
        self.zone = ZoneInfo(timezone)
        self.queries_per_hour = queries_per_hour
        self.concurrency = concurrency
        self.rate_window = rate_window
        self.latency = latency
        self.events = generate(seed)
        by_name: dict[str, list[Event]] = defaultdict(list)
        for event in self.events:
            by_name[event.name].append(event)
        self.index = {name: _EventIndex(events, self.zone) for name, events in by_name.items()}
        self.faults = Faults()
        self.raw_values: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._accepted: deque[float] = deque()
        self._in_flight = 0

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    def now(self) -> datetime:
        """The sandbox's clock."""
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # ---- gatekeeping ------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        expected = f"{self.username}:{self.secret}"
        if credentials == expected:  # Mixpanel accepts plain text too
            return True
        try:
            return base64.b64decode(credentials, validate=True).decode() == expected
        except (binascii.Error, UnicodeDecodeError):
            return False

    def admit(self) -> str | None:
        """Take a query slot: None, or why the project's limits refuse it."""
        with self._lock:
            now = time.monotonic()
            while self._accepted and now - self._accepted[0] >= self.rate_window:
                self._accepted.popleft()
            if self._in_flight >= self.concurrency:
                self.rate_limited += 1
                return f"Too many concurrent queries: at most {self.concurrency} at once"
            if len(self._accepted) >= self.queries_per_hour:
                self.rate_limited += 1
                return (
                    f"Query rate limit exceeded: at most {self.queries_per_hour} queries per hour"
                )
            self._accepted.append(now)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return None

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # ---- endpoints --------------------------------------------------------------------------

    def route(self, path: str, params: dict[str, str]) -> Json:
        """The answer to a query, or a :class:`SandboxError`."""
        project = params.get(wire.PROJECT_ID)
        if project is None:
            raise SandboxError(
                400, "project_id is required when authenticating with a service account"
            )
        if project != str(self.project_id):
            raise SandboxError(403, f"service account has no access to project {project}")
        handlers = {
            wire.SEGMENTATION: self._segmentation,
            wire.SEGMENTATION_SUM: self._sum,
            wire.INSIGHTS: self._insights,
            wire.EVENT_NAMES: self._names,
        }
        handler = handlers.get(path)
        if handler is None:
            raise SandboxError(404, f"unknown endpoint {path}")
        return handler(params)

    def _days(self, params: dict[str, str]) -> tuple[date, date]:
        try:
            first = date.fromisoformat(params[wire.FROM_DATE])
            last = date.fromisoformat(params[wire.TO_DATE])
        except KeyError as missing:
            raise SandboxError(400, f"{missing.args[0]} is a required parameter") from None
        except ValueError:
            raise SandboxError(400, "from_date and to_date must be yyyy-mm-dd") from None
        if last < first:
            raise SandboxError(400, "to_date must not be before from_date")
        return first, last

    def _matching(self, params: dict[str, str], first: date, last: date) -> list[Event]:
        event = params.get(wire.EVENT)
        if not event:
            raise SandboxError(400, "event is a required parameter")
        index = self.index.get(event)
        found = index.between(first, last, self.now()) if index else []
        where = params.get(wire.WHERE)
        if where:
            match = _WHERE.match(where)
            if match is None:
                raise SandboxError(400, f"the sandbox cannot evaluate where={where!r}")
            name, value = match.groups()
            found = [e for e in found if str(e.properties.get(name)) == value]
        return found

    def _local_day(self, event: Event) -> date:
        return event.time.astimezone(self.zone).date()

    def _segmentation(self, params: dict[str, str]) -> Json:
        first, last = self._days(params)
        kind = params.get(wire.TYPE, wire.GENERAL)
        if kind not in (wire.GENERAL, wire.UNIQUE):
            raise SandboxError(400, f"the sandbox serves type general or unique, not {kind!r}")
        if wire.INTERVAL in params:
            if kind == wire.GENERAL:
                raise SandboxError(400, "interval replaces unit only when type is not general")
            try:
                width = int(params[wire.INTERVAL])
            except ValueError:
                raise SandboxError(400, "interval must be a whole number of days") from None
            if width < 1:
                raise SandboxError(400, "interval must be at least 1")
        elif params.get(wire.UNIT, wire.DAY) == wire.DAY:
            width = 1
        else:
            raise SandboxError(400, f"the sandbox serves unit=day, not {params[wire.UNIT]!r}")
        events = self._matching(params, first, last)
        buckets: dict[date, list[Event]] = {}
        start = first
        while start <= last:
            buckets[start] = []
            start += timedelta(days=width)
        for event in events:
            offset = (self._local_day(event) - first).days // width
            buckets[first + timedelta(days=offset * width)].append(event)
        values: dict[str, object] = {
            day.isoformat(): len({e.distinct_id for e in found})
            if kind == wire.UNIQUE
            else len(found)
            for day, found in buckets.items()
        }
        values = self._raw_override(values, first)
        return {
            wire.DATA: {
                wire.SERIES: [day.isoformat() for day in buckets],
                wire.VALUES: {params[wire.EVENT]: values},
            },
            "legend_size": 1,
        }

    def _sum(self, params: dict[str, str]) -> Json:
        first, last = self._days(params)
        on = _ON.match(params.get(wire.ON, ""))
        if on is None:
            raise SandboxError(400, 'on must be a property expression such as properties["amount"]')
        if params.get(wire.UNIT, wire.DAY) != wire.DAY:
            raise SandboxError(400, f"the sandbox serves unit=day, not {params[wire.UNIT]!r}")
        sums: dict[date, float] = {
            first + timedelta(days=n): 0.0 for n in range((last - first).days + 1)
        }
        for event in self._matching(params, first, last):
            value = event.properties.get(on.group(1))
            sums[self._local_day(event)] += value if isinstance(value, float) else 0.0
        results = self._raw_override({day.isoformat(): s for day, s in sums.items()}, first)
        return {"status": "ok", "computed_at": self.now().isoformat(), wire.RESULTS: results}

    def _insights(self, params: dict[str, str]) -> Json:
        try:
            bookmark = BOOKMARKS[int(params.get(wire.BOOKMARK_ID, ""))]
        except (ValueError, KeyError):
            raise SandboxError(
                400, f"no report with bookmark_id {params.get(wire.BOOKMARK_ID)!r}"
            ) from None
        today = self.now().astimezone(self.zone).date()
        first = today - timedelta(days=bookmark.days - 1)

        def midnight(day: date) -> str:
            return datetime(day.year, day.month, day.day, tzinfo=self.zone).isoformat()

        series: dict[str, dict[str, object]] = {}
        for name in bookmark.events:
            counts = Counter(
                self._local_day(e) for e in self._matching({wire.EVENT: name}, first, today)
            )
            days: dict[str, object] = {
                midnight(first + timedelta(days=n)): counts[first + timedelta(days=n)]
                for n in range(bookmark.days)
            }
            series[name] = self._raw_override(days, first, midnight(first))
        end = datetime(today.year, today.month, today.day, 23, 59, 59, 999000, tzinfo=self.zone)
        return {
            "computed_at": self.now().isoformat(),
            wire.DATE_RANGE: {"from_date": midnight(first), "to_date": end.isoformat()},
            "headers": ["$event"],
            wire.SERIES: series,
        }

    def _names(self, params: dict[str, str]) -> Json:
        now = self.now()
        recent = Counter(e.name for e in self.events if now - timedelta(days=31) <= e.time <= now)
        try:
            limit = int(params.get(wire.LIMIT, "255"))
        except ValueError:
            raise SandboxError(400, "limit must be a whole number") from None
        return [name for name, _ in recent.most_common(limit)]

    def _raw_override(
        self, values: dict[str, object], first: date, key: str | None = None
    ) -> dict[str, object]:
        """``values``, or the next armed raw value text as the only day's value."""
        with self._lock:
            if not self.raw_values:
                return values
            raw = self.raw_values.pop(0)
        return {key or first.isoformat(): _RAW + raw}


def _encode(payload: Json) -> bytes:
    """JSON, with an armed raw value spliced in as a bare token (``1e400``, ``NaN``, ``-5``)."""
    return _RAW_TOKEN.sub(lambda m: _json_token(m.group(1)), json.dumps(payload)).encode()


def _json_token(raw: str) -> str:
    """``raw`` as a JSON value token: numbers and NaN/Infinity bare, anything else a string."""
    try:
        float(raw)
    except ValueError:
        return json.dumps(raw)
    return raw


class _Handler(BaseHTTPRequestHandler):
    owner: MixpanelSandbox
    protocol_version = "HTTP/1.1"
    server_version = "MixpanelSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        params = {key: values[-1] for key, values in parse_qs(split.query).items()}
        authorization = self.headers.get("Authorization")
        with sandbox._lock:
            sandbox.requests.append(RecordedRequest(split.path, params, authorization))
        where = split.path + (f"?{split.query}" if split.query else "")
        fault = sandbox.faults.take(split.path, "GET")
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status == 200 and isinstance(fault.body, str):
            self._send(200, fault.body.encode(), content_type="text/html")
            return
        if fault is not None and fault.status not in (None, 200):
            words = fault.message or HTTPStatus(fault.status).phrase
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            self._error(fault.status, where, words, headers)
            return
        if not sandbox.authorized(authorization):
            self._error(
                401, where, "Unable to authenticate request: invalid service account credentials"
            )
            return
        refused = sandbox.admit()
        if refused is not None:
            self._error(429, where, refused)
            return
        try:
            if sandbox.latency:
                time.sleep(sandbox.latency)
            payload = sandbox.route(split.path, params)
        except SandboxError as error:
            self._error(error.status, where, error.words)
            return
        finally:
            sandbox.release()
        self._send(200, _encode(payload), truncate=fault is not None and fault.truncate)

    def _error(
        self, status: int, where: str, words: str, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps({"request": where, "error": words}).encode()
        self._send(status, body, headers=headers)

    def _send(
        self,
        status: int,
        data: bytes,
        *,
        headers: dict[str, str] | None = None,
        truncate: bool = False,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Mixpanel Query API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8706)
    parser.add_argument("--seed", type=int, default=20261001)
    args = parser.parse_args(argv)
    sandbox = MixpanelSandbox(seed=args.seed, host=args.host, port=args.port)
    url = sandbox.start()
    print(
        f"Mixpanel sandbox on {url} (project {sandbox.project_id}, service account "
        f"{sandbox.username}, {sandbox.zone.key})",
        flush=True,
    )
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
