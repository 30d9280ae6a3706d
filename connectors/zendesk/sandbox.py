"""A local Zendesk Support API for tests and the demo: real HTTP, Zendesk's wire shapes.

Endpoints (GET, under ``/api/v2``), shapes as in Zendesk's API reference:

- ``search.json``: ``{results, facets, next_page, previous_page, count}``; at most 100 per
  page and 1,000 results per query (a page past that answers 422 ``invalid``); ``count`` is
  the true total. Next/previous URLs are absolute, built from the request's own ``Host``.
- ``search/count.json``: ``{count}``.
- ``incremental/tickets/cursor.json``: cursor-based export by ``updated_at``
  (``start_time`` or ``cursor``, ``per_page`` up to 1,000, ``include=metric_sets``) with
  ``after_url``/``after_cursor``/``end_of_stream``; its own 10 requests per minute limit.
- ``satisfaction_ratings.json`` (``score``, ``start_time``, ``end_time``) and
  ``ticket_metrics.json``: cursor pagination (``page[size]``, ``page[after]``,
  ``meta.has_more``, ``links.next``) or offset pagination (``page``, ``per_page``,
  ``next_page``).

Auth is an API token (``email/token:TOKEN`` basic auth) or an OAuth bearer token; 401 bodies
are ``{"error": "Couldn't authenticate you"}``. Every response carries the account's rate-limit
headers; past the per-minute budget the answer is 429 with ``Retry-After``. Faults are armed
per path: ``sandbox.faults.add("/api/v2/search/count.json", status=429, times=2,
retry_after=1)``; ``status=503`` also sends ``Retry-After``; ``truncate=True`` cuts the body
short; ``latency`` delays the answer. ``sandbox.requests`` logs every request.

Run it in the foreground with ``python -m connectors.zendesk.sandbox --port 8704``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from connectors.zendesk.data import Dataset, TicketRecord, generate
from connectors.zendesk.searchquery import SearchSyntaxError, parse
from syncd.testing.sandbox import Fault as Fault  # re-exported: the sandbox's public API
from syncd.testing.sandbox import Faults as BaseFaults
from syncd.testing.sandbox import LocalServer

API = "/api/v2"
SEARCH_LIMIT = 1000
EXPORT_PATH = f"{API}/incremental/tickets/cursor.json"

Json = dict[str, Any]


def iso(moment: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RecordedRequest:
    """One request the sandbox received."""

    method: str
    path: str
    params: dict[str, str]
    body: bytes
    authorization: str | None


class Faults(BaseFaults):
    """Armed faults for exact paths (status 500 unless given), consumed in the order they were
    added; ``status=200`` with ``latency`` or ``truncate`` answers normally but slowly or cut
    short."""

    def __init__(self) -> None:
        super().__init__(match="exact", default_status=500)


class _MinuteBudget:
    """A request counter per window, the window opening at its first request (so two calls
    closer together than the window always share one, wherever the clock stands)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._opened = float("-inf")
        self._used = 0

    def take(self) -> tuple[bool, int, float]:
        """Count one request: (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        with self._lock:
            if now - self._opened >= self.window:
                self._opened, self._used = now, 0
            reset = self.window - (now - self._opened)
            if self._used >= self.limit:
                return False, 0, reset
            self._used += 1
            return True, self.limit - self._used, reset


def _error(status: int, error: str, description: str | None = None) -> tuple[int, Json]:
    body: Json = {"error": error}
    if description is not None:
        body["description"] = description
    return status, body


def _encode_cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(map(str, parts)).encode()).decode()


def _decode_cursor(cursor: str) -> list[str]:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


class ZendeskSandbox(LocalServer):
    """The sandbox server. ``now`` fixes its clock (default: the real time), so what it shows
    is deterministic; ``email``/``token``/``oauth_token`` are the credentials it accepts."""

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        email: str = "ops@acme.example",
        token: str = "sandbox-token",
        oauth_token: str = "sandbox-oauth-token",
        requests_per_minute: int = 700,
        export_requests_per_minute: int = 10,
        rate_window: float = 60.0,
        export_page_limit: int = 1000,
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.fixed_now = now
        self.email = email
        self.token = token
        self.oauth_token = oauth_token
        self.requests_per_minute = requests_per_minute
        self.export_page_limit = export_page_limit
        self.dataset: Dataset = generate(seed)
        self.faults = Faults()
        self.raw_counts: list[str] = []
        """Value texts the next search counts answer with, as sent (``1e400``, ``NaN``…)."""
        self.requests: list[RecordedRequest] = []
        self._budget = _MinuteBudget(requests_per_minute, rate_window)
        self._export_budget = _MinuteBudget(export_requests_per_minute, rate_window)
        self._log_lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    # ---- data views -------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox's clock."""
        return self.fixed_now if self.fixed_now is not None else datetime.now(UTC)

    def visible(self, now: datetime) -> Iterator[TicketRecord]:
        """Tickets created at or before ``now``."""
        for ticket in self.dataset.tickets:
            if ticket.created_at > now:
                break
            yield ticket

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The logged requests to ``path``."""
        with self._log_lock:
            return [request for request in self.requests if request.path == path]

    def log(self, request: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(request)

    # ---- JSON shapes --------------------------------------------------------------------------

    def ticket_json(self, base: str, t: TicketRecord, now: datetime) -> Json:
        return {
            "url": f"{base}{API}/tickets/{t.id}.json",
            "id": t.id,
            "external_id": None,
            "type": "question",
            "subject": t.subject,
            "raw_subject": t.subject,
            "priority": t.priority,
            "status": t.status_at(now),
            "requester_id": 900000 + t.id % 5000,
            "submitter_id": 900000 + t.id % 5000,
            "assignee_id": 380000 + t.group_id % 10 if t.first_reply_at <= now else None,
            "group_id": t.group_id,
            "brand_id": t.brand_id,
            "tags": list(t.tags),
            "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at(now)),
        }

    def metric_json(self, base: str, t: TicketRecord, now: datetime) -> Json:
        replied = t.first_reply_at <= now
        solved = t.solved_at <= now

        def minutes(reached: bool, calendar: int, business: int) -> Json:
            return (
                {"calendar": calendar, "business": business}
                if reached
                else {
                    "calendar": None,
                    "business": None,
                }
            )

        return {
            "url": f"{base}{API}/ticket_metrics/{t.id + 50000000}.json",
            "id": t.id + 50000000,
            "ticket_id": t.id,
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at(now)),
            "group_stations": 1,
            "assignee_stations": 1 if replied else 0,
            "reopens": 0,
            "replies": 1 if replied else 0,
            "initially_assigned_at": iso(t.first_reply_at) if replied else None,
            "assigned_at": iso(t.first_reply_at) if replied else None,
            "solved_at": iso(t.solved_at) if solved else None,
            "latest_comment_added_at": iso(t.solved_at if solved else t.first_reply_at)
            if replied
            else iso(t.created_at),
            "reply_time_in_minutes": minutes(replied, t.reply_calendar, t.reply_business),
            "first_resolution_time_in_minutes": minutes(
                solved, t.resolution_calendar, t.resolution_business
            ),
            "full_resolution_time_in_minutes": minutes(
                solved, t.resolution_calendar, t.resolution_business
            ),
        }

    def rating_json(self, base: str, t: TicketRecord) -> Json:
        return {
            "url": f"{base}{API}/satisfaction_ratings/{t.id + 70000000}.json",
            "id": t.id + 70000000,
            "assignee_id": 380000 + t.group_id % 10,
            "group_id": t.group_id,
            "requester_id": 900000 + t.id % 5000,
            "ticket_id": t.id,
            "score": t.rating,
            "comment": None,
            "reason": None,
            "created_at": iso(t.rated_at),
            "updated_at": iso(t.rated_at),
        }

    # ---- endpoints --------------------------------------------------------------------------

    def route(self, path: str, params: dict[str, str], base: str) -> tuple[int, Json | RawJson]:
        now = self.now()
        handlers: dict[
            str, Callable[[dict[str, str], str, datetime], tuple[int, Json | RawJson]]
        ] = {
            f"{API}/search.json": self._search,
            f"{API}/search/count.json": self._search_count,
            EXPORT_PATH: self._export,
            f"{API}/satisfaction_ratings.json": self._ratings,
            f"{API}/ticket_metrics.json": self._metrics,
            f"{API}/users/me.json": self._me,
        }
        handler = handlers.get(path)
        if handler is None:
            return _error(404, "InvalidEndpoint", "Not found")
        return handler(params, base, now)

    def _matching(self, params: dict[str, str], now: datetime) -> list[TicketRecord]:
        query = parse(params.get("query", ""))
        return [t for t in self.visible(now) if query.matches(t, now)]

    def _me(self, params: dict[str, str], base: str, now: datetime) -> tuple[int, Json]:
        return 200, {"user": {"id": 1, "name": "syncd", "email": self.email, "role": "agent"}}

    def _search_count(
        self, params: dict[str, str], base: str, now: datetime
    ) -> tuple[int, Json | RawJson]:
        if self.raw_counts:
            return 200, RawJson('{"count": ' + _json_token(self.raw_counts.pop(0)) + "}")
        try:
            return 200, {"count": len(self._matching(params, now))}
        except SearchSyntaxError as exc:
            return _error(422, "invalid", f"Invalid search: {exc}")

    def _search(self, params: dict[str, str], base: str, now: datetime) -> tuple[int, Json]:
        try:
            page = int(params.get("page", "1"))
            per_page = min(100, int(params.get("per_page", "100")))
        except ValueError:
            return _error(400, "InvalidPaginationParameter", "page must be an integer")
        if page < 1 or per_page < 1:
            return _error(400, "InvalidPaginationParameter", "page must be positive")
        if page * per_page > SEARCH_LIMIT:
            return _error(
                422,
                "invalid",
                "Invalid search: Requested response size was greater than Search Response Limits",
            )
        try:
            tickets = self._matching(params, now)
        except SearchSyntaxError as exc:
            return _error(422, "invalid", f"Invalid search: {exc}")
        if params.get("sort_order", "desc") == "desc":
            tickets.reverse()
        chunk = tickets[(page - 1) * per_page : page * per_page]

        def page_url(number: int) -> str:
            query = {k: v for k, v in params.items() if k != "page"} | {"page": str(number)}
            return f"{base}{API}/search.json?{urlencode(query)}"

        has_next = page * per_page < min(len(tickets), SEARCH_LIMIT)
        return 200, {
            "results": [self.ticket_json(base, t, now) | {"result_type": "ticket"} for t in chunk],
            "facets": None,
            "next_page": page_url(page + 1) if has_next else None,
            "previous_page": page_url(page - 1) if page > 1 else None,
            "count": len(tickets),
        }

    def _export(self, params: dict[str, str], base: str, now: datetime) -> tuple[int, Json]:
        try:
            per_page = min(self.export_page_limit, int(params.get("per_page", "1000")))
            if "cursor" in params:
                start_text, after_updated, after_id = _decode_cursor(params["cursor"])
                start, last = int(start_text), (int(after_updated), int(after_id))
            elif "start_time" in params:
                start, last = int(params["start_time"]), (-1, -1)
            else:
                return _error(400, "InvalidValue", "start_time or cursor is required")
        except ValueError as exc:
            return _error(400, "InvalidValue", str(exc))
        if start > now.timestamp() - 60:
            return _error(400, "InvalidValue", "start_time is too recent; use a time a minute old")
        horizon = now.timestamp() - 60  # Zendesk leaves out the last minute's changes.
        keyed = sorted(
            (int(t.updated_at(now).timestamp()), t.id, t)
            for t in self.visible(now)
            if start <= t.updated_at(now).timestamp() <= horizon
        )
        after = [item for item in keyed if (item[0], item[1]) > last]
        page, rest = after[:per_page], after[per_page:]
        body: Json = {"tickets": [self.ticket_json(base, t, now) for _, _, t in page]}
        if "metric_sets" in params.get("include", "").split(","):
            body["metric_sets"] = [self.metric_json(base, t, now) for _, _, t in page]
        tail = (page[-1][0], page[-1][1]) if page else last
        after_cursor = _encode_cursor(start, *tail)
        body |= {
            "after_cursor": after_cursor,
            "after_url": f"{base}{EXPORT_PATH}?{urlencode({'cursor': after_cursor})}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": not rest,
        }
        if params.get("include"):
            body["after_url"] += f"&{urlencode({'include': params['include']})}"
        return 200, body

    def _paged(
        self, name: str, items: list[Json], params: dict[str, str], base: str, path: str
    ) -> tuple[int, Json]:
        """Cursor pagination when ``page[size]`` is given, offset pagination otherwise."""
        if "page[size]" in params or "page[after]" in params:
            try:
                size = min(100, int(params.get("page[size]", "100")))
                offset = (
                    int(_decode_cursor(params["page[after]"])[0])
                    if "page[after]" in (params)
                    else 0
                )
            except (ValueError, IndexError):
                return _error(400, "InvalidPaginationParameter", "invalid page[after] cursor")
            chunk = items[offset : offset + size]
            has_more = offset + size < len(items)
            after = _encode_cursor(offset + size) if has_more else None
            query = {k: v for k, v in params.items() if k != "page[after]"}
            next_url = (
                f"{base}{path}?{urlencode(query | {'page[after]': after})}" if after else None
            )
            return 200, {
                name: chunk,
                "meta": {
                    "has_more": has_more,
                    "after_cursor": after,
                    "before_cursor": _encode_cursor(offset) if chunk else None,
                },
                "links": {"next": next_url, "prev": None},
            }
        try:
            page = int(params.get("page", "1"))
            per_page = min(100, int(params.get("per_page", "100")))
        except ValueError:
            return _error(400, "InvalidPaginationParameter", "page must be an integer")
        chunk = items[(page - 1) * per_page : page * per_page]

        def page_url(number: int) -> str:
            return f"{base}{path}?{urlencode(params | {'page': str(number)})}"

        return 200, {
            name: chunk,
            "next_page": page_url(page + 1) if page * per_page < len(items) else None,
            "previous_page": page_url(page - 1) if page > 1 else None,
            "count": len(items),
        }

    def _ratings(self, params: dict[str, str], base: str, now: datetime) -> tuple[int, Json]:
        scores = {
            "received": {"good", "bad"},
            "good": {"good"},
            "bad": {"bad"},
            "offered": {"offered"},
        }
        score = params.get("score")
        if score is not None and score not in scores:
            return _error(400, "InvalidValue", f"unsupported score {score!r}")
        try:
            start = int(params["start_time"]) if "start_time" in params else None
            end = int(params["end_time"]) if "end_time" in params else None
        except ValueError:
            return _error(400, "InvalidValue", "start_time and end_time are Unix epoch seconds")
        wanted = scores[score] if score else {"good", "bad", "offered"}
        rated = [
            t
            for t in self.visible(now)
            if t.rating in wanted
            and t.rated_at <= now
            and (start is None or t.rated_at.timestamp() >= start)
            and (end is None or t.rated_at.timestamp() <= end)
        ]
        rated.sort(key=lambda t: (t.rated_at, t.id))
        items = [self.rating_json(base, t) for t in rated]
        return self._paged(
            "satisfaction_ratings", items, params, base, f"{API}/satisfaction_ratings.json"
        )

    def _metrics(self, params: dict[str, str], base: str, now: datetime) -> tuple[int, Json]:
        items = [self.metric_json(base, t, now) for t in reversed(list(self.visible(now)))]
        return self._paged("ticket_metrics", items, params, base, f"{API}/ticket_metrics.json")

    # ---- gatekeeping --------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            return credentials == self.oauth_token
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            return decoded == f"{self.email}/token:{self.token}"
        return False


class _Handler(BaseHTTPRequestHandler):
    owner: ZendeskSandbox
    protocol_version = "HTTP/1.1"
    server_version = "ZendeskSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        params = {key: values[-1] for key, values in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        authorization = self.headers.get("Authorization")
        sandbox.log(RecordedRequest("GET", split.path, params, body, authorization))
        base = f"http://{self.headers.get('Host') or f'{sandbox.host}:{sandbox.port}'}"

        allowed, remaining, reset = sandbox._budget.take()
        headers = {
            "X-Rate-Limit": str(sandbox.requests_per_minute),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(sandbox.requests_per_minute),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(max(1, round(reset))),
        }
        fault = sandbox.faults.take(split.path, "GET")
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status == 200 and isinstance(fault.body, str):
            self._send(200, RawJson(fault.body), headers, content_type="text/html")
            return
        if fault is not None and fault.status is not None and fault.status != 200:
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            default = {
                401: {"error": "Couldn't authenticate you"},
                429: {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed API requests per minute exceeded",
                },
                503: {
                    "error": "ServiceUnavailable",
                    "description": "The service is temporarily unavailable",
                },
            }.get(fault.status, {"error": "InternalError", "description": "Something went wrong"})
            self._send(fault.status, fault.body or default, headers)
            return
        if not sandbox.authorized(authorization):
            self._send(401, {"error": "Couldn't authenticate you"}, headers)
            return
        if not allowed:
            headers["Retry-After"] = str(max(1, round(reset)))
            self._send(
                429,
                {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed API requests per minute exceeded",
                },
                headers,
            )
            return
        if split.path == EXPORT_PATH:
            export_allowed, _, export_reset = sandbox._export_budget.take()
            if not export_allowed:
                headers["Retry-After"] = str(max(1, round(export_reset)))
                self._send(
                    429,
                    {
                        "error": "APIRateLimitExceeded",
                        "description": "Number of allowed incremental export API requests "
                        "per minute exceeded",
                    },
                    headers,
                )
                return
        status, payload = sandbox.route(split.path, params, base)
        self._send(status, payload, headers, truncate=fault is not None and fault.truncate)

    def _send(
        self,
        status: int,
        payload: Json | RawJson,
        headers: dict[str, str],
        *,
        truncate: bool = False,
        content_type: str = "application/json",
    ) -> None:
        data = payload.encode() if isinstance(payload, RawJson) else json.dumps(payload).encode()
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


class RawJson(str):
    """A body sent as it is (a value Zendesk would never send, an HTML page)."""


def _json_token(raw: str) -> str:
    """``raw`` as a JSON value token: numbers and NaN/Infinity bare, anything else a string."""
    try:
        float(raw)
    except ValueError:
        return json.dumps(raw)
    return raw


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Zendesk Support API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8704)
    parser.add_argument("--seed", type=int, default=20261001)
    args = parser.parse_args(argv)
    sandbox = ZendeskSandbox(seed=args.seed, host=args.host, port=args.port)
    url = sandbox.start()
    print(f"Zendesk sandbox on {url} (token auth: {sandbox.email}/token)", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
