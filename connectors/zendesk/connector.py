"""The ``zendesk`` connector: support KRs from Zendesk Support, over httpx.

Why httpx and not zenpy: zenpy builds every URL as ``https://{subdomain}.{domain}`` (a
sandbox or proxy needs process-wide ``ZENPY_FORCE_*`` environment variables), sleeps through
429s by itself in whole seconds outside our retry policy and call counting, and its search
generator silently stops at the 1,000-result cap ("we got what we could"), which would turn a
count into a wrong number. The five GET endpoints syncd reads are small JSON documents, so
httpx plus ~100 lines of paging (``client.py``) gives exact control of retries, pacing,
cursors and errors with less glue than wrapping zenpy's session, object model and caches.

How each measure reaches Zendesk (see :class:`~connectors.zendesk.config.ZendeskQuery`):
counts and the solved/created ratio use the search count API (one call per count, no cap);
CSAT pages through satisfaction ratings of the window; reply/resolution times and per-tag,
group or brand counts read the cursor-based incremental export with ticket metrics
sideloaded, once per ``collect`` for all such requests, never the capped paged search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from math import ceil

import structlog

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.config import ZendeskQuery, ZendeskSourceConfig
from connectors.zendesk.measures import (
    ExportedTicket,
    created_in,
    in_window,
    solved_in,
    summarize,
    with_ticket_type,
)
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
)
from syncd.errors import QueryError

log = structlog.get_logger(__name__)

EXPORTED = ("tickets", "first_reply_time", "full_resolution_time")
BACKLOG = "status>new status<hold"
"""Open or pending: the statuses between new and on-hold."""


class ZendeskConnector(Connector[ZendeskSourceConfig, ZendeskQuery]):
    """Answers support metrics from one Zendesk account."""

    config_model = ZendeskSourceConfig
    query_model = ZendeskQuery
    past_snapshots = False  # search reports tickets as they are now

    def __init__(
        self,
        config: ZendeskSourceConfig,
        context: ConnectorContext,
        *,
        client: ZendeskClient | None = None,
    ) -> None:
        super().__init__(config, context)
        self._client = client
        self._closed = False

    @property
    def client(self) -> ZendeskClient:
        if self._client is None:
            self._client = ZendeskClient(self.config, self.context)
        return self._client

    def _query(self, request: MetricRequest) -> ZendeskQuery:
        if isinstance(request.query, ZendeskQuery):
            return request.query
        return ZendeskQuery.model_validate(request.query.model_dump())

    # ---- collect ----------------------------------------------------------------------------

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """Answer every request; one export pass serves all the export-based ones."""
        results: list[CollectResult] = []
        exported = [r for r in requests if self._query(r).measure in EXPORTED]
        tickets: list[ExportedTicket] | QueryError | None = None
        if exported:
            tickets = self._export(min(r.window.start for r in exported))
        for request in requests:
            query = self._query(request)
            try:
                if query.measure in EXPORTED:
                    if isinstance(tickets, QueryError):
                        raise tickets
                    assert tickets is not None
                    value = self._from_export(query, request, tickets)
                else:
                    value = self._from_api(query, request)
            except QueryError as error:
                log.info("zendesk.query_failed", source=self.context.source, error=str(error))
                results.append(RequestFailed(request, error))
                continue
            results.append(Observation(request, value, upstream=self.describe(request)))
        return results

    def _export(self, start: datetime) -> list[ExportedTicket] | QueryError:
        # The export refuses start times less than a minute old.
        start = min(start.astimezone(UTC), datetime.now(UTC) - timedelta(minutes=2))
        try:
            return [
                ExportedTicket.from_json(ticket, metric)
                for ticket, metric in self.client.export_tickets(start)
            ]
        except QueryError as error:
            return error

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _from_api(self, query: ZendeskQuery, request: MetricRequest) -> float:
        window = request.window
        client = self.client
        if query.measure == "count":
            if window.is_snapshot:
                return float(client.search_count(with_ticket_type(query.search)))
            return float(
                client.search_count(in_window(query.search, query.by or "created", window))
            )
        if query.measure == "backlog":
            if not window.is_snapshot:
                raise self._fail("backlog is what Zendesk search reports now; use window: snapshot")
            return float(client.search_count(f"{with_ticket_type(query.search)} {BACKLOG}"))
        if query.measure == "solved_created_ratio":
            created = client.search_count(in_window(query.search, "created", window))
            if created == 0:
                raise self._fail(f"no tickets were created in {window}; the ratio is undefined")
            solved = client.search_count(in_window(query.search, "solved", window))
            return solved / created
        # csat: ratings are stamped in whole seconds; [start, end) becomes [⌈start⌉, ⌈end⌉ − 1].
        start, end = ceil(window.start.timestamp()), ceil(window.end.timestamp()) - 1
        good = bad = 0
        for rating in client.satisfaction_ratings("received", start, end):
            score = rating.get("score")
            good += score == "good"
            bad += score == "bad"
        if good + bad == 0:
            raise self._fail(f"no satisfaction ratings were received in {window}")
        return good / (good + bad)

    def _from_export(
        self, query: ZendeskQuery, request: MetricRequest, tickets: list[ExportedTicket]
    ) -> float:
        window = request.window
        if query.measure == "tickets":
            created = created_in(tickets, window)
            matching = [t for t in created if t.matches(query.where)]
            if not query.share:
                return float(len(matching))
            if not created:
                raise self._fail(f"no tickets were created in {window}; the share is undefined")
            return len(matching) / len(created)
        picked = solved_in(tickets, window) if query.by == "solved" else created_in(tickets, window)
        field = "reply_minutes" if query.measure == "first_reply_time" else "resolution_minutes"
        values = [
            float(minutes)
            for t in picked
            if t.matches(query.where)
            and (minutes := getattr(t, field).get(query.hours)) is not None
        ]
        if not values:
            raise self._fail(f"no ticket in {window} has a {query.measure.replace('_', ' ')} yet")
        return summarize(values, query.stat)

    # ---- the rest of the contract -----------------------------------------------------------

    def describe(self, request: MetricRequest) -> str:
        """The Zendesk call(s) behind a request, without credentials."""
        query = self._query(request)
        window = request.window
        base = self.config.base_url
        if query.measure == "count":
            search = (
                with_ticket_type(query.search)
                if window.is_snapshot
                else in_window(query.search, query.by or "created", window)
            )
            return f"search count {search!r} on {base}"
        if query.measure == "backlog":
            return f"search count {with_ticket_type(query.search) + ' ' + BACKLOG!r} on {base}"
        if query.measure == "solved_created_ratio":
            return (
                f"search count {in_window(query.search, 'solved', window)!r} ÷ "
                f"{in_window(query.search, 'created', window)!r} on {base}"
            )
        if query.measure == "csat":
            return f"share of good satisfaction ratings received in {window} on {base}"
        detail = query.model_dump(mode="json", exclude_defaults=True)
        return f"incremental ticket export with metric_sets, {detail} over {window} on {base}"

    def close(self) -> None:
        """Close the HTTP connection pool (idempotent)."""
        if self._client is not None and not self._closed:
            self._client.close()
            self._closed = True
