"""A local GA4 Data API (v1beta) over HTTP, for tests and the demo.

It speaks the REST protocol the official client's ``rest`` transport uses::

    POST /v1beta/properties/{id}:runReport           RunReportRequest → RunReportResponse
    POST /v1beta/properties/{id}:batchRunReports     up to 5 requests → BatchRunReportsResponse
    GET  /v1beta/properties/{id}/metadata            Metadata
    POST /token                                      OAuth 2.0 token endpoint (refresh token and
                                                     service-account JWT grants)

Errors carry Google's JSON error body (``{"error": {"code", "message", "status"}}``). Property
quotas (tokens per hour and per day, server errors per hour) are accounted and reported in
``propertyQuota`` when ``returnPropertyQuota`` is set; an exhausted quota answers 429
``RESOURCE_EXHAUSTED``. Faults are armed per path::

    sandbox.faults.add(":batchRunReports", status=429, times=2, retry_after=1)
    sandbox.faults.add(":runReport", latency=0.2)
    sandbox.faults.add("", truncate=True)
    sandbox.faults.add("/v1beta/", status=200, body="<html>…</html>")   # any body, as is

``override_value`` makes the next report asking a metric over a date range answer a given value
text (``"1e400"``, ``"NaN"``, ``"-5"``) instead of the computed one.

Run it in the foreground with ``python -m connectors.ga4.sandbox --port 8701 --seed 20261001``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from connectors.ga4.data import DailyFact, generate
from connectors.ga4.reporting import ReportError, ReportOptions, metadata_response, run_report
from syncd.testing.sandbox import Fault, Faults, LocalServer

DEFAULT_PROPERTY = "123456789"
PACIFIC = ZoneInfo("America/Los_Angeles")  # GA4 daily quotas refresh at midnight Pacific time
_ROUTE = re.compile(r"^/v1beta/properties/([^/:]+)(:runReport|:batchRunReports|/metadata)$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAULT_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential.",
    403: "User does not have sufficient permissions for this property.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


@dataclass(frozen=True)
class LoggedRequest:
    """One request the sandbox received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class ValueOverride:
    """The value text ``raw`` for ``metric`` over the date range starting ``start_date`` (any
    range when None), in the next ``times`` reports asking it."""

    raw: str
    metric: str
    start_date: str | None = None
    times: int = 1


@dataclass
class _Usage:
    tokens: dict[tuple[str, Any], int] = field(default_factory=lambda: defaultdict(int))
    server_errors: dict[Any, int] = field(default_factory=lambda: defaultdict(int))
    thresholded: dict[Any, int] = field(default_factory=lambda: defaultdict(int))


