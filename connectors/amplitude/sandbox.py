"""A local Amplitude Dashboard REST API for tests and the demo: real HTTP, Amplitude's shapes.

Endpoints (GET), shapes as in Amplitude's Dashboard REST API reference (see ``wire``):

- ``/api/2/events/segmentation``: ``e`` (and ``e2``) event JSON with ``filters`` and
  ``group_by``, ``m`` (uniques, totals, sums, average, value_avg, pct_dau, formula),
  ``start``/``end`` (YYYYMMDD, both included, days of the project's time zone), ``i=1``,
  ``s`` segment conditions, ``formula`` (``F(X)`` or ``F(X) op F(Y)`` with F in UNIQUES,
  TOTALS). Answers ``{"data": {"series", "seriesLabels", "seriesCollapsed", "xValues"}}``.
- ``/api/3/chart/{id}/query``: the saved charts in :data:`CHARTS`, over their saved range.
- ``/api/2/events/list``: ``{"data": [{"value", "display", "totals", …}]}``.

Auth is Basic ``api_key:secret_key``; anything else answers 401. Limits as Amplitude's: more
than ``concurrent_limit`` requests in flight, or a query whose cost (days × conditions × query
cost) does not fit the five-minute or the hourly budget, answer 429 with a body naming the
limit. Faults are armed by path (substring): ``sandbox.faults.add(SEGMENTATION, status=503)``;
``truncate``, ``latency`` and an HTML ``body`` with status 200 as in ``syncd.testing.sandbox``.
``sandbox.raw_values`` makes the next answers carry those value texts as sent (``1e400``…).

Run it in the foreground with ``python -m connectors.amplitude.sandbox --port 8705``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from connectors.amplitude import wire
from connectors.amplitude.data import EVENT_TYPES, Dataset, Event, generate
from syncd.testing.sandbox import Faults, LocalServer

Json = dict[str, Any]
RAW = "__syncd_raw_value__"


@dataclass(frozen=True)
class Chart:
    """A saved chart: an event segmentation over the last ``days`` complete days."""

    event: str
    measure: str
    days: int
    kind: str = "eventsSegmentation"


CHARTS: dict[str, Chart] = {
    "k3x9q2w": Chart("Report Shared", "uniques", 30),
    "p7f4m1z": Chart("Purchase Completed", "totals", 7),
    "f0nn3l5": Chart("App Opened", "uniques", 30, kind="funnels"),
}


@dataclass
class RecordedRequest:
    """One request the sandbox received."""

    path: str
    params: dict[str, str]
    authorization: str | None


class SandboxError(Exception):
    """A request the API refuses (400)."""


class _Budget:
    """Sliding windows of spent cost, as Amplitude counts them."""

    def __init__(self, limits: list[tuple[float, int]]) -> None:
        self.limits = limits
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def spend(self, cost: int) -> str | None:
        """Count ``cost``; or the 429 words of the first window it does not fit."""
        now = time.monotonic()
        with self._lock:
            for seconds, budget in self.limits:
                used = sum(c for at, c in self._spent if now - at < seconds)
                if used + cost > budget:
                    span = "per hour" if seconds >= 3600 else "per 5 minutes"
                    return (
                        f"Exceeded rate limit with query of cost {cost}: the project's budget "
                        f"is {budget} cost {span} and {used} was spent."
                    )
            self._spent.append((now, cost))
        return None


def _texts(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values]


def _compare(value: object, op: str, wanted: list[str]) -> bool:
    if value is None:
        return op in ("is not", "does not contain")
    text = str(value)
    if op == "is":
        return text in wanted
    if op == "is not":
        return text not in wanted
    if op == "contains":
        return any(w.lower() in text.lower() for w in wanted)
    if op == "does not contain":
        return not any(w.lower() in text.lower() for w in wanted)
    try:
        number, limits = float(text), [float(w) for w in wanted]
    except ValueError:
        return False
    tests: dict[str, Callable[[float, float], bool]] = {
        "less": lambda a, b: a < b,
        "less or equal": lambda a, b: a <= b,
        "greater": lambda a, b: a > b,
        "greater or equal": lambda a, b: a >= b,
    }
    if op not in tests:
        raise SandboxError(f"Invalid operator {op!r}")
    return any(tests[op](number, limit) for limit in limits)


def _user_value(event: Event, key: str) -> object:
    return {"country": event.user.country, "platform": event.user.platform}.get(
        key.removeprefix("gp:")
    )


@dataclass(frozen=True)
class EventSpec:
    """A parsed ``e``/``e2`` parameter."""

    type: str
    filters: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    group_by: str | None

    @classmethod
    def parse(cls, text: str) -> EventSpec:
        try:
            raw = json.loads(text)
        except ValueError:
            raise SandboxError("Invalid event parameter: not JSON") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("event_type"), str):
            raise SandboxError("Invalid event parameter: event_type is required")
        filters = []
        for f in raw.get("filters") or []:
            try:
                filters.append(
                    (
                        f["subprop_type"],
                        f["subprop_key"],
                        f["subprop_op"],
                        tuple(_texts(f["subprop_value"])),
                    )
                )
            except (KeyError, TypeError):
                raise SandboxError(
                    "Invalid filter: subprop_type, subprop_key, subprop_op and "
                    "subprop_value are required"
                ) from None
        groups = raw.get("group_by") or []
        group_by = groups[0].get("value") if groups and isinstance(groups[0], dict) else None
        return cls(raw["event_type"], tuple(filters), group_by)

    def matches(self, event: Event) -> bool:
        if self.type not in ("_active", "_all") and event.type != self.type:
            return False
        for kind, key, op, values in self.filters:
            value = event.prop(key) if kind == "event" else _user_value(event, key)
            if not _compare(value, op, list(values)):
                return False
        return True


def _in_segment(event: Event, segment: list[Json]) -> bool:
    return all(
        _compare(_user_value(event, c["prop"]), c["op"], _texts(c["values"])) for c in segment
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


_FORMULA = re.compile(
    r"^\s*(UNIQUES|TOTALS)\(([AB])\)\s*(?:([-+*/])\s*(UNIQUES|TOTALS)\(([AB])\))?\s*$"
)


class AmplitudeSandbox(LocalServer):
    """The sandbox server. ``now`` fixes its clock (default: the real time); ``timezone`` is
    the project's; ``api_key``/``secret_key`` are the credentials it accepts."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        timezone: str = "Europe/Zurich",
        api_key: str = "sandbox-api-key",
        secret_key: str = "sandbox-secret-key",
        concurrent_limit: int = wire.CONCURRENT_REQUESTS,
        cost_per_5_minutes: int = wire.COST_PER_5_MINUTES,
        cost_per_hour: int = wire.COST_PER_HOUR,
    ) -> None:
        super().__init__(host=host, port=port)
        self.fixed_now = now
        self.zone = ZoneInfo(timezone)
        self.api_key = api_key
        self.secret_key = secret_key
        self.concurrent_limit = concurrent_limit
        self.dataset: Dataset = generate(seed, self.zone)
        self.faults = Faults(default_status=500)
        self.raw_values: list[str] = []
        """Value texts the next answers carry as sent (``1e400``, ``NaN``, ``twelve``…)."""
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._budget = _Budget([(300.0, cost_per_5_minutes), (3600.0, cost_per_hour)])
        self._lock = threading.Lock()
        self._in_flight = 0
        self._day_cache: dict[tuple[date, EventSpec, str], list[Event]] = {}

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
            return [r for r in self.requests if r.path == path]

    def enter(self, request: RecordedRequest) -> bool:
        """Log a request and count it in flight; False when over the concurrency limit."""
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._in_flight <= self.concurrent_limit

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def authorized(self, header: str | None) -> bool:
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return decoded == f"{self.api_key}:{self.secret_key}"

    # ---- computing ----------------------------------------------------------------------------

    def _events(self, days: list[date], spec: EventSpec, segment: list[Json]) -> list[Event]:
        now = self.now()
        today = now.astimezone(self.zone).date()
        key = json.dumps(segment, sort_keys=True)
        events: list[Event] = []
        for day in days:
            cached = self._day_cache.get((day, spec, key)) if day < today else None
            if cached is None:
                cached = [
                    e
                    for e in self.dataset.on(day, now)
                    if spec.matches(e) and _in_segment(e, segment)
                ]
                if day < today:  # a past day never changes
                    self._day_cache[(day, spec, key)] = cached
            events.extend(cached)
        return events

    def _measure(
        self,
        measure: str,
        days: list[date],
        specs: list[EventSpec],
        segment: list[Json],
        formula: str | None,
    ) -> float | int:
        """One number of ``measure`` over ``days`` (a day of the series, or the range)."""
        events = self._events(days, specs[0], segment)
        if measure == "uniques":
            return len({e.user.id for e in events})
        if measure == "totals":
            return len(events)
        if measure == "average":
            return _ratio(len(events), len({e.user.id for e in events}))
        if measure in ("sums", "value_avg"):
            prop = specs[0].group_by
            if prop is None:
                raise SandboxError("Property metrics require a group by in parameter e")
            values = [v for e in events if isinstance(v := e.prop(prop), int | float)]
            return sum(values) if measure == "sums" else _ratio(sum(values), len(values))
        if measure == "pct_dau":
            active = self._events(days, EventSpec("_active", (), None), segment)
            return _ratio(len({e.user.id for e in events}), len({e.user.id for e in active}))
        if measure == "formula":
            return self._formula(formula, days, specs, segment)
        raise SandboxError(f"Invalid metric {measure!r}")

    def _formula(
        self, formula: str | None, days: list[date], specs: list[EventSpec], segment: list[Json]
    ) -> float | int:
        match = _FORMULA.match(formula or "")
        if match is None:
            raise SandboxError(f"Invalid formula {formula!r}")
        func1, arg1, op, func2, arg2 = match.groups()

        def term(func: str, arg: str) -> int:
            index = 0 if arg == "A" else 1
            if index >= len(specs):
                raise SandboxError("The formula reads event B: give e2")
            measure = "uniques" if func == "UNIQUES" else "totals"
            value = self._measure(measure, days, [specs[index]], segment, None)
            assert isinstance(value, int)
            return value

        left = term(func1, arg1)
        if op is None:
            return left
        right = term(func2, arg2)
        if op == "/":
            return _ratio(left, right)
        return left + right if op == "+" else left - right if op == "-" else left * right

    def segmentation(self, params: dict[str, str]) -> Json:
        """The answer of ``/api/2/events/segmentation``."""
        if wire.EVENT not in params:
            raise SandboxError("Missing required parameter e")
        specs = [EventSpec.parse(params[wire.EVENT])]
        if wire.SECOND_EVENT in params:
            specs.append(EventSpec.parse(params[wire.SECOND_EVENT]))
        try:
            first = datetime.strptime(params[wire.START], wire.DATE_FORMAT).date()
            last = datetime.strptime(params[wire.END], wire.DATE_FORMAT).date()
        except (KeyError, ValueError):
            raise SandboxError("start and end are required, formatted YYYYMMDD") from None
        if last < first:
            raise SandboxError("end must not be before start")
        if params.get(wire.INTERVAL, wire.DAILY) != wire.DAILY:
            raise SandboxError("the sandbox answers daily intervals (i=1) only")
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if len(days) > wire.MAX_DAYS:
            raise SandboxError(f"Daily segmentation covers at most {wire.MAX_DAYS} days")
        try:
            segment = json.loads(params.get(wire.SEGMENTS, "[]"))
            assert isinstance(segment, list)
            for condition in segment:
                assert {"prop", "op", "values"} <= set(condition)
        except (ValueError, AssertionError, TypeError):
            raise SandboxError("Invalid segment parameter s") from None
        measure = params.get(wire.METRIC, "uniques")
        formula = params.get(wire.FORMULA)
        series = [self._measure(measure, [day], specs, segment, formula) for day in days]
        collapsed = self._measure(measure, days, specs, segment, formula)
        return self._series_body(series, collapsed, days)

    def cost(self, params: dict[str, str]) -> int:
        """What a segmentation costs: days × conditions × (events + 4 per group by)."""
        try:
            first = datetime.strptime(params[wire.START], wire.DATE_FORMAT).date()
            last = datetime.strptime(params[wire.END], wire.DATE_FORMAT).date()
            segment = json.loads(params.get(wire.SEGMENTS, "[]"))
            events = [
                EventSpec.parse(params[k]) for k in (wire.EVENT, wire.SECOND_EVENT) if k in params
            ]
        except (KeyError, ValueError, SandboxError):
            return 1
        per_query = sum(1 + wire.GROUP_BY_COST * (e.group_by is not None) for e in events)
        conditions = 1 + (len(segment) if isinstance(segment, list) else 0)
        return max(1, (last - first).days + 1) * conditions * max(1, per_query)

    def chart(self, chart_id: str) -> Json:
        """The answer of ``/api/3/chart/{id}/query``."""
        chart = CHARTS[chart_id]
        today = self.now().astimezone(self.zone).date()
        days = [today - timedelta(days=n) for n in range(chart.days, 0, -1)]
        if chart.kind == "funnels":
            return {
                "data": [
                    {"meta": {"segmentIndex": 0}, "cumulativeRaw": [1, 0], "events": [chart.event]}
                ]
            }
        spec = [EventSpec(chart.event, (), None)]
        series = [self._measure(chart.measure, [day], spec, [], None) for day in days]
        collapsed = self._measure(chart.measure, days, spec, [], None)
        return self._series_body(series, collapsed, days)

    def _series_body(self, series: list[Any], collapsed: Any, days: list[date]) -> Json:
        return {
            wire.DATA: {
                wire.SERIES: [series],
                "seriesLabels": [0],
                wire.COLLAPSED: [[{"setId": "", wire.VALUE: collapsed}]],
                wire.X_VALUES: [d.isoformat() for d in days],
            }
        }

    def _take_raw(self) -> str | None:
        with self._lock:
            return self.raw_values.pop(0) if self.raw_values else None

    def events_list(self) -> Json:
        now = self.now()
        week = [now.astimezone(self.zone).date() - timedelta(days=n) for n in range(7)]
        totals = {t: 0 for t in EVENT_TYPES}
        for day in week:
            for event in self.dataset.on(day, now):
                totals[event.type] += 1
        return {
            wire.DATA: [
                {
                    "non_active": False,
                    "value": t,
                    "totals": totals[t],
                    "deleted": False,
                    "flow_hidden": False,
                    "hidden": False,
                    "display": t,
                }
                for t in EVENT_TYPES
            ]
        }

    def route(self, path: str, params: dict[str, str]) -> tuple[int, Json | str]:
        """Status and body for an authorized request within the concurrency limit."""
        try:
            if path == wire.SEGMENTATION:
                if (refused := self._budget.spend(self.cost(params))) is not None:
                    return 429, {"error": refused}
                body = self.segmentation(params)
            elif path == wire.EVENTS_LIST:
                body = self.events_list()
            elif m := re.fullmatch(wire.CHART.replace("{chart_id}", "([^/]+)"), path):
                if m.group(1) not in CHARTS:
                    return 404, {"error": f"Chart {m.group(1)} not found"}
                body = self.chart(m.group(1))
            else:
                return 404, {"error": "Not found"}
        except SandboxError as exc:
            return 400, {"error": str(exc)}
        if path != wire.EVENTS_LIST and (raw := self._take_raw()) is not None:
            # One day whose value, and the range's, is the text as sent.
            data = body[wire.DATA]
            data[wire.SERIES], data[wire.X_VALUES] = [[RAW]], data[wire.X_VALUES][:1]
            data[wire.COLLAPSED] = [[{"setId": "", wire.VALUE: RAW}]]
            return 200, json.dumps(body).replace(json.dumps(RAW), _json_token(raw))
        return 200, json.dumps(body)


