"""The ``salesforce`` connector: SOQL per metric request, through simple-salesforce."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import requests
import structlog
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)
from simple_salesforce.util import Usage

from connectors.salesforce.auth import can_renew, http_session, login
from connectors.salesforce.config import SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.errors import classify, error_code, error_message
from connectors.salesforce.quota import QuotaGuard
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
)
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.retry import call_upstream

log = structlog.get_logger(__name__)
T = TypeVar("T")


class SalesforceConnector(Connector[SalesforceSourceConfig, SalesforceQuery]):
    """Answers each request with one SOQL query (and its ``nextRecordsUrl`` pages).

    Logs in lazily with the configured OAuth flow; an ``INVALID_SESSION_ID`` logs in again once
    per call. Every page is one :func:`~syncd.retry.call_upstream` call, so a retry never
    re-reads pages that already arrived. ``REQUEST_LIMIT_EXCEEDED`` pauses the source, and it
    stops by itself once ``max_api_share`` of the daily allocation is used; the requests left
    fail with :class:`~connectors.salesforce.errors.ApiAllocationExhausted`.
    """

    config_model = SalesforceSourceConfig
    query_model = SalesforceQuery

    def __init__(self, config: SalesforceSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._session: requests.Session | None = None
        self._client: Salesforce | None = None
        self._retry_after: float | None = None
        self.quota = QuotaGuard(
            f"{context.source}|{config.login_url}|{config.instance_url}",
            context.source,
            max_share=config.max_api_share,
            pause_seconds=config.pause_seconds,
        )

    # ---- session ------------------------------------------------------------------------------

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        header = response.headers.get("Retry-After")
        try:
            self._retry_after = float(header) if header is not None else None
        except ValueError:
            self._retry_after = None
        limit_info = response.headers.get("Sforce-Limit-Info")
        if limit_info:
            usage = Salesforce.parse_api_usage(limit_info).get("api-usage")
            if isinstance(usage, Usage):
                self.quota.observe(usage.used, usage.total)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = http_session(self.config)
            self._session.hooks["response"].append(self._observe)
        return self._session

    def _login(self) -> Salesforce:
        def attempt() -> tuple[str, str]:
            try:
                return login(self.config, self.session)
            except (SalesforceError, requests.RequestException, ValueError) as exc:
                raise self._classify(exc) from None

        session_id, instance = call_upstream(attempt, self.context, what="Salesforce login")
        log.info("salesforce.logged_in", source=self.context.source, flow=self.config.auth.flow)
        return Salesforce(
            session_id=session_id,
            instance=instance,
            version=self.config.api_version,
            session=self.session,
        )

    @property
    def client(self) -> Salesforce:
        """The simple-salesforce client, logged in on first use."""
        if self._client is None:
            self._client = self._login()
        return self._client

    def _classify(self, exc: Exception) -> SourceError:
        return classify(exc, source=self.context.source, retry_after=self._retry_after)

    # ---- one upstream call ----------------------------------------------------------------------

    def _call(self, fn: Callable[[Salesforce], T], what: str) -> T:
        """``fn(client)`` as one counted, retried upstream call within the API allocation."""
        self.quota.check()

        def attempt() -> T:
            try:
                return self._with_session(fn)
            except SalesforceRefusedRequest as exc:
                if error_code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    raise self.quota.pause(
                        f"{self.context.source}: Salesforce refused the call: "
                        f"REQUEST_LIMIT_EXCEEDED: {error_message(exc)}"
                    ) from None
                raise self._classify(exc) from None
            except (SalesforceError, requests.RequestException, ValueError) as exc:
                raise self._classify(exc) from None

        return call_upstream(attempt, self.context, what=what)

    def _with_session(self, fn: Callable[[Salesforce], T]) -> T:
        client = self.client
        try:
            return fn(client)
        except SalesforceExpiredSession as exc:
            if error_code(exc) != "INVALID_SESSION_ID" or not can_renew(self.config):
                raise
            log.info("salesforce.session_expired", source=self.context.source)
        self._client = None
        try:
            return fn(self.client)
        except SalesforceExpiredSession as exc:
            raise AuthError(
                f"{self.context.source}: Salesforce rejected a fresh session: "
                f"{error_code(exc)}: {error_message(exc)}",
                source=self.context.source,
            ) from None

    # ---- requests -------------------------------------------------------------------------------

    def _query(self, request: MetricRequest) -> SalesforceQuery:
        if isinstance(request.query, SalesforceQuery):
            return request.query
        return SalesforceQuery.model_validate(request.query.model_dump())

    def render(self, request: MetricRequest) -> str:
        """The SOQL sent for ``request``: its window and params rendered as literals."""
        query = self._query(request)
        return query.template().render(request.window, self.context.timezone, query.params)

    def _records(self, soql: str) -> tuple[list[dict[str, Any]], int]:
        options = {
            "headers": {"Sforce-Query-Options": f"batchSize={self.config.batch_size}"},
            "timeout": self.config.timeout_seconds,
        }
        page = self._call(lambda sf: sf.query(soql, **options), what="SOQL query")
        records = list(page["records"])
        while not page["done"]:
            url = page["nextRecordsUrl"]
            page = self._call(
                lambda sf, url=url: sf.query_more(url, identifier_is_url=True, **options),
                what="SOQL query page",
            )
            records.extend(page["records"])
        return records, int(page["totalSize"])

    def _value(self, request: MetricRequest) -> float:
        query = self._query(request)
        records, total = self._records(self.render(request))
        if query.counts_records:
            return float(total)
        return reduce_records(query, records, source=self.context.source)

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """One result per request, in request order.

        Rejected credentials or an unusable endpoint (TLS, API version) raise: they fail the
        whole source. A bad query, a throttled call or a server error fails that request only.
        """
        results: list[CollectResult] = []
        for request in requests:
            try:
                value = self._value(request)
            except (QueryError, RateLimited, TransientSourceError) as error:
                # This request failed; a paused or throttled source fails the rest fast too.
                log.info("salesforce.request_failed", source=self.context.source, error=str(error))
                results.append(RequestFailed(request, error))
                continue
            results.append(Observation(request, value, upstream=self.describe(request)))
        return results

    def describe(self, request: MetricRequest) -> str:
        """The rendered SOQL and where it goes (no credentials)."""
        where = self.config.instance_url or self.config.login_url
        return f"SOQL {self.render(request)} on {where} (API v{self.config.api_version})"

    def close(self) -> None:
        """Close the HTTP session; safe to call twice."""
        if self._session is not None:
            self._session.close()
            self._session = None
        self._client = None


def _lookup(record: dict[str, Any], path: str) -> Any:
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


def _number(value: Any, column: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(
            f"{source}: column {column!r} holds {type(value).__name__} {value!r}, not a number",
            source=source,
        )
    number = float(value)
    if not math.isfinite(number):
        raise QueryError(f"{source}: column {column!r} is {number}", source=source)
    return number


def reduce_records(query: SalesforceQuery, records: list[dict[str, Any]], *, source: str) -> float:
    """The one number ``query`` asks of ``records`` (its value column, folded by ``reduce``)."""
    if query.reduce == "count":
        return float(len(records))
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
    numbers = [_number(value, column, source) for value in values if value is not None]
    if not numbers:
        if query.if_null is not None:
            return query.if_null
        raise QueryError(
            f"{source}: {column!r} is null (no matching records?); set 'if_null: 0' if that "
            "means zero",
            source=source,
        )
    if query.reduce in (None, "sum"):
        return math.fsum(numbers)
    if query.reduce == "avg":
        return math.fsum(numbers) / len(numbers)
    return min(numbers) if query.reduce == "min" else max(numbers)