class QuotaLedger:
    """Token and server-error accounting per property, hour (UTC) and day (Pacific)."""

    def __init__(
        self, tokens_per_hour: int, tokens_per_day: int, clock: Callable[[], datetime]
    ) -> None:
        self.tokens_per_hour = tokens_per_hour
        self.tokens_per_day = tokens_per_day
        self.tokens_per_project_per_hour = max(1, tokens_per_hour * 35 // 100)
        self.concurrent_requests = 10
        self.server_errors_per_hour = 10
        self.thresholded_per_hour = 120
        self.clock = clock
        self._usage: dict[str, _Usage] = defaultdict(_Usage)
        self._lock = threading.Lock()

    def _keys(self) -> tuple[Any, Any]:
        now = self.clock().astimezone(UTC)
        return now.replace(minute=0, second=0, microsecond=0), now.astimezone(PACIFIC).date()

    def exhausted(self, prop: str) -> str | None:
        """Which quota of ``prop`` is used up, in GA4's words, or None."""
        hour, day = self._keys()
        with self._lock:
            usage = self._usage[prop]
            if usage.tokens[("day", day)] >= self.tokens_per_day:
                return "Exhausted property tokens per day quota. Wait for the quota to refresh."
            if usage.tokens[("hour", hour)] >= self.tokens_per_hour:
                return "Exhausted property tokens per hour quota. Wait for the quota to refresh."
        return None

    def charge(self, prop: str, tokens: int, thresholded: bool) -> dict[str, Any]:
        """Charge a report's tokens and return its ``propertyQuota``."""
        hour, day = self._keys()
        with self._lock:
            usage = self._usage[prop]
            usage.tokens[("hour", hour)] += tokens
            usage.tokens[("day", day)] += tokens
            usage.thresholded[hour] += int(thresholded)

            def status(consumed: int, used: int, limit: int) -> dict[str, int]:
                return {"consumed": consumed, "remaining": max(0, limit - used)}

            hourly = usage.tokens[("hour", hour)]
            return {
                "tokensPerDay": status(tokens, usage.tokens[("day", day)], self.tokens_per_day),
                "tokensPerHour": status(tokens, hourly, self.tokens_per_hour),
                "concurrentRequests": status(0, 0, self.concurrent_requests),
                "serverErrorsPerProjectPerHour": status(
                    0, usage.server_errors[hour], self.server_errors_per_hour
                ),
                "potentiallyThresholdedRequestsPerHour": status(
                    int(thresholded), usage.thresholded[hour], self.thresholded_per_hour
                ),
                "tokensPerProjectPerHour": status(tokens, hourly, self.tokens_per_project_per_hour),
            }

    def server_error(self, prop: str) -> None:
        hour, _ = self._keys()
        with self._lock:
            self._usage[prop].server_errors[hour] += 1


class Ga4Sandbox(LocalServer):
    """A GA4 Data API server on a local port, serving seeded data for a few properties.

    ``access_token`` makes it demand ``Authorization: Bearer <access_token>``, which its
    ``/token`` endpoint issues for a service-account JWT grant or for ``refresh_token``; a
    self-signed JWT from one of ``service_accounts`` (client emails) is accepted too. ``clock``
    drives ``today`` (in ``time_zone``) and the quota hours and days.
    """

    thread_name = "ga4-sandbox"
    poll_interval = 0.05

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        properties: tuple[str, ...] = (DEFAULT_PROPERTY,),
        time_zone: str = "Europe/Zurich",
        access_token: str | None = None,
        refresh_token: str | None = None,
        service_accounts: tuple[str, ...] = (),
        tokens_per_hour: int = 40_000,
        tokens_per_day: int = 200_000,
        other_row_after: int | None = None,
        thresholding: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.properties = set(properties)
        self.time_zone = time_zone
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.service_accounts = set(service_accounts)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.quota = QuotaLedger(tokens_per_hour, tokens_per_day, lambda: self.clock())
        self.options = ReportOptions(other_row_after=other_row_after, thresholding=thresholding)
        self.faults = Faults()
        self.overrides: list[ValueOverride] = []
        self.requests: list[LoggedRequest] = []
        self._facts: dict[date, list[DailyFact]] | None = None
        self._lock = threading.Lock()

    @property
    def facts(self) -> tuple[DailyFact, ...]:
        """The raw daily facts the sandbox serves (the same for every property)."""
        return generate(self.seed)

    def facts_by_day(self) -> dict[date, list[DailyFact]]:
        with self._lock:
            if self._facts is None:
                by_day: dict[date, list[DailyFact]] = defaultdict(list)
                for fact in self.facts:
                    by_day[fact.day].append(fact)
                self._facts = dict(by_day)
            return self._facts

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.time_zone)).date()

    def calls(self, suffix: str = "") -> list[LoggedRequest]:
        """Logged API requests (not token requests) whose path ends with ``suffix``."""
        return [
            r for r in self.requests if r.path.startswith("/v1beta/") and r.path.endswith(suffix)
        ]

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL. Idempotent."""
        self.facts_by_day()  # generate the data before the first request waits for it
        return super().start()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"sandbox": self})

    # ---- request handling (called from the handler threads) --------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, Fault | None]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        try:
            parsed: Any = json.loads(body) if body and path != "/token" else None
        except ValueError:
            parsed = None
        if path == "/token":
            parsed = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.requests.append(LoggedRequest(method, path, unquote(parts.query), headers, parsed))
        fault = self.faults.take(path, method)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        match = _ROUTE.match(path)
        prop = match.group(1) if match else ""
        if fault is not None and fault.body is not None:
            page = fault.body if isinstance(fault.body, bytes) else str(fault.body).encode()
            media = "text/html" if page.lstrip()[:1] == b"<" else "application/json"
            return fault.status or 200, {"Content-Type": f"{media}; charset=UTF-8"}, page, fault
        if fault is not None and fault.status is not None:
            if fault.status >= 500 and prop:
                self.quota.server_error(prop)
            extra = (
                {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            )
            message = fault.message or _FAULT_MESSAGES.get(fault.status, "Injected fault.")
            return (*self._error(fault.status, message, extra), fault)
        if path == "/token" and method == "POST":
            return (*self._token(parsed), fault)
        if not match:
            return (
                *self._error(404, f"The requested URL {path} was not found on this server."),
                fault,
            )
        if self.access_token is not None and not self._authorized(headers.get("authorization", "")):
            return (*self._error(401, _FAULT_MESSAGES[401]), fault)
        if prop not in self.properties:
            return (*self._error(403, _FAULT_MESSAGES[403]), fault)
        int_enums = "enum-encoding=int" in unquote(parts.query)
        kind = match.group(2)
        if kind == "/metadata":
            if method != "GET":
                return (*self._error(405, "Method not allowed."), fault)
            return (*self._json(200, metadata_response(prop, int_enums=int_enums)), fault)
        if method != "POST" or not isinstance(parsed, dict):
            return (*self._error(400, "Invalid JSON payload received."), fault)
        if (exhausted := self.quota.exhausted(prop)) is not None:
            return (*self._error(429, exhausted), fault)
        try:
            if kind == ":runReport":
                payload = self._report(prop, parsed, int_enums)
            else:
                payload = self._batch(prop, parsed, int_enums)
        except ReportError as error:
            return (*self._error(error.status, error.message), fault)
        return (*self._json(200, payload), fault)

    def _authorized(self, header: str) -> bool:
        """The issued access token, or a self-signed JWT of a known service account (the
        client sends one instead of fetching a token; its signature is not checked here)."""
        token = header.removeprefix("Bearer ")
        if token == self.access_token:
            return True
        parts = token.split(".")
        if len(parts) != 3:
            return False
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return False
        return isinstance(claims, dict) and claims.get("iss") in self.service_accounts

    def _report(self, prop: str, request: dict[str, Any], int_enums: bool) -> dict[str, Any]:
        inner = request.get("property")
        if inner and inner != f"properties/{prop}":
            raise ReportError(f"The property {inner} does not match the URL's properties/{prop}")
        report = run_report(
            request,
            self.facts_by_day(),
            today=self.today(),
            time_zone=self.time_zone,
            int_enums=int_enums,
            options=self.options,
        )
        self._apply_override(request, report.body)
        quota = self.quota.charge(prop, report.tokens, report.thresholded)
        if request.get("returnPropertyQuota"):
            report.body["propertyQuota"] = quota
        return report.body

    def override_value(
        self, raw: str, *, metric: str, start_date: date | None = None, times: int = 1
    ) -> None:
        """Answer ``raw`` for ``metric`` over the range starting ``start_date`` (any range when
        None) in the next ``times`` reports asking it."""
        start = start_date.isoformat() if start_date is not None else None
        with self._lock:
            self.overrides.append(ValueOverride(raw, metric, start, times))

    def _apply_override(self, request: dict[str, Any], body: dict[str, Any]) -> None:
        names = [h["name"] for h in body.get("metricHeaders", [])]
        ranges = [r.get("startDate") for r in request.get("dateRanges") or []]
        with self._lock:
            for override in self.overrides:
                if override.times <= 0 or override.metric not in names:
                    continue
                if override.start_date is None:
                    index = 0
                elif override.start_date in ranges:
                    index = ranges.index(override.start_date)
                else:
                    continue
                override.times -= 1
                break
            else:
                return
            self.overrides = [o for o in self.overrides if o.times > 0]
        headers = [h["name"] for h in body.get("dimensionHeaders", [])]
        column = names.index(override.metric)
        for key in ("rows", "totals", "maximums", "minimums"):
            for row in body.get(key) or []:
                if "dateRange" in headers:
                    position = headers.index("dateRange")
                    if row["dimensionValues"][position]["value"] != f"date_range_{index}":
                        continue
                row["metricValues"][column]["value"] = override.raw

    def _batch(self, prop: str, batch: dict[str, Any], int_enums: bool) -> dict[str, Any]:
        requests = batch.get("requests") or []
        if not 1 <= len(requests) <= 5:
            raise ReportError(f"A batch holds 1 to 5 requests; this one holds {len(requests)}")
        for request in requests:
            run_report(  # validate every request before charging any
                {**request, "dateRanges": request.get("dateRanges"), "limit": "1"},
                {},
                today=self.today(),
                time_zone=self.time_zone,
                int_enums=int_enums,
                options=self.options,
            )
        reports = [self._report(prop, request, int_enums) for request in requests]
        for report in reports:
            report.pop("kind", None)
        return {"reports": reports, "kind": "analyticsData#batchRunReports"}

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        grant = form.get("grant_type", "")
        if grant == "refresh_token":
            if self.refresh_token is None or form.get("refresh_token") != self.refresh_token:
                body = {"error": "invalid_grant", "error_description": "Bad Request"}
                return 400, {"Content-Type": "application/json"}, json.dumps(body).encode()
        elif grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get("assertion"):
            body = {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            return 400, {"Content-Type": "application/json"}, json.dumps(body).encode()
        token = self.access_token or f"ya29.sandbox-{uuid.uuid4().hex}"
        issued: dict[str, Any] = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return 200, {"Content-Type": "application/json"}, json.dumps(issued).encode()

    @staticmethod
    def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
        return (
            status,
            {"Content-Type": "application/json; charset=UTF-8"},
            json.dumps(payload, indent=2).encode(),
        )

    @staticmethod
    def _error(
        status: int, message: str, extra: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        body = {
            "error": {
                "code": status,
                "message": message,
                "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            }
        }
        code, headers, payload = Ga4Sandbox._json(status, body)
        return code, {**headers, **(extra or {})}, payload


class _Handler(BaseHTTPRequestHandler):
    sandbox: Ga4Sandbox
    server_version = "ESF"
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        sandbox = self.sandbox
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, payload, fault = sandbox.handle(self.command, self.path, headers, body)
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if fault is not None and fault.truncate:
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local GA4 Data API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--property", action="append", dest="properties")
    args = parser.parse_args(argv)
    sandbox = Ga4Sandbox(
        seed=args.seed,
        host=args.host,
        port=args.port,
        properties=tuple(args.properties or (DEFAULT_PROPERTY,)),
    )
    url = sandbox.start()
    print(f"GA4 sandbox on {url} (properties {', '.join(sorted(sandbox.properties))})", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