def _json_token(raw: str) -> str:
    """``raw`` as a JSON value token: numbers and NaN/Infinity bare, anything else a string."""
    try:
        float(raw)
    except ValueError:
        return json.dumps(raw)
    return raw


_DEFAULT_ERRORS: dict[int, str] = {
    400: "Bad request",
    401: "Invalid API key or secret key",
    403: "The API key has no access to this project",
    429: "Exceeded concurrent limit: at most 5 concurrent requests per project",
    503: "Service temporarily unavailable",
}


class _Handler(BaseHTTPRequestHandler):
    owner: AmplitudeSandbox
    protocol_version = "HTTP/1.1"
    server_version = "AmplitudeSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        params = {key: values[-1] for key, values in parse_qs(split.query).items()}
        authorization = self.headers.get("Authorization")
        within = sandbox.enter(RecordedRequest(split.path, params, authorization))
        try:
            self._answer(sandbox, split.path, params, authorization, within)
        finally:
            sandbox.leave()

    def _answer(
        self,
        sandbox: AmplitudeSandbox,
        path: str,
        params: dict[str, str],
        authorization: str | None,
        within: bool,
    ) -> None:
        fault = sandbox.faults.take(path, "GET")
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status == 200 and isinstance(fault.body, str):
            self._send(200, fault.body, {}, content_type="text/html")
            return
        if fault is not None and fault.status is not None and fault.status != 200:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            words = fault.message or _DEFAULT_ERRORS.get(fault.status, "Internal server error")
            self._send(fault.status, fault.body or {"error": words}, headers)
            return
        if not sandbox.authorized(authorization):
            self._send(401, {"error": _DEFAULT_ERRORS[401]}, {})
            return
        if not within:
            limit = sandbox.concurrent_limit
            words = f"Exceeded concurrent limit: at most {limit} concurrent requests per project"
            self._send(429, {"error": words}, {})
            return
        status, body = sandbox.route(path, params)
        self._send(status, body, {}, truncate=fault is not None and fault.truncate)

    def _send(
        self,
        status: int,
        payload: Json | str,
        headers: dict[str, str],
        *,
        truncate: bool = False,
        content_type: str = "application/json",
    ) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Amplitude Dashboard REST API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8705)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--timezone", default="Europe/Zurich", help="the project's time zone")
    args = parser.parse_args(argv)
    sandbox = AmplitudeSandbox(
        seed=args.seed, host=args.host, port=args.port, timezone=args.timezone
    )
    url = sandbox.start()
    print(
        f"Amplitude sandbox on {url} (project zone {args.timezone}; "
        f"Basic auth {sandbox.api_key}:<secret key>)",
        flush=True,
    )
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
