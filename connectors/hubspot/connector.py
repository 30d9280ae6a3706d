"""The ``hubspot`` connector: CRM searches through ``hubspot-api-client``, one number each.

A ``count`` reads the search's ``total`` (one call). ``sum``/``avg``/``min``/``max`` page
through the matching records 200 at a time. HubSpot serves at most 10,000 results of one
search, so a window holding more is split in halves on its date property until every part
fits; a part that cannot be split (no date property, or more than 10,000 records at one
instant) fails the request: a number built from a truncated result is never returned.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.hubspot import scan
from connectors.hubspot.auth import AccessTokens, Grant
from connectors.hubspot.client import Apis, build_apis, build_tokens_api
from connectors.hubspot.config import MAX_FILTER_GROUPS, HubSpotQuery, HubSpotSourceConfig
from connectors.hubspot.errors import (
    TOKEN_EXCHANGE,
    VENDOR,
    CallFailed,
    ExpiredToken,
    classify,
    client_errors,
)
from connectors.hubspot.pipelines import PipelineInfo, resolve
from connectors.hubspot.search import MsRange, Resolved, filter_groups, window_range
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RawValue,
    RequestKey,
    SourceConfig,
    Strategy,
    UpstreamFloat,
    ValueKind,
)
from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError
from syncd.http import bad_body, parse_body
from syncd.limits import SourceLimiter
from syncd.logs import get_logger

# hubspot-api-client loads when the first call is made, never with a config that names a
# hubspot source (`syncd status` stays fast).
if TYPE_CHECKING:
    from hubspot.oauth import TokensApi

log = get_logger(__name__)

PAGE_SIZE = 200
RESULT_CAP = 10_000
_STABLE_ORDER = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
# A property value as HubSpot writes a number: no NaN, no Infinity, no "1_000", no spaces.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_KINDS = {"count": ValueKind.COUNT, "sum": ValueKind.SUM}
_UTC = ZoneInfo("UTC")
Json = Any


@dataclass(frozen=True)
class _Page:
    """One search answer: the announced total as sent, (id, properties) records, the cursor."""

    total: Json
    records: list[tuple[str, dict[str, Any]]]
    after: str | None


class HubSpotConnector(Connector[HubSpotSourceConfig, HubSpotQuery]):
    """Answers metric requests with CRM searches on deals, contacts, companies and tickets.

    A query naming something that does not exist (property, pipeline, stage) fails that
    request (:class:`~syncd.errors.QueryError`); rejected credentials fail the source.
    """

    sdk_modules = ("hubspot", "hubspot.crm.objects", "urllib3.util.retry")
    config_model = HubSpotSourceConfig
    query_model = HubSpotQuery

    def __init__(self, config: HubSpotSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.tokens = AccessTokens(config, self._exchange)
        self._apis: tuple[str, Apis] | None = None
        self._tokens_api: TokensApi | None = None
        self._pipelines: dict[str, list[PipelineInfo]] = {}
        self._scanned: dict[str, int] = {}  # records the last scan of each object type read
        self._lock = threading.Lock()

    # ---- what the framework asks -------------------------------------------------------------

    @classmethod
    def limiter_for(cls, config: SourceConfig) -> SourceLimiter:
        """``rate_limit`` when set, else one call every ``1 / search_requests_per_second``
        seconds (a window of one call: HubSpot counts searches over any sliding second)."""
        rate = getattr(config, "search_requests_per_second", None)
        if config.rate_limit is not None or not rate:
            return super().limiter_for(config)
        return SourceLimiter(
            requests=1,
            per_seconds=1.0 / rate,
            concurrency=config.concurrency or cls.default_concurrency,
        )

    @classmethod
    def traits(
        cls, config: HubSpotSourceConfig, query: HubSpotQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Without ``date_property`` a search reads the records as they are now; a ``date``
        property counts whole days of the config's zone (the dates people pick; HubSpot stores
        each as that date's UTC midnight); a datetime one exact instants. ``count`` is a
        count, ``sum`` a sum, ``avg``/``min``/``max`` a number."""
        kind = _KINDS.get(query.aggregate, ValueKind.NUMBER)
        if query.date_property is None:
            return QueryTraits(past_windows=False, past_snapshots=False, kind=kind)
        if query.date_type == "date":
            return QueryTraits(day_zone=timezone, kind=kind)
        return QueryTraits(kind=kind)

    def classify(self, exc: Exception) -> SourceError | None:
        what = "call"
        if isinstance(exc, CallFailed):
            what, exc = exc.what, exc.cause
        return classify(exc, source=self.context.source, what=what, secrets=self.tokens.secrets())

    def fetch(self, request: MetricRequest[HubSpotQuery]) -> RawValue:
        """One search (or one paged, possibly split search): the value as HubSpot sent it
        (``total``, a record's property text), or the sum/average of the records' values."""
        query = request.query
        resolved = self._resolved(query)
        bounds = self._bounds(request)
        if query.aggregate == "count":
            return self._count(query, bounds, resolved)
        return self._aggregate(request, self._values(query, bounds, resolved))

    def _aggregate(
        self, request: MetricRequest[HubSpotQuery], pairs: list[tuple[str, Any]]
    ) -> RawValue:
        """sum/avg/min/max of the (record id, property text) pairs, read strictly."""
        query = request.query
        values = [self._decimal(query, record_id, raw) for record_id, raw in pairs]
        if query.aggregate == "sum":
            return sum((number for number, _ in values), Decimal(0))
        if not values:
            raise QueryError(
                f"{self.context.source}: no {query.object} with a {query.property} "
                f"in {request.window}, so there is no {query.aggregate}",
                source=self.context.source,
            )
        if query.aggregate == "avg":
            return sum((number for number, _ in values), Decimal(0)) / len(values)
        pick = min if query.aggregate == "min" else max
        return pick(values, key=lambda pair: pair[0])[1]

    def strategies(
        self, requests: Sequence[MetricRequest[HubSpotQuery]]
    ) -> Sequence[Sequence[Strategy[HubSpotQuery]]]:
        """Per object type: a search each, or one shared paged search of the union of the
        requests (200 records a page) with each request's filters evaluated locally
        (:mod:`connectors.hubspot.scan`). The scan is estimated at the pages the object's
        last scan read, else at ``scan_max_pages``, which it never exceeds (beyond it, or
        beyond HubSpot's 10,000-result cap, the requests are searched one by one)."""
        by_object: dict[str, list[MetricRequest[HubSpotQuery]]] = {}
        for request in requests:
            by_object.setdefault(request.query.object, []).append(request)
        options: list[list[Strategy[HubSpotQuery]]] = []
        for object_type, group in by_object.items():
            local = [r for r in group if _scannable(r.query)]
            alone = [r for r in group if not _scannable(r.query)]
            if alone:
                options.append([Strategy("search each", [[r] for r in alone], calls=len(alone))])
            if not local:
                continue
            each = Strategy("search each", [[r] for r in local], calls=len(local))
            known = self._scanned.get(object_type)
            limit = self.config.scan_max_pages
            if limit == 0:
                options.append([each])
                continue
            shared = Strategy(
                f"one scan of {object_type}",
                [local],
                calls=limit if known is None else min(limit, max(1, math.ceil(known / PAGE_SIZE))),
                rows=known if known is not None else limit * PAGE_SIZE,
                answer=self.fetch_scan,
            )
            options.append([each, shared])
        return options

    def fetch_scan(
        self, batch: Sequence[MetricRequest[HubSpotQuery]]
    ) -> Mapping[RequestKey, RawValue | SourceError]:
        """Answer requests over one object type from one paged search of their union."""
        answers: dict[RequestKey, RawValue | SourceError] = {}
        prepared: list[tuple[MetricRequest[HubSpotQuery], list[list[dict[str, Any]]]]] = []
        for request in batch:
            try:
                bounds = self._bounds(request)
                groups = filter_groups(request.query, bounds, self._resolved(request.query))
            except QueryError as error:
                answers[request.key] = error
                continue
            prepared.append((request, groups))
        if not prepared:
            return answers
        first_query = prepared[0][0].query
        union = _union_groups([request for request, _ in prepared], self._bounds)
        wanted = scan.properties_of(group for _, groups in prepared for group in groups)
        wanted |= {r.query.property for r, _ in prepared if r.query.property is not None}
        properties = sorted(wanted)
        page = self._search(first_query, union, limit=PAGE_SIZE, after=None, properties=properties)
        total = self._total(first_query, page)
        self._scanned[first_query.object] = total
        if total > RESULT_CAP or math.ceil(total / PAGE_SIZE) > self.config.scan_max_pages:
            log.info("hubspot.scan_too_large", source=self.context.source, total=total)
            answers.update(super().fetch_batch([request for request, _ in prepared]))
            return answers
        records = list(page.records)
        while page.after is not None:
            page = self._search(
                first_query, union, limit=PAGE_SIZE, after=page.after, properties=properties
            )
            records += page.records
        if len(records) != total:
            raise TransientSourceError(
                f"{self.context.source}: {len(records)} {first_query.object} arrived but the "
                f"search announced {total}: records changed while paging",
                source=self.context.source,
            )
        for request, groups in prepared:
            matching = [(rid, props) for rid, props in records if scan.matches(groups, props)]
            try:
                if request.query.aggregate == "count":
                    answers[request.key] = len(matching)
                else:
                    name = request.query.property or ""
                    answers[request.key] = self._aggregate(
                        request, [(rid, props.get(name)) for rid, props in matching]
                    )
            except QueryError as error:
                answers[request.key] = error
        return answers

    def check(self) -> str:
        """Read the deal pipelines: proves the token, the endpoint and the CRM read scope."""
        pipelines = self._pipelines_of("deals")
        return f"{VENDOR} at {self.config.endpoint}: {len(pipelines)} deal pipelines readable"

    def describe(self, request: MetricRequest[HubSpotQuery]) -> str:
        """The search request in words: object, aggregate, filterGroups with the window bounds."""
        query = request.query
        bounds = self._bounds(request)
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
            if self._tokens_api is not None:
                self._tokens_api.api_client.rest_client.pool_manager.clear()
                self._tokens_api = None

    # ---- calls -------------------------------------------------------------------------------

    def _apis_for(self, token: str) -> Apis:
        with self._lock:
            if self._apis is None or self._apis[0] != token:
                if self._apis is not None:
                    self._apis[1].close()
                self._apis = (token, build_apis(self.config.endpoint, token))
            return self._apis[1]

    def _json(
        self, what: str, send: Callable[[], Any], shape: Callable[[Json], Any] | None = None
    ) -> Any:
        """One upstream call through :meth:`call`; its JSON body (numbers keep their text),
        read by ``shape`` inside the call, so a body of the wrong shape is retried too."""

        def once() -> Json:
            try:
                response = send()
                try:
                    data: bytes = response.data
                finally:
                    response.release_conn()
            except client_errors() as exc:
                raise CallFailed(what, exc) from exc
            body = self._parse(data, what)
            return shape(body) if shape is not None else body

        return self.call(once, what=what)

    def _parse(self, data: bytes, what: str) -> Json:
        text = data.decode("utf-8", errors="replace")
        return parse_body(text, source=self.context.source, vendor=VENDOR, what=what)

    def _malformed(self, what: str, missing: str) -> SourceError:
        return bad_body(
            source=self.context.source,
            vendor=VENDOR,
            what=what,
            problem=f"a document without {missing}",
        )

    def _authorized(
        self, what: str, send: Callable[[Apis], Any], shape: Callable[[Json], Any] | None = None
    ) -> Any:
        """A call with the current access token; an expired OAuth token is refreshed once."""
        for attempt in (1, 2):
            apis = self._apis_for(self.tokens.current())
            try:
                return self._json(what, functools.partial(send, apis), shape)
            except ExpiredToken:
                if attempt == 2 or not self.tokens.can_refresh:
                    raise
                log.info("hubspot.token_expired", source=self.context.source)
                self.tokens.invalidate()
        raise AssertionError("unreachable")

    def _exchange(self, refresh_token: str) -> Grant:
        """Trade the refresh token for an access token (``POST /oauth/v1/token``)."""
        oauth = self.config.oauth
        assert oauth is not None
        with self._lock:
            if self._tokens_api is None:
                self._tokens_api = build_tokens_api(self.config.endpoint)
            api = self._tokens_api
        body = self._json(
            TOKEN_EXCHANGE,
            lambda: api.create(
                grant_type="refresh_token",
                client_id=oauth.client_id,
                client_secret=oauth.client_secret.get_secret_value(),
                refresh_token=refresh_token,
                _request_timeout=self.config.timeout_seconds,
                _preload_content=False,
            ),
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(
                f"{self.context.source}: the OAuth token endpoint returned no access token",
                source=self.context.source,
            )
        expires = body.get("expires_in")
        renewed = body.get("refresh_token")
        return Grant(
            access_token=token,
            expires_in=float(expires) if isinstance(expires, int | float) else 0.0,
            refresh_token=renewed if isinstance(renewed, str) and renewed else None,
        )

    def _search(
        self,
        query: HubSpotQuery,
        groups: list[list[dict[str, Any]]],
        *,
        limit: int,
        after: str | None,
        properties: list[str],
    ) -> _Page:
        from hubspot.crm.objects import Filter, FilterGroup, PublicObjectSearchRequest

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
        what = f"search {query.object}" + (f" after {after}" if after else "")
        page: _Page = self._authorized(
            what,
            lambda apis: apis.search.do_search(
                query.object, body, _request_timeout=timeout, _preload_content=False
            ),
            lambda answer: self._page(answer, what),
        )
        return page

    def _page(self, answer: Json, what: str) -> _Page:
        if not isinstance(answer, dict) or "total" not in answer:
            raise self._malformed(what, "a total")
        results = answer.get("results")
        if not isinstance(results, list):
            raise self._malformed(what, "a results list")
        records: list[tuple[str, dict[str, Any]]] = []
        for item in results:
            properties = item.get("properties") if isinstance(item, dict) else None
            if not isinstance(properties, dict) or "id" not in item:
                raise self._malformed(what, "an id and properties for each result")
            records.append((str(item["id"]), properties))
        paging = answer.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        after = following.get("after") if isinstance(following, dict) else None
        return _Page(answer["total"], records, str(after) if after not in (None, "") else None)

    def _pipelines_of(self, object_type: str) -> list[PipelineInfo]:
        if object_type not in self._pipelines:
            what = f"pipelines of {object_type}"
            timeout = self.config.timeout_seconds
            answer = self._authorized(
                what,
                lambda apis: apis.pipelines.get_all(
                    object_type, _request_timeout=timeout, _preload_content=False
                ),
            )
            try:
                self._pipelines[object_type] = [
                    PipelineInfo(
                        id=str(p["id"]),
                        label=str(p["label"]),
                        stages=tuple((str(s["id"]), str(s["label"])) for s in p["stages"]),
                    )
                    for p in answer["results"]
                ]
            except (KeyError, TypeError):
                raise self._malformed(what, "pipelines with ids, labels and stages") from None
        return self._pipelines[object_type]

    # ---- values ------------------------------------------------------------------------------

    def _bounds(self, request: MetricRequest[HubSpotQuery]) -> MsRange | None:
        try:
            return window_range(request.query, request.window, request.days)
        except ValueError:
            raise QueryError(
                f"{self.context.source}: {request.query.date_property} is a date: the request "
                f"over {request.window} needs its whole UTC days (set by the planner)",
                source=self.context.source,
            ) from None

    def _resolved(self, query: HubSpotQuery) -> Resolved:
        if query.pipeline is None and not query.stages:
            return Resolved()
        return resolve(query, self._pipelines_of(query.object), self.context.source)

    def _count(self, query: HubSpotQuery, bounds: MsRange | None, resolved: Resolved) -> RawValue:
        groups = filter_groups(query, bounds, resolved)
        page = self._search(query, groups, limit=1, after=None, properties=["hs_object_id"])
        total: RawValue = page.total  # as sent: the runner checks it is a count
        return total

    def _total(self, query: HubSpotQuery, page: _Page) -> int:
        total = page.total
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            shown = total.text if isinstance(total, UpstreamFloat) else repr(total)
            raise QueryError(
                f"{self.context.source}: the {query.object} search announced a total of "
                f"{shown}, not a count of records",
                source=self.context.source,
            )
        return total

    def _values(
        self, query: HubSpotQuery, bounds: MsRange | None, resolved: Resolved
    ) -> list[tuple[str, Any]]:
        """(record id, raw value) of ``query.property`` in ``bounds``, split below the cap."""
        assert query.property is not None
        groups = filter_groups(query, bounds, resolved)
        properties = [query.property]
        first = self._search(query, groups, limit=PAGE_SIZE, after=None, properties=properties)
        total = self._total(query, first)
        if total > RESULT_CAP:
            halves = bounds.halves() if bounds is not None else None
            if halves is None:
                raise QueryError(self._uncappable(query, bounds, total), source=self.context.source)
            log.info(
                "hubspot.split_window",
                source=self.context.source,
                range=bounds.describe() if bounds else None,
                total=total,
            )
            return self._values(query, halves[0], resolved) + self._values(
                query, halves[1], resolved
            )
        records = list(first.records)
        after = first.after
        while after is not None:
            page = self._search(query, groups, limit=PAGE_SIZE, after=after, properties=properties)
            records += page.records
            after = page.after
        if len(records) != total:
            raise TransientSourceError(
                f"{self.context.source}: {len(records)} {query.object} arrived but the search "
                f"announced {total}: records changed while paging",
                source=self.context.source,
            )
        return [(record_id, props.get(query.property)) for record_id, props in records]

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

    def _decimal(self, query: HubSpotQuery, record_id: str, raw: Any) -> tuple[Decimal, str]:
        """A record's property text and its number, read strictly: the error names the
        record and quotes the text."""
        where = f"{self.context.source}: {query.property} of {query.object} {record_id} is"
        if not isinstance(raw, str) or not _DECIMAL.fullmatch(raw):
            raise QueryError(f"{where} {raw!r}, not a number", source=self.context.source)
        number = Decimal(raw)
        if not math.isfinite(float(number)):
            raise QueryError(f"{where} {raw!r}, not a finite number", source=self.context.source)
        return number, raw


def _scannable(query: HubSpotQuery) -> bool:
    """Whether a request's own filters can be evaluated locally."""
    filters = [*query.filters, *(item for group in query.any_of for item in group)]
    return all(item.operator in scan.LOCAL_OPERATORS for item in filters)


def _union_groups(
    requests: Sequence[MetricRequest[HubSpotQuery]],
    bounds_of: Callable[[MetricRequest[HubSpotQuery]], MsRange | None],
) -> list[list[dict[str, Any]]]:
    """Filter groups every record any request can match: per date property, the span from
    the earliest start to the latest end (at most HubSpot's five groups); no group (the
    whole object) when a request has no window or there are more date properties."""
    spans: dict[str, tuple[int, int]] = {}
    for request in requests:
        bounds = bounds_of(request)
        prop = request.query.date_property
        if bounds is None or prop is None:
            return []
        low, high = spans.get(prop, (bounds.start, bounds.end))
        spans[prop] = (min(low, bounds.start), max(high, bounds.end))
    if len(spans) > MAX_FILTER_GROUPS:
        return []
    return [
        [
            {"propertyName": prop, "operator": "GTE", "value": str(low)},
            {"propertyName": prop, "operator": "LT", "value": str(high)},
        ]
        for prop, (low, high) in sorted(spans.items())
    ]
