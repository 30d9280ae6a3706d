"""The Zendesk REST calls syncd makes, over httpx: one paced, retried GET per page.

Every GET goes through :func:`syncd.retry.call_upstream` (counted, retried on 429/503 honouring
``Retry-After``, on 5xx and dropped connections) after taking a slot from the plan's
per-minute budget (and the export's own 10 per minute). Paging follows the cursors Zendesk
returns (``after_cursor``, ``meta.after_cursor``) against our own base URL, so a proxy that
rewrites hosts cannot send the next page elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from connectors.zendesk.config import ZendeskSourceConfig
from connectors.zendesk.errors import bad_body, from_response, from_transport
from connectors.zendesk.limits import MinuteLimiter
from syncd.abc import ConnectorContext
from syncd.retry import call_upstream

API = "/api/v2"
EXPORT_PAGE = 1000
RATINGS_PAGE = 100

Json = dict[str, Any]


class ZendeskClient:
    """Authenticated, paced access to the endpoints syncd reads."""

    def __init__(
        self,
        config: ZendeskSourceConfig,
        context: ConnectorContext,
        *,
        api_limiter: MinuteLimiter | None = None,
        export_limiter: MinuteLimiter | None = None,
    ) -> None:
        self.config = config
        self.context = context
        self.api_limiter = api_limiter or MinuteLimiter(config.requests_per_minute)
        self.export_limiter = export_limiter or MinuteLimiter(config.export_requests_per_minute)
        auth: httpx.Auth | None = None
        headers = {"Accept": "application/json", "User-Agent": "syncd-zendesk"}
        if config.oauth_token is not None:
            headers["Authorization"] = f"Bearer {config.oauth_token.get_secret_value()}"
        else:
            assert config.token is not None and config.email
            auth = httpx.BasicAuth(f"{config.email}/token", config.token.get_secret_value())
        self._http = httpx.Client(
            base_url=config.base_url,
            auth=auth,
            headers=headers,
            timeout=config.timeout_seconds,
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any], *, what: str, export: bool = False) -> Json:
        """One GET, paced and retried; the JSON object it returned."""
        source = self.context.source

        def attempt() -> Json:
            self.api_limiter.acquire()
            if export:
                self.export_limiter.acquire()
            try:
                response = self._http.get(path, params=params)
            except httpx.HTTPError as exc:
                raise from_transport(exc, source=source, what=what) from None
            if not response.is_success:
                raise from_response(response, source=source)
            try:
                body = response.json()
            except ValueError:
                raise bad_body(
                    source=source, what=what, problem="a body that is not JSON"
                ) from None
            if not isinstance(body, dict):
                raise bad_body(source=source, what=what, problem="JSON that is not an object")
            return body

        return call_upstream(attempt, self.context, what=what)

    def search_count(self, query: str) -> int:
        """``GET /search/count``: how many results ``query`` has (no 1,000 cap)."""
        body = self.get(
            f"{API}/search/count.json", {"query": query}, what=f"search count {query!r}"
        )
        count = body.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise bad_body(
                source=self.context.source, what="search count", problem=f"count {count!r}"
            )
        return count

    def export_tickets(self, start: datetime) -> Iterator[tuple[Json, Json | None]]:
        """Every ticket updated since ``start`` with its ticket metrics (``metric_sets``),
        through the cursor-based incremental export, page by page."""
        params: dict[str, Any] = {
            "start_time": int(start.timestamp()),
            "include": "metric_sets",
            "per_page": EXPORT_PAGE,
        }
        path = f"{API}/incremental/tickets/cursor.json"
        page = 0
        while True:
            page += 1
            body = self.get(path, params, what=f"ticket export page {page}", export=True)
            tickets = body.get("tickets")
            if not isinstance(tickets, list):
                raise bad_body(source=self.context.source, what="export", problem="no tickets")
            metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or []}
            for ticket in tickets:
                yield ticket, metrics.get(ticket.get("id"))
            if body.get("end_of_stream") is True:
                return
            cursor = body.get("after_cursor")
            if not cursor:
                raise bad_body(source=self.context.source, what="export", problem="no after_cursor")
            params = {"cursor": cursor, "include": "metric_sets", "per_page": EXPORT_PAGE}

    def satisfaction_ratings(self, score: str, start: int, end: int) -> Iterator[Json]:
        """Ratings with ``score`` created in ``[start, end]`` (epoch seconds, inclusive),
        with cursor pagination."""
        params: dict[str, Any] = {
            "score": score,
            "start_time": start,
            "end_time": end,
            "page[size]": RATINGS_PAGE,
        }
        page = 0
        while True:
            page += 1
            body = self.get(
                f"{API}/satisfaction_ratings.json", params, what=f"satisfaction ratings page {page}"
            )
            ratings = body.get("satisfaction_ratings")
            if not isinstance(ratings, list):
                raise bad_body(source=self.context.source, what="ratings", problem="no ratings")
            yield from ratings
            meta = body.get("meta") or {}
            if not meta.get("has_more"):
                return
            params = {**params, "page[after]": meta.get("after_cursor")}
