"""The ``salesforce`` connector: SOQL per metric request, through simple-salesforce."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

from connectors.salesforce.config import SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.errors import (
    ApiAllocationExhausted,
    SessionExpired,
    classify,
    refuse_bad_answers,
    status_error,
)
from connectors.salesforce.quota import QuotaGuard
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RawValue,
    RequestKey,
    SourceConfig,
    Strategy,
)
from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError
from syncd.limits import url_account
from syncd.logs import get_logger

# simple-salesforce (and requests) load when the first call is made, never with a config that
# names a salesforce source (`syncd status` stays fast).
if TYPE_CHECKING:
    import requests
    from simple_salesforce.api import Salesforce

log = get_logger(__name__)
T = TypeVar("T")
Record = dict[str, Any]
COMPOSITE_BATCH_LIMIT = 25
DEFAULT_BATCH_SIZE = 2000
"""Subrequests in one composite batch call (Salesforce REST API, Composite Batch)."""


class SalesforceConnector(Connector[SalesforceSourceConfig, SalesforceQuery]):
    """Answers each request with one SOQL query (and its ``nextRecordsUrl`` pages, on the
    instance's host only).

    Logs in lazily with the configured OAuth flow; an ``INVALID_SESSION_ID`` logs in again once
    per call. Every page is one :meth:`~syncd.abc.Connector.call`. ``REQUEST_LIMIT_EXCEEDED``
    pauses the source, and it stops by itself once ``max_api_share`` of the daily allocation is
    used; the requests left fail with :class:`~connectors.salesforce.errors.ApiAllocationExhausted`.
    """

    sdk_modules = ("simple_salesforce.api", "simple_salesforce.util")
    config_model = SalesforceSourceConfig
    query_model = SalesforceQuery

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The org: its instance's host, else its My Domain login; None behind the generic
        login hosts (login, test), which every org shares."""
        assert isinstance(config, SalesforceSourceConfig)
        if config.instance_url is not None:
            return url_account(config.instance_url)
        domain = config.login_domain
        return None if domain in ("login", "test") else domain

    def __init__(self, config: SalesforceSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._session: requests.Session | None = None
        self._client: Salesforce | None = None
        self._lock = threading.Lock()
        self.quota = QuotaGuard(
            f"{context.source}|{config.login_url}|{config.instance_url}",
            context.source,
            max_share=config.max_api_share,
            pause_seconds=config.pause_seconds,
        )

    @classmethod
    def traits(
        cls, config: SalesforceSourceConfig, query: SalesforceQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Date placeholders count whole days of the config's zone; a SOQL without window
        placeholders reads the present state; the kind follows the aggregate (``kind``)."""
        formats = query.template().window_formats
        return QueryTraits(
            day_zone=timezone if "date" in formats else None,
            past_windows=bool(formats),
            past_snapshots=bool(formats),
            kind=query.kind,
        )

    # ---- session ------------------------------------------------------------------------------

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        from simple_salesforce.api import Salesforce
        from simple_salesforce.util import Usage

        limit_info = response.headers.get("Sforce-Limit-Info")
        if limit_info:
            usage = Salesforce.parse_api_usage(limit_info).get("api-usage")
            if isinstance(usage, Usage):
                self.quota.observe(usage.used, usage.total)

    def _client_now(self) -> Salesforce:
        """The simple-salesforce client, logged in (one counted call) on first use."""
        with self._lock:
            # Imported under the lock: the first calls of a pass run on several threads at
            # once, and importing requests/urllib3 concurrently can end in a _DeadlockError.
            from simple_salesforce.api import Salesforce

            from connectors.salesforce.auth import http_session, login

            if self._session is None:
                self._session = http_session(self.config)
                self._session.hooks["response"].extend([self._observe, refuse_bad_answers])
            if self._client is None:
                session = self._session
                session_id, instance = self.call(
                    lambda: login(self.config, session), what="Salesforce login"
                )
                log.info(
                    "salesforce.logged_in", source=self.context.source, flow=self.config.auth.flow
                )
                self._client = Salesforce(
                    session_id=session_id,
                    instance=instance,
                    version=self.config.api_version,
                    session=session,
                )
            return self._client

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source, pause=self._pause)

    def _pause(self, message: str) -> ApiAllocationExhausted:
        return self.quota.pause(message)

    # ---- one upstream call ----------------------------------------------------------------------

    def _sdk(self, fn: Callable[[Salesforce], T], what: str) -> T:
        """``fn(client)`` as one counted call within the API allocation; a refused session is
        renewed once when the flow can log in again."""
        self.quota.check()
        client = self._client_now()
        from connectors.salesforce.auth import can_renew  # imported by _client_now, under its lock

        try:
            return self.call(lambda: fn(client), what=what)
        except SessionExpired:
            if not can_renew(self.config):
                raise
            log.info("salesforce.session_expired", source=self.context.source)
        with self._lock:
            if self._client is client:
                self._client = None
        client = self._client_now()
        try:
            return self.call(lambda: fn(client), what=what)
        except SessionExpired as again:
            raise AuthError(
                f"{self.context.source}: Salesforce rejected a fresh session: {again}",
                source=self.context.source,
            ) from None

    # ---- requests -------------------------------------------------------------------------------

    def render(self, request: MetricRequest[SalesforceQuery]) -> str:
        """The SOQL sent for ``request``: its days, instants and params rendered as literals."""
        query = request.query
        return query.template().render(
            request.window, request.days, self.context.timezone, query.params
        )

    def fetch(self, request: MetricRequest[SalesforceQuery]) -> RawValue:
        """The request's number: ``totalSize`` for ``COUNT()``, else its value column."""
        records, total = self._records(self.render(request))
        return self._value(request, records, total)

    def _value(
        self, request: MetricRequest[SalesforceQuery], records: list[Record], total: RawValue
    ) -> RawValue:
        if request.query.counts_records:
            return total
        return reduce_records(request.query, records, source=self.context.source)

    def strategies(
        self, requests: Sequence[MetricRequest[SalesforceQuery]]
    ) -> Sequence[Sequence[Strategy[SalesforceQuery]]]:
        """A query each, or the queries packed up to 25 into composite batch calls
        (``POST /services/data/vXX.X/composite/batch``); pages beyond the first are read
        alike either way. A composite subrequest takes no ``Sforce-Query-Options`` header, so
        with a ``batch_size`` below Salesforce's default of 2000 every query goes alone."""
        if not requests:
            return []
        each = Strategy("query each", [[r] for r in requests], calls=len(requests))
        if self.config.batch_size != DEFAULT_BATCH_SIZE:
            return [[each]]
        chunks = [
            list(requests[i : i + COMPOSITE_BATCH_LIMIT])
            for i in range(0, len(requests), COMPOSITE_BATCH_LIMIT)
        ]
        learn_usage = self.quota.usage is None and len(requests) > 1
        composite = Strategy(
            "composite batch",
            chunks,
            calls=len(chunks) + learn_usage,
            answer=self.fetch_composite,
        )
        return [[each, composite]]

    def fetch_composite(
        self, batch: Sequence[MetricRequest[SalesforceQuery]]
    ) -> Mapping[RequestKey, RawValue | SourceError]:
        """Up to 25 SOQL queries in one composite batch call; a subrequest Salesforce refuses
        fails its own request only. Each subrequest counts against the daily allocation, so
        a batch never holds more than ``max_api_share`` still allows (until Salesforce has
        reported the usage, the first query goes alone)."""
        answers: dict[RequestKey, RawValue | SourceError] = {}
        if self.quota.usage is None and len(batch) > 1:
            answers.update(super().fetch_batch(batch[:1]))
            batch = batch[1:]
        allowed = self.quota.allowance()
        if allowed is not None and allowed < len(batch):
            refused = self.quota.refusal() or self.quota.share_used()
            answers.update((request.key, refused) for request in batch[allowed:])
            batch = batch[:allowed]
        if batch:
            answers.update(self._composite(batch))
        return answers

    def _composite(
        self, batch: Sequence[MetricRequest[SalesforceQuery]]
    ) -> dict[RequestKey, RawValue | SourceError]:
        if len(batch) > COMPOSITE_BATCH_LIMIT:
            raise ValueError(f"a composite batch holds at most {COMPOSITE_BATCH_LIMIT} queries")
        version = self.config.api_version
        urls = [f"v{version}/query/?{urlencode({'q': self.render(r)})}" for r in batch]
        body = {
            "haltOnError": False,
            "batchRequests": [{"method": "GET", "url": url} for url in urls],
        }
        timeout = self.config.timeout_seconds
        what = f"composite batch of {len(batch)} SOQL queries"
        answer: Any = self._sdk(
            lambda sf: sf.restful("composite/batch", method="POST", json=body, timeout=timeout),
            what=what,
        )
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(batch):
            raise TransientSourceError(
                f"{self.context.source}: Salesforce answered the {what} without one result "
                "per subrequest",
                source=self.context.source,
            )
        answers: dict[RequestKey, RawValue | SourceError] = {}
        for request, result, url in zip(batch, results, urls, strict=True):
            try:
                page = self._subresult(result, url)
                records, total = self._rest_of(page)
                answers[request.key] = self._value(request, records, total)
            except QueryError as error:
                answers[request.key] = error
        return answers

    def _subresult(self, result: Any, url: str) -> Any:
        """A subrequest's query page, or its error mapped as a call's would be (a refused query
        fails its request, the allocation used up pauses the source, a server error retries
        the batch)."""
        status = result.get("statusCode") if isinstance(result, dict) else None
        body = result.get("result") if isinstance(result, dict) else None
        if status == 200 and isinstance(body, dict) and "records" in body:
            return body
        raise status_error(
            status if isinstance(status, int) else 502,
            body,
            path=url.split("?")[0],
            source=self.context.source,
            pause=self._pause,
        )

    def _records(self, soql: str) -> tuple[list[Record], RawValue]:
        page: Any = self._sdk(lambda sf: sf.query(soql, **self._query_options()), what="SOQL query")
        return self._rest_of(page)

    def _query_options(self) -> dict[str, Any]:
        return {
            "headers": {"Sforce-Query-Options": f"batchSize={self.config.batch_size}"},
            "timeout": self.config.timeout_seconds,
        }

    def _rest_of(self, page: Any) -> tuple[list[Record], RawValue]:
        """The records of a first query page and of the pages after it."""
        options = self._query_options()
        records = list(page["records"])
        while not page["done"]:
            path = self._next_page(str(page["nextRecordsUrl"]))

            def more(sf: Salesforce, path: str = path) -> Any:
                return sf.query_more(path, identifier_is_url=True, **options)

            page = self._sdk(more, what="SOQL query page")
            records.extend(page["records"])
        total: RawValue = page["totalSize"]  # as sent; the runner checks it is a count
        return records, total

    def _next_page(self, next_url: str) -> str:
        """``nextRecordsUrl`` as a path on the instance's host; elsewhere it is refused (the
        session token would go with it)."""
        instance = f"https://{self._client_now().sf_instance}"
        url = urljoin(instance + "/", next_url)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}".lower() != instance.lower():
            raise QueryError(
                f"{self.context.source}: Salesforce pointed the next page to "
                f"{parts.scheme}://{parts.netloc}, not {instance}; refusing to follow it",
                source=self.context.source,
            )
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def check(self) -> str:
        """Log in and read the org's limits (one call)."""
        limits = self._sdk(lambda sf: sf.limits(), what="limits")
        daily = limits.get("DailyApiRequests", {})
        return (
            f"logged in ({self.config.auth.flow}); {daily.get('Remaining')} of "
            f"{daily.get('Max')} daily API requests left"
        )

    def describe(self, request: MetricRequest[SalesforceQuery]) -> str:
        """The rendered SOQL and where it goes (no credentials)."""
        where = self.config.instance_url or self.config.login_url
        return f"SOQL {self.render(request)} on {where} (API v{self.config.api_version})"

    def close(self) -> None:
        """Close the HTTP session; safe to call twice."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
            self._client = None


def _lookup(record: Record, path: str) -> Any:
    """A field of a result row by name or dotted relationship path, ignoring case."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        if key is None:
            raise KeyError(path)
        current = current[key]
    return current


def _number(value: Any, column: str, source: str) -> int | float:
    """``value`` as sent, when it is a JSON number (the runner checks it is a sane one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(
            f"{source}: column {column!r} holds {type(value).__name__} {value!r}, not a number",
            source=source,
        )
    return value


def reduce_records(query: SalesforceQuery, records: list[Record], *, source: str) -> RawValue:
    """The one number ``query`` asks of ``records``: its value column as sent when there is one
    row, else folded by ``reduce`` (the runner checks what comes out)."""
    if query.reduce == "count":
        return len(records)
    column = query.value
    if column is None:
        columns = sorted({key for row in records for key in row if key != "attributes"})
        if len(columns) != 1:
            raise QueryError(
                f"{source}: the result has columns {', '.join(columns) or 'none'}; name the one "
                "to use with 'value' (an alias or expr0, expr1, …)",
                source=source,
            )
        column = columns[0]
    try:
        values = [_lookup(row, column) for row in records]
    except KeyError:
        raise QueryError(f"{source}: the result has no column {column!r}", source=source) from None
    if query.reduce is None and len(values) != 1:
        raise QueryError(
            f"{source}: the query returned {len(values)} rows; aggregate in SOQL or set "
            "'reduce' (sum, avg, min, max, count)",
            source=source,
        )
    present = [value for value in values if value is not None]
    if not present:
        if query.if_null is not None:
            return query.if_null
        raise QueryError(
            f"{source}: {column!r} is null (no matching records?); set 'if_null: 0' if that "
            "means zero",
            source=source,
        )
    if query.reduce is None:
        return _number(present[0], column, source)
    numbers = [float(_number(value, column, source)) for value in present]
    if query.reduce == "sum":
        return math.fsum(numbers)
    if query.reduce == "avg":
        return math.fsum(numbers) / len(numbers)
    return min(numbers) if query.reduce == "min" else max(numbers)
