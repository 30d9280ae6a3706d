"""The Zendesk REST calls syncd makes: small GETs through :class:`syncd.http.RestClient`.

Error mapping, Retry-After, redaction and next-page pinning are the framework's; what is
Zendesk's own is here: the endpoints, their cursors, and the incremental export's separate
limit of 10 calls a minute (the source's limiter paces every other call).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.zendesk.config import ZendeskSourceConfig
from connectors.zendesk.limits import MinuteLimiter
from syncd.http import Call, Json, RestClient, bad_body

if TYPE_CHECKING:  # httpx loads with the first client, not with the config
    import httpx

API = "/api/v2"
EXPORT_PAGE = 1000
RATINGS_PAGE = 100
VENDOR = "Zendesk"


class ZendeskClient:
    """Authenticated access to the endpoints syncd reads, for one source."""

    def __init__(
        self,
        config: ZendeskSourceConfig,
        *,
        source: str,
        call: Call,
        export_limiter: MinuteLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.export_limiter = export_limiter or MinuteLimiter(config.export_requests_per_minute)
        auth: httpx.Auth | None = None
        headers = {"User-Agent": "syncd-zendesk"}
        secrets: list[str] = []
        if config.oauth_token is not None:
            secrets.append(config.oauth_token.get_secret_value())
            headers["Authorization"] = f"Bearer {secrets[0]}"
        else:
            assert config.token is not None and config.email
            secrets.append(config.token.get_secret_value())
            import httpx

            auth = httpx.BasicAuth(f"{config.email}/token", secrets[0])
        self.http = RestClient(
            base_url=config.base_url,
            source=source,
            vendor=VENDOR,
            call=call,
            auth=auth,
            headers=headers,
            timeout=config.timeout_seconds,
            secrets=secrets,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def _bad(self, what: str, problem: str) -> Exception:
        return bad_body(source=self.source, vendor=VENDOR, what=what, problem=problem)

    def search_count(self, query: str) -> object:
        """``GET /search/count``: how many results ``query`` has (no 1,000 cap), as sent."""
        body = self.http.get(
            f"{API}/search/count.json", what=f"search count {query!r}", params={"query": query}
        )
        if not isinstance(body, dict) or "count" not in body:
            raise self._bad("search count", "no count")
        count: object = body["count"]
        return count

    def export_tickets(self, start: datetime) -> Iterator[tuple[Json, Json | None]]:
        """Every ticket updated since ``start`` with its ticket metrics (``metric_sets``),
        through the cursor-based incremental export, page by page."""
        params: dict[str, Any] = {
            "start_time": int(start.timestamp()),
            "include": "metric_sets",
            "per_page": EXPORT_PAGE,
        }
        pages = self.http.follow_cursors(
            f"{API}/incremental/tickets/cursor.json",
            what="ticket export",
            params=params,
            cursor=self._export_cursor,
            cursor_param="cursor",
            before_page=self.export_limiter.acquire,
        )
        for body in pages:
            tickets = body.get("tickets") if isinstance(body, dict) else None
            if not isinstance(tickets, list):
                raise self._bad("export", "no tickets")
            metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or []}
            for ticket in tickets:
                yield ticket, metrics.get(ticket.get("id"))

    def _export_cursor(self, body: Json) -> str | None:
        if body.get("end_of_stream") is True:
            return None
        cursor = body.get("after_cursor")
        if not cursor:
            raise self._bad("export", "no after_cursor")
        return str(cursor)

    def satisfaction_ratings(self, score: str, start: int, end: int) -> Iterator[Json]:
        """Ratings with ``score`` created in ``[start, end]`` (epoch seconds, inclusive),
        with cursor pagination."""
        params: dict[str, Any] = {
            "score": score,
            "start_time": start,
            "end_time": end,
            "page[size]": RATINGS_PAGE,
        }
        pages = self.http.follow_cursors(
            f"{API}/satisfaction_ratings.json",
            what="satisfaction ratings",
            params=params,
            cursor=_ratings_cursor,
            cursor_param="page[after]",
        )
        for body in pages:
            ratings = body.get("satisfaction_ratings") if isinstance(body, dict) else None
            if not isinstance(ratings, list):
                raise self._bad("ratings", "no ratings")
            yield from ratings

    def me(self) -> Json:
        """``GET /users/me``: who the credentials belong to (a cheap authenticated call)."""
        return self.http.get(f"{API}/users/me.json", what="current user")


def _ratings_cursor(body: Json) -> str | None:
    meta = body.get("meta") or {}
    return str(meta["after_cursor"]) if meta.get("has_more") and meta.get("after_cursor") else None
