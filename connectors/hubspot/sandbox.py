"""A local HubSpot: the CRM endpoints syncd uses, over HTTP, with seeded data and fault injection.

Endpoints (paths, JSON shapes and error bodies after HubSpot's v3 API and the SDK's models):

- ``POST /crm/v3/objects/{objectType}/search`` for deals, contacts, companies and tickets, with
  the filterGroups semantics of :mod:`connectors.hubspot.sandbox_search`, one sort, ``limit``
  up to 200, ``after`` paging (``paging.next.after``), ``total``, string property values, and
  the 10,000-result cap (``after`` at or beyond 10,000 is a 400 ``VALIDATION_ERROR``);
- ``GET /crm/v3/objects/{objectType}`` (list, ``limit`` up to 100, ``after``, ``properties``);
- ``GET /crm/v3/pipelines/{objectType}`` for deals and tickets (stage labels and ids);
- ``POST /oauth/v1/token`` (``grant_type=refresh_token``), issuing access tokens that expire.

Limits: search allows ``search_per_second`` requests per second per account (HubSpot: 5);
every endpoint shares ``burst_limit`` requests per 10 s (100 or 190 for private apps) and an
optional ``daily_limit``. Past a limit the answer is HubSpot's 429 body
``{"status": "error", "message": …, "errorType": "RATE_LIMIT", "policyName": …}``. Non-search
answers carry the ``X-HubSpot-RateLimit-*`` headers. Faults are armed per path::

    sandbox.faults.add("/crm/v3/objects/deals/search", status=429, times=2, retry_after=1)
    sandbox.faults.add("/crm/v3/objects/deals/search", truncate=True)
    sandbox.faults.add("/crm/v3/objects/deals/search", status=200, body=HTML_PAGE)  # str: as is
    sandbox.faults.add("/crm/v3/pipelines/deals", latency=0.2)

and :meth:`HubSpotSandbox.override_value` makes the next search answer one value with a given
text (``total`` of a count, else the first result's requested property): ``"1e400"``, ``"NaN"``.

Run it in the foreground with ``python -m connectors.hubspot.sandbox --port 8703``.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.hubspot import sandbox_search
from connectors.hubspot.data import (
    OBJECT_TYPES,
    PIPELINES,
    CrmRecord,
    Pipeline,
    generate,
    iso,
)
from syncd.testing.sandbox import Fault, Faults, LocalServer

PRIVATE_APP_TOKEN = "pat-sandbox-0000-private-app"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
REFRESH_TOKEN = "sandbox-refresh-token"
_PIPELINE_STAMP = iso(datetime(2025, 5, 1, tzinfo=UTC))
_LIST_MAX_LIMIT = 100


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the sandbox received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


class FaultPlan(Faults):
    """Faults armed per path (exact match), used up in the order they were added: an error
    ``status`` (429, 5xx, 401…), ``latency`` seconds before the answer, or a ``truncate``-d
    body; ``body`` overrides the error body."""

    def __init__(self) -> None:
        super().__init__(match="exact")


@dataclass
class _Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None  # sent as is (text/html unless it is JSON text)
    content_type: str = "application/json;charset=utf-8"


# How a number literal may appear in a JSON body (Python's json also writes NaN and Infinity).
_JSON_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity")
HTML_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


def _error(status: int, message: str, category: str, **extra: Any) -> _Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return _Response(status, body)


def _rate_limited(policy: str, message: str) -> _Response:
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": uuid.uuid4().hex,
    }
    return _Response(429, body)


class _Limits:
    """Sliding-window request counters of one account."""

    def __init__(self, search_per_second: int | None, burst: int | None, daily: int | None) -> None:
        self.search_per_second = search_per_second
        self.burst = burst
        self.daily = daily
        self.search_times: deque[float] = deque()
        self.all_times: deque[float] = deque()
        self.today = 0
        self.lock = threading.Lock()

    def admit(self, is_search: bool) -> _Response | None:
        now = time.monotonic()
        with self.lock:
            while self.search_times and now - self.search_times[0] >= 1.0:
                self.search_times.popleft()
            while self.all_times and now - self.all_times[0] >= 10.0:
                self.all_times.popleft()
            if self.daily is not None and self.today >= self.daily:
                return _rate_limited("DAILY", "You have reached your daily limit.")
            if self.burst is not None and len(self.all_times) >= self.burst:
                return _rate_limited(
                    "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit."
                )
            if (
                is_search
                and self.search_per_second is not None
                and len(self.search_times) >= self.search_per_second
            ):
                return _rate_limited("SECONDLY", "You have reached your secondly limit.")
            self.all_times.append(now)
            self.today += 1
            if is_search:
                self.search_times.append(now)
        return None

    def headers(self) -> dict[str, str]:
        with self.lock:
            out = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
            if self.burst is not None:
                out["X-HubSpot-RateLimit-Max"] = str(self.burst)
                out["X-HubSpot-RateLimit-Remaining"] = str(self.burst - len(self.all_times))
            if self.daily is not None:
                out["X-HubSpot-RateLimit-Daily"] = str(self.daily)
                out["X-HubSpot-RateLimit-Daily-Remaining"] = str(self.daily - self.today)
            return out


@functools.lru_cache(maxsize=4)
def _generated(
    seed: int, bulk: int, bulk_start: datetime, bulk_span: timedelta
) -> dict[str, list[CrmRecord]]:
    # Records are never modified after generation, so sandboxes of one seed share them.
    return generate(seed, bulk_contacts=bulk, bulk_start=bulk_start, bulk_span=bulk_span)


def _pipeline_json(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": pipeline.id,
        "label": pipeline.label,
        "displayOrder": pipeline.display_order,
        "archived": False,
        "createdAt": _PIPELINE_STAMP,
        "updatedAt": _PIPELINE_STAMP,
        "stages": [
            {
                "id": stage.id,
                "label": stage.label,
                "displayOrder": stage.display_order,
                "metadata": stage.metadata,
                "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                "createdAt": _PIPELINE_STAMP,
                "updatedAt": _PIPELINE_STAMP,
            }
            for stage in pipeline.stages
        ],
    }


def _record_json(record: CrmRecord, names: list[str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "properties": {name: record.properties.get(name) for name in names},
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "archived": False,
    }


class HubSpotSandbox(LocalServer):
    """A HubSpot account on localhost: seeded CRM records behind HubSpot's wire protocol.

    ``private_app_token`` authenticates like a private app; OAuth clients exchange
    ``refresh_token`` (with ``client_id``/``client_secret``) for access tokens that live
    ``token_ttl`` seconds (or until :meth:`expire_tokens`). ``bulk_contacts`` and friends are
    passed to :func:`connectors.hubspot.data.generate`.
    """

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        private_app_token: str = PRIVATE_APP_TOKEN,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        refresh_token: str = REFRESH_TOKEN,
        token_ttl: float = 1800.0,
        search_per_second: int | None = 5,
        burst_limit: int | None = 190,
        daily_limit: int | None = None,
        bulk_contacts: int = 0,
        bulk_start: datetime = datetime(2026, 10, 1, tzinfo=UTC),
        bulk_span: timedelta = timedelta(days=20),
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.private_app_token = private_app_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.token_ttl = token_ttl
        self.records = _generated(seed, bulk_contacts, bulk_start, bulk_span)
        self.faults = FaultPlan()
        self.requests: list[LoggedRequest] = []
        self.limits = _Limits(search_per_second, burst_limit, daily_limit)
        self._tokens: dict[str, float] = {}
        self._results: dict[str, list[CrmRecord]] = {}
        self._override: str | None = None
        self._lock = threading.Lock()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    # ---- test helpers ------------------------------------------------------------------------

    def override_value(self, raw: str | None) -> None:
        """The next search answers its value with the text ``raw``: a count search (one that
        asks only ``hs_object_id``) as its ``total`` (a JSON number literal when ``raw`` reads
        as one, else a string), any other search as the first result's requested property
        (property values are strings). None disarms it."""
        with self._lock:
            self._override = raw

    def _take_override(self) -> str | None:
        with self._lock:
            raw, self._override = self._override, None
        return raw

    def expire_tokens(self) -> None:
        """Make every issued OAuth access token expired, as if ``token_ttl`` had passed."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def calls(self, path: str, method: str | None = None) -> list[LoggedRequest]:
        """The logged requests to ``path`` (and ``method``), in order."""
        return [r for r in self.requests if r.path == path and method in (None, r.method)]

    def reset_log(self) -> None:
        self.requests.clear()

    # ---- request handling --------------------------------------------------------------------

    def _log(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        with self._lock:
            self.requests.append(LoggedRequest(method, path, query, body))

    def _authenticate(self, header: str | None) -> _Response | None:
        token = header[7:] if header and header.startswith("Bearer ") else None
        if token is not None and token == self.private_app_token:
            return None
        with self._lock:
            expires = self._tokens.get(token or "")
        if expires is not None and expires > time.monotonic():
            return None
        if expires is not None:
            return _error(
                401,
                "The OAuth token used to make this call expired 0 day(s) ago.",
                "EXPIRED_AUTHENTICATION",
                context={"expiresAt": [iso(datetime.now(UTC))]},
            )
        return _error(
            401,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        )

    def respond(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str | None
    ) -> _Response:
        """The answer to one request (faults are applied by the HTTP handler)."""
        if method == "POST" and path == "/oauth/v1/token":
            return self._token(body)
        denied = self._authenticate(auth)
        if denied is not None:
            return denied
        parts = path.strip("/").split("/")
        is_search = (
            len(parts) == 5 and parts[:3] == ["crm", "v3", "objects"] and parts[4] == "search"
        )
        limited = self.limits.admit(is_search)
        if limited is not None:
            return limited
        if is_search and method == "POST":
            return self._search(parts[3], body)
        response: _Response
        if len(parts) == 4 and parts[:3] == ["crm", "v3", "objects"] and method == "GET":
            response = self._list(parts[3], query)
        elif len(parts) == 4 and parts[:3] == ["crm", "v3", "pipelines"] and method == "GET":
            response = self._pipelines(parts[3])
        else:
            response = _Response(404, {"status": "error", "message": f"no route for {path}"})
        response.headers.update(self.limits.headers())
        return response

    def _object_records(self, object_type: str) -> list[CrmRecord] | None:
        return self.records.get(object_type) if object_type in OBJECT_TYPES else None

    def _search(self, object_type: str, body: Any) -> _Response:
        records = self._object_records(object_type)
        if records is None:
            return _error(
                400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"
            )
        if not isinstance(body, dict):
            return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        try:
            offset, limit = sandbox_search.page_bounds(body)
            matched = self._matching(object_type, records, body)
        except sandbox_search.SearchRejected as rejected:
            return _error(400, rejected.message, "VALIDATION_ERROR")
        names = sandbox_search.returned_properties(object_type, body.get("properties"))
        page = matched[offset : offset + limit]
        payload: dict[str, Any] = {
            "total": len(matched),
            "results": [_record_json(r, names) for r in page],
        }
        if offset + limit < len(matched) and limit > 0:
            payload["paging"] = {"next": {"after": str(offset + limit)}}
        raw = self._take_override()
        if raw is None:
            return _Response(200, payload)
        requested = [n for n in body.get("properties") or [] if n != "hs_object_id"]
        if requested and payload["results"]:
            payload["results"][0]["properties"][requested[0]] = raw
            return _Response(200, payload)
        literal = raw if _JSON_NUMBER.fullmatch(raw) else json.dumps(raw)
        rest = json.dumps({k: v for k, v in payload.items() if k != "total"})
        return _Response(200, None, raw=f'{{"total": {literal}, {rest[1:]}')

    def _matching(
        self, object_type: str, records: list[CrmRecord], body: dict[str, Any]
    ) -> list[CrmRecord]:
        """The ordered matches of a search; pages of one search reuse them (records are fixed)."""
        key = json.dumps([object_type, body.get("filterGroups"), body.get("sorts")], sort_keys=True)
        with self._lock:
            cached = self._results.get(key)
        if cached is not None:
            return cached
        groups = sandbox_search.compile_groups(object_type, body.get("filterGroups"))
        matched = [r for r in records if sandbox_search.matches(groups, r)]
        matched = sandbox_search.ordered(object_type, matched, body.get("sorts"))
        with self._lock:
            if len(self._results) > 256:
                self._results.clear()
            self._results[key] = matched
        return matched

    def _list(self, object_type: str, query: dict[str, list[str]]) -> _Response:
        records = self._object_records(object_type)
        if records is None:
            return _error(
                400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"
            )
        try:
            limit = int(query.get("limit", ["10"])[0])
            offset = int(query.get("after", ["0"])[0] or 0)
        except ValueError:
            return _error(400, "limit and after must be integers", "VALIDATION_ERROR")
        if not 0 < limit <= _LIST_MAX_LIMIT:
            return _error(400, f"limit must be between 1 and {_LIST_MAX_LIMIT}", "VALIDATION_ERROR")
        requested = [n for item in query.get("properties", []) for n in item.split(",") if n]
        names = sandbox_search.returned_properties(object_type, requested)
        ordered = sorted(records, key=lambda r: int(r.id))
        page = ordered[offset : offset + limit]
        payload: dict[str, Any] = {"results": [_record_json(r, names) for r in page]}
        if offset + limit < len(ordered):
            after = str(offset + limit)
            payload["paging"] = {
                "next": {
                    "after": after,
                    "link": f"{self.url}/crm/v3/objects/{object_type}?after={after}",
                }
            }
        return _Response(200, payload)

    def _pipelines(self, object_type: str) -> _Response:
        if object_type not in OBJECT_TYPES:
            return _error(
                400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"
            )
        pipelines = PIPELINES.get(object_type, ())
        return _Response(200, {"results": [_pipeline_json(p) for p in pipelines]})

    def _token(self, form: Any) -> _Response:
        fields = form if isinstance(form, dict) else {}

        def value(name: str) -> str | None:
            listed = fields.get(name)
            return listed[0] if isinstance(listed, list) and listed else None

        def refused(status: str, message: str) -> _Response:
            body = {"status": status, "message": message, "correlationId": str(uuid.uuid4())}
            return _Response(400, body)

        if value("grant_type") != "refresh_token":
            return refused("BAD_GRANT_TYPE", "grant_type must be refresh_token")
        if value("client_id") != self.client_id:
            return refused("BAD_CLIENT_ID", "missing or unknown client id")
        if value("client_secret") != self.client_secret:
            return refused("BAD_CLIENT_ID", "client id and client secret do not match")
        if value("refresh_token") != self.refresh_token:
            return refused("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = f"sandbox-access-{uuid.uuid4().hex}"
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
        return _Response(
            200,
            {
                "token_type": "bearer",
                "refresh_token": self.refresh_token,
                "access_token": token,
                "expires_in": int(self.token_ttl),
            },
        )


def _handler(sandbox: HubSpotSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _read_body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            kind = self.headers.get("Content-Type", "")
            text = raw.decode("utf-8", errors="replace")
            if "x-www-form-urlencoded" in kind:
                return parse_qs(text)
            try:
                return json.loads(text)
            except ValueError:
                return text

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            query = parse_qs(split.query)
            body = self._read_body()
            sandbox._log(method, split.path, query, body)
            fault = sandbox.faults.take(split.path, method)
            if fault is not None and fault.latency:
                time.sleep(fault.latency)
            if fault is not None and fault.status is not None:
                response = _fault_response(fault)
            else:
                response = sandbox.respond(
                    method, split.path, query, body, self.headers.get("Authorization")
                )
            self._send(response, truncate=fault is not None and fault.truncate)

        def _send(self, response: _Response, *, truncate: bool) -> None:
            if response.raw is not None:
                data = response.raw.encode()
            else:
                data = json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if truncate:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


def _fault_response(fault: Fault) -> _Response:
    status = fault.status or 500
    if isinstance(fault.body, str):
        response = _Response(status, None, raw=fault.body, content_type="text/html")
    elif fault.body is not None:
        response = _Response(status, fault.body)
    elif status == 429:
        response = _rate_limited("SECONDLY", "You have reached your secondly limit.")
    elif status == 401:
        response = _error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
    elif status >= 500:
        response = _error(status, "internal error", "INTERNAL_ERROR")
    else:
        response = _error(status, "injected fault", "VALIDATION_ERROR")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
    return response


def main(argv: list[str] | None = None) -> None:
    """``python -m connectors.hubspot.sandbox --port 8703 --seed 20261001``"""
    parser = argparse.ArgumentParser(description="Serve a local HubSpot sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8703)
    parser.add_argument("--seed", type=int, default=20261001)
    args = parser.parse_args(argv)
    sandbox = HubSpotSandbox(seed=args.seed, host=args.host, port=args.port)
    url = sandbox.start()
    print(f"HubSpot sandbox on {url} (private app token {sandbox.private_app_token})", flush=True)
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
