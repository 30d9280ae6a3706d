"""The ``zendesk`` connector: support KRs from Zendesk Support, over httpx.

Why httpx and not zenpy: zenpy builds every URL as ``https://{subdomain}.{domain}`` (a
sandbox or proxy needs process-wide ``ZENPY_FORCE_*`` environment variables), sleeps through
429s by itself in whole seconds outside our retry policy and call counting, and its search
generator silently stops at the 1,000-result cap ("we got what we could"), which would turn a
count into a wrong number. The five GET endpoints syncd reads are small JSON documents, so
syncd.http plus the endpoints in ``client.py`` give exact control of retries, pacing,
cursors and errors with less glue than wrapping zenpy's session, object model and caches.

How each measure reaches Zendesk (see :class:`~connectors.zendesk.config.ZendeskQuery`):
counts and the solved/created ratio use the search count API (one call per count, no cap);
CSAT pages through satisfaction ratings of the window; reply/resolution times and per-tag,
group or brand counts read the cursor-based incremental export with ticket metrics
sideloaded, once per ``collect`` for all such requests, never the capped paged search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.config import ZendeskQuery, ZendeskSourceConfig
from connectors.zendesk.measures import (
    ExportedTicket,
    created_in,
    in_window,
    parse_time,
    searched,
    solved_in,
    summarize,
    tags_searched,
    with_ticket_type,
)
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RateLimit,
    RawValue,
    RequestKey,
    SourceConfig,
    Strategy,
    ValueKind,
)
from syncd.errors import QueryError
from syncd.limits import SourceLimiter, url_account

EXPORTED = ("tickets", "first_reply_time", "full_resolution_time")
BACKLOG = "status>new status<hold"
"""Open or pending: the statuses between new and on-hold."""

_KINDS = {
    "count": ValueKind.COUNT,
    "backlog": ValueKind.COUNT,
    "solved_created_ratio": ValueKind.NUMBER,  # more can be solved than were created
    "csat": ValueKind.SHARE,
    "first_reply_time": ValueKind.DURATION,
    "full_resolution_time": ValueKind.DURATION,
}

Request = MetricRequest[ZendeskQuery]


class ZendeskConnector(Connector[ZendeskSourceConfig, ZendeskQuery]):
    """Answers support metrics from one Zendesk account."""

    sdk_modules = ("httpx",)
    config_model = ZendeskSourceConfig
    query_model = ZendeskQuery

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The account's host (``acme.zendesk.com``): Zendesk's budget is per account."""
        assert isinstance(config, ZendeskSourceConfig)
        return url_account(config.base_url)

    def __init__(
        self,
        config: ZendeskSourceConfig,
        context: ConnectorContext,
        *,
        client: ZendeskClient | None = None,
    ) -> None:
        super().__init__(config, context)
        self._client = client

    @classmethod
    def limiter_for(cls, config: SourceConfig) -> SourceLimiter:
        """The plan's per-minute budget (``requests_per_minute``) unless ``rate_limit`` is set."""
        assert isinstance(config, ZendeskSourceConfig)
        if config.rate_limit is None:
            budget = RateLimit(requests=config.requests_per_minute, per_seconds=60)
            config = config.model_copy(update={"rate_limit": budget})
        return super().limiter_for(config)

    @classmethod
    def traits(
        cls, config: ZendeskSourceConfig, query: ZendeskQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Search reports tickets as they are now: a snapshot (backlog, a count over a
        snapshot window) cannot be read for the past. Windows use exact instants."""
        kind = _KINDS.get(query.measure, ValueKind.COUNT)
        if query.measure == "tickets" and query.share:
            kind = ValueKind.SHARE
        return QueryTraits(past_snapshots=False, kind=kind)

    @property
    def client(self) -> ZendeskClient:
        if self._client is None:
            self._client = ZendeskClient(self.config, source=self.context.source, call=self.call)
        return self._client

    # ---- fetching ----------------------------------------------------------------------------

    def batches(self, requests: Sequence[Request]) -> list[list[Request]]:
        """One incremental export serves every export-based request; the rest go one by one."""
        exported = [r for r in requests if r.query.measure in EXPORTED]
        return ([exported] if exported else []) + [
            [r] for r in requests if r.query.measure not in EXPORTED
        ]

    def strategies(self, requests: Sequence[Request]) -> Sequence[Sequence[Strategy[ZendeskQuery]]]:
        """A search count each (two per ratio) and a ratings scan per CSAT window, or, sharing
        what is read anyway: counts and ratios over tags-only searches answered from the
        incremental export when it is downloaded for other measures, and every CSAT window
        from one ratings scan over their union. Export and rating pages are estimated at one
        call each way (the same export is read either way)."""
        if not requests:
            return []
        plain = [list(batch) for batch in self.batches(requests)]
        each = Strategy("search each", plain, calls=sum(map(_searches, plain)))
        exported = [r for r in requests if r.query.measure in EXPORTED]
        local = [r for r in requests if exported and _answerable_from_export(r)]
        ratings = [r for r in requests if r.query.measure == "csat"]
        if not local and len(ratings) < 2:
            return [[each]]
        shared_batches = [[*exported, *local]] if exported else []
        shared_batches += [ratings] if ratings else []
        done = {id(r) for batch in shared_batches for r in batch}
        shared_batches += [[r] for r in requests if id(r) not in done]
        shared = Strategy(
            "shared export and ratings",
            shared_batches,
            calls=sum(map(_searches, shared_batches)),
            answer=self.fetch_shared,
        )
        return [[each, shared]]

    def fetch_shared(self, batch: Sequence[Request]) -> Mapping[RequestKey, RawValue | QueryError]:
        """The export batch (its measures, and counts and ratios read from it), a batch of
        CSAT requests from one ratings scan, or a request alone."""
        if any(r.query.measure in EXPORTED for r in batch):
            return self.fetch_batch(batch)
        if len(batch) > 1 and all(r.query.measure == "csat" for r in batch):
            return self._csat_from_one_scan(batch)
        return super().fetch_batch(batch)

    def fetch_batch(self, batch: Sequence[Request]) -> Mapping[RequestKey, RawValue | QueryError]:
        if batch[0].query.measure not in EXPORTED and not any(
            r.query.measure in EXPORTED for r in batch
        ):
            return super().fetch_batch(batch)
        # The export refuses start times less than a minute old.
        start = min(r.window.start.astimezone(UTC) for r in batch)
        start = min(start, datetime.now(UTC) - timedelta(minutes=2))
        tickets = [
            ExportedTicket.from_json(ticket, metric)
            for ticket, metric in self.client.export_tickets(start)
        ]
        answers: dict[RequestKey, RawValue | QueryError] = {}
        for request in batch:
            try:
                answers[request.key] = self._from_export(request, tickets)
            except QueryError as error:
                answers[request.key] = error
        return answers

    def fetch(self, request: Request) -> RawValue:
        query, window = request.query, request.window
        client = self.client
        if query.measure == "count":
            if window.is_snapshot:
                return _raw(client.search_count(with_ticket_type(query.search)))
            return _raw(client.search_count(in_window(query.search, query.by or "created", window)))
        if query.measure == "backlog":
            if not window.is_snapshot:
                raise self._fail("backlog is what Zendesk search reports now; use window: snapshot")
            return _raw(client.search_count(f"{with_ticket_type(query.search)} {BACKLOG}"))
        if query.measure == "solved_created_ratio":
            created = _count(client.search_count(in_window(query.search, "created", window)))
            if created == 0:
                raise self._fail(f"no tickets were created in {window}; the ratio is undefined")
            solved = _count(client.search_count(in_window(query.search, "solved", window)))
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

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _csat_from_one_scan(
        self, batch: Sequence[Request]
    ) -> dict[RequestKey, RawValue | QueryError]:
        """Every CSAT window's share of good ratings from one scan of their union (seconds
        as :meth:`fetch` reads them: ``[⌈start⌉, ⌈end⌉ − 1]``)."""
        spans = {
            r.key: (ceil(r.window.start.timestamp()), ceil(r.window.end.timestamp()) - 1)
            for r in batch
        }
        first = min(start for start, _ in spans.values())
        last = max(end for _, end in spans.values())
        rated: list[tuple[float, object]] = []
        for rating in self.client.satisfaction_ratings("received", first, last):
            stamp = parse_time(rating.get("created_at"))
            if stamp is None:
                raise self._fail(f"a satisfaction rating without created_at: {rating.get('id')}")
            rated.append((stamp.timestamp(), rating.get("score")))
        answers: dict[RequestKey, RawValue | QueryError] = {}
        for request in batch:
            start, end = spans[request.key]
            scores = [score for stamp, score in rated if start <= stamp <= end]
            good, bad = scores.count("good"), scores.count("bad")
            if good + bad == 0:
                answers[request.key] = self._fail(
                    f"no satisfaction ratings were received in {request.window}"
                )
            else:
                answers[request.key] = good / (good + bad)
        return answers

    def _from_export(self, request: Request, tickets: list[ExportedTicket]) -> RawValue:
        query, window = request.query, request.window
        if query.measure in ("count", "solved_created_ratio"):
            return self._search_from_export(request, tickets)
        if query.measure == "tickets":
            created = created_in(tickets, window)
            matching = [t for t in created if t.matches(query.where)]
            if not query.share:
                return len(matching)
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

    def _search_from_export(self, request: Request, tickets: list[ExportedTicket]) -> RawValue:
        """A count or solved/created ratio over a tags-only search, from the export."""
        query, window = request.query, request.window
        tags = tags_searched(query.search)
        assert tags is not None  # only such requests join the export batch
        found = searched(tickets, tags)
        if query.measure == "count":
            by = query.by or "created"
            return len(solved_in(found, window) if by == "solved" else created_in(found, window))
        created = len(created_in(found, window))
        if created == 0:
            raise self._fail(f"no tickets were created in {window}; the ratio is undefined")
        return len(solved_in(found, window)) / created

    def check(self) -> str:
        """Who the credentials belong to (``GET /users/me``)."""
        me = self.client.me()
        user = me.get("user") if isinstance(me, dict) else None
        if not isinstance(user, dict) or user.get("id") is None:
            raise self._fail("the credentials were accepted but name no user")
        return f"signed in as {user.get('email') or user.get('name')} on {self.config.base_url}"

    # ---- the rest of the contract -----------------------------------------------------------

    def describe(self, request: Request) -> str:
        """The Zendesk call(s) behind a request, without credentials."""
        query = request.query
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
        if self._client is not None:
            self._client.close()
            self._client = None


def _raw(count: object) -> RawValue:
    """A count as Zendesk sent it, for the runner to check (a string, a float, a negative…)."""
    if isinstance(count, int | float | str) and not isinstance(count, bool):
        return count
    return repr(count)


def _count(count: object) -> int:
    """A count the connector computes with: a whole number ≥ 0, else a QueryError."""
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    raise QueryError(f"Zendesk sent the count {count!r}, not a whole number ≥ 0")


def _searches(batch: Sequence[Request]) -> int:
    """Calls a batch is estimated at: an export or ratings scan one, a ratio two searches."""
    if len(batch) > 1 or batch[0].query.measure in EXPORTED:
        return 1
    return 2 if batch[0].query.measure == "solved_created_ratio" else 1


def _answerable_from_export(request: Request) -> bool:
    """A count or ratio over a tags-only search, by created or solved time, over a window the
    export already covers (it leaves out the last minute)."""
    query, window = request.query, request.window
    if query.measure not in ("count", "solved_created_ratio") or window.is_snapshot:
        return False
    if query.by not in (None, "created", "solved"):
        return False
    if window.end > datetime.now(UTC) - timedelta(minutes=2):
        return False
    return tags_searched(query.search) is not None
