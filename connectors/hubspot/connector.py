"""The ``hubspot`` connector: CRM searches through ``hubspot-api-client``, one number each.

A ``count`` reads the search's ``total`` (one call). ``sum``/``avg``/``min``/``max`` page
through the matching records 200 at a time. HubSpot serves at most 10,000 results of one
search, so a window holding more is split in halves on its date property until every part
fits; a part that cannot be split (no date property, or more than 10,000 records at one
instant) fails the request: a number built from a truncated result is never returned.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import structlog
from hubspot.crm.objects import Filter, FilterGroup, PublicObjectSearchRequest

from connectors.hubspot.auth import AccessTokens
from connectors.hubspot.client import Apis, Pacer, build_apis
from connectors.hubspot.config import HubSpotQuery, HubSpotSourceConfig
from connectors.hubspot.errors import CLIENT_ERRORS, ExpiredToken, classify
from connectors.hubspot.pipelines import PipelineInfo, resolve
from connectors.hubspot.search import MsRange, Resolved, filter_groups, window_range
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
)
from syncd.errors import QueryError, TransientSourceError
from syncd.retry import call_upstream

log = structlog.get_logger(__name__)

T = TypeVar("T")
PAGE_SIZE = 200
RESULT_CAP = 10_000
_STABLE_ORDER = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]


class HubSpotConnector(Connector[HubSpotSourceConfig, HubSpotQuery]):
    """Answers metric requests with CRM searches on deals, contacts, companies and tickets.

    A query naming something that does not exist (property, pipeline, stage) fails that
    request (:class:`~syncd.errors.QueryError`); rejected credentials
    (:class:`~syncd.errors.AuthError`), rate limits and outages still failing after retries
    fail the whole source.
    """

    config_model = HubSpotSourceConfig
    query_model = HubSpotQuery

    def __init__(self, config: HubSpotSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.tokens = AccessTokens(config, context)
        self._pacer = Pacer(config.search_requests_per_second)
        self._apis: tuple[str, Apis] | None = None
        self._pipelines: dict[str, list[PipelineInfo]] = {}
        self._lock = threading.Lock()

    # ---- calls -------------------------------------------------------------------------------

    def _apis_for(self, token: str) -> Apis:
        with self._lock:
            if self._apis is None or self._apis[0] != token:
                if self._apis is not None:
                    self._apis[1].close()
                self._apis = (token, build_apis(self.config.endpoint, token))
            return self._apis[1]

    def _call(self, what: str, fn: Callable[[Apis], T], *, search: bool) -> T:
        """One upstream call, retried by ``call_upstream``; an expired OAuth token is
        refreshed once."""
        source = self.context.source
        for attempt in range(2):
            apis = self._apis_for(self.tokens.current())

            def once(apis: Apis = apis) -> T:
                if search:
                    self._pacer.wait()
                try:
                    return fn(apis)
                except CLIENT_ERRORS as exc:
                    raise classify(
                        exc, source=source, what=what, secrets=self.tokens.secrets()
                    ) from None

            try:
                return call_upstream(once, self.context, what=what)
            except ExpiredToken:
                if attempt or not self.tokens.can_refresh:
                    raise
                log.info("hubspot.token_expired", source=source)
                self.tokens.invalidate()
        raise AssertionError("unreachable")

    def _search(
        self,
        query: HubSpotQuery,
        groups: list[list[dict[str, Any]]],
        *,
        limit: int,
        after: str | None,
        properties: list[str],
    ) -> Any:
        body = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(
                            property_name=item["propertyName"],
                            operator=item["operator"],
                            value=item.get("value"),
                            values=item.get("values"),
                            high_value=item.get("highValue"),
                        )
                        for item in group
                    ]
                )
                for group in groups
            ],
            properties=properties,
            sorts=_STABLE_ORDER,
            limit=limit,
            after=after,
        )
        timeout = self.config.timeout_seconds
        return self._call(
            f"search {query.object}" + (f" after {after}" if after else ""),
            lambda apis: apis.search.do_search(query.object, body, _request_timeout=timeout),
            search=True,
        )

    def _pipelines_of(self, object_type: str) -> list[PipelineInfo]:
        if object_type not in self._pipelines:
            timeout = self.config.timeout_seconds
            answer = self._call(
                f"pipelines of {object_type}",
                lambda apis: apis.pipelines.get_all(object_type, _request_timeout=timeout),
                search=False,
            )
            self._pipelines[object_type] = [
                PipelineInfo(
                    id=p.id, label=p.label, stages=tuple((s.id, s.label) for s in p.stages)
                )
                for p in answer.results
            ]
        return self._pipelines[object_type]

    # ---- values ------------------------------------------------------------------------------

    def _query(self, request: MetricRequest) -> HubSpotQuery:
        if isinstance(request.query, HubSpotQuery):
            return request.query
        return HubSpotQuery.model_validate(request.query.model_dump())

    def _resolved(self, query: HubSpotQuery) -> Resolved:
        if query.pipeline is None and not query.stages:
            return Resolved()
        return resolve(query, self._pipelines_of(query.object), self.context.source)

    def _count(self, query: HubSpotQuery, bounds: MsRange | None, resolved: Resolved) -> float:
        groups = filter_groups(query, bounds, resolved)
        page = self._search(query, groups, limit=1, after=None, properties=["hs_object_id"])
        return float(page.total)

    def _values(
        self, query: HubSpotQuery, bounds: MsRange | None, resolved: Resolved
    ) -> list[float]:
        """Every value of ``query.property`` in ``bounds``, split below the result cap."""
        assert query.property is not None
        groups = filter_groups(query, bounds, resolved)
        properties = [query.property]
        first = self._search(query, groups, limit=PAGE_SIZE, after=None, properties=properties)
        if first.total > RESULT_CAP:
            halves = bounds.halves() if bounds is not None else None
            if halves is None:
                raise QueryError(
                    self._uncappable(query, bounds, first.total), source=self.context.source
                )
            log.info(
                "hubspot.split_window",
                source=self.context.source,
                range=bounds.describe() if bounds else None,
                total=first.total,
            )
            return self._values(query, halves[0], resolved) + self._values(
                query, halves[1], resolved
            )
        records = list(first.results)
        after = _next_after(first)
        while after is not None:
            page = self._search(query, groups, limit=PAGE_SIZE, after=after, properties=properties)
            records += page.results
            after = _next_after(page)
        if len(records) != first.total:
            raise TransientSourceError(
                f"{self.context.source}: {len(records)} {query.object} arrived but the search "
                f"announced {first.total}: records changed while paging",
                source=self.context.source,
            )
        return [self._number(query, record) for record in records]

    def _uncappable(self, query: HubSpotQuery, bounds: MsRange | None, total: int) -> str:
        where = (
            f"in {bounds.describe()} (it cannot be split further)"
            if bounds is not None
            else "and the query has no date_property to split the window on"
        )
        return (
            f"{self.context.source}: the search matches {total} {query.object} {where}; HubSpot "
            f"returns at most {RESULT_CAP} results, so the {query.aggregate} would be wrong"
        )

    def _number(self, query: HubSpotQuery, record: Any) -> float:
        raw = (record.properties or {}).get(query.property)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise QueryError(
                f"{self.context.source}: {query.property} of {query.object} {record.id} is "
                f"{raw!r}, not a number",
                source=self.context.source,
            ) from None
        if not math.isfinite(number):
            raise QueryError(
                f"{self.context.source}: {query.property} of {query.object} {record.id} is "
                f"{raw!r}, not a finite number",
                source=self.context.source,
            )
        return number

    def _value(self, request: MetricRequest) -> float:
        query = self._query(request)
        resolved = self._resolved(query)
        bounds = window_range(query, request.window, self.context.timezone)
        if query.aggregate == "count":
            return self._count(query, bounds, resolved)
        values = self._values(query, bounds, resolved)
        if query.aggregate == "sum":
            return math.fsum(values)
        if not values:
            raise QueryError(
                f"{self.context.source}: no {query.object} with a {query.property} "
                f"in {request.window}, so there is no {query.aggregate}",
                source=self.context.source,
            )
        if query.aggregate == "avg":
            return math.fsum(values) / len(values)
        return min(values) if query.aggregate == "min" else max(values)

    # ---- the contract ------------------------------------------------------------------------

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """One search (or one paged, possibly split search) per request, in request order."""
        results: list[CollectResult] = []
        for request in requests:
            try:
                value = self._value(request)
            except QueryError as error:
                log.info("hubspot.query_failed", source=self.context.source, error=str(error))
                results.append(RequestFailed(request, error))
                continue
            results.append(Observation(request, value, upstream=self.describe(request)))
        return results

    def describe(self, request: MetricRequest) -> str:
        """The search request in words: object, aggregate, filterGroups with the window bounds."""
        query = self._query(request)
        bounds = window_range(query, request.window, self.context.timezone)
        groups = filter_groups(query, bounds, Resolved())
        named = ""
        if query.pipeline is not None:
            named += f" pipeline={query.pipeline!r}"
        if query.stages:
            named += f" stages={list(query.stages)!r}"
        what = "count" if query.aggregate == "count" else f"{query.aggregate}({query.property})"
        window = f" {query.date_property} in {bounds.describe()}" if bounds else " (no window)"
        return (
            f"{what} of POST {self.config.endpoint}/crm/v3/objects/{query.object}/search"
            f"{window}{named} filterGroups={json.dumps(groups, separators=(',', ':'))}"
        )

    def close(self) -> None:
        """Release the client's connection pools. Idempotent."""
        with self._lock:
            if self._apis is not None:
                self._apis[1].close()
                self._apis = None


def _next_after(page: Any) -> str | None:
    paging = getattr(page, "paging", None)
    following = getattr(paging, "next", None) if paging is not None else None
    return getattr(following, "after", None) if following is not None else None
