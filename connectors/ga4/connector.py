"""The ``ga4`` connector: KR metrics from GA4 reports through the official Data API client."""

from __future__ import annotations

import difflib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from connectors.ga4 import errors, quota
from connectors.ga4.config import Ga4Query, Ga4SourceConfig
from connectors.ga4.kinds import metric_kind
from connectors.ga4.planner import Item, PlannedReport, batches, plan_reports
from connectors.ga4.quota import QuotaGovernor
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RawValue,
    RequestKey,
    SourceConfig,
    Strategy,
    ValueKind,
)
from syncd.errors import QueryError, SourceError, TransientSourceError
from syncd.evaluate import DayRule
from syncd.logs import get_logger

# The Data API client takes ~0.3 s to import: it loads where a client is built or an answer is
# read, never with a config that names a ga4 source (`syncd status` stays fast).
if TYPE_CHECKING:
    from google.analytics.data_v1beta import BetaAnalyticsDataClient
    from google.analytics.data_v1beta.types import Metadata, RunReportResponse

log = get_logger(__name__)

DEFAULT_ENDPOINT = "https://analyticsdata.googleapis.com"
_AGGREGATE_ROWS = {"total": "totals", "maximum": "maximums", "minimum": "minimums"}
SCHEMA_HINT = (
    "For a list of valid dimensions and metrics, see "
    "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
)

Answers = dict[RequestKey, RawValue | QueryError]


def property_zone(config: Ga4SourceConfig, timezone: ZoneInfo) -> ZoneInfo:
    """The property's reporting time zone: the source's ``timezone``, else the config's."""
    return ZoneInfo(config.timezone) if config.timezone else timezone


class Ga4Connector(Connector[Ga4SourceConfig, Ga4Query]):
    """Answers metric requests with as few Data API calls as the API allows.

    Requests sharing property, dimensions and filter are merged into one report (10 metrics,
    4 date ranges), reports go out 5 per ``batchRunReports`` (one batch of the runner each).
    Ratios are left to syncd's ``ratio`` metrics, which divide the two sums over the same days
    — never daily ratios. A refused metric or dimension fails only the requests using it.
    """

    sdk_modules = (
        "google.analytics.data_v1beta",
        "google.analytics.data_v1beta.types",
        "google.api_core.exceptions",
    )
    config_model = Ga4SourceConfig
    query_model = Ga4Query
    # A standard property answers up to 10 concurrent requests (the Data API's PropertyQuota
    # ``concurrentRequests``; 360 properties 50: set ``concurrency`` for those).
    default_concurrency: ClassVar[int] = 10

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The property (``property-123456789``): GA4's quota is per property."""
        assert isinstance(config, Ga4SourceConfig)
        return f"property-{config.property}"

    @classmethod
    def metric_collectors(cls) -> Sequence[object]:
        """The remaining-quota gauge, ``syncd_ga4_quota_remaining``."""
        return (quota.registry(),)

    @classmethod
    def traits(cls, config: Ga4SourceConfig, query: Ga4Query, timezone: ZoneInfo) -> QueryTraits:
        """Whole days of the property's zone; any past window; the metric's kind (a row count
        for ``aggregate: count``)."""
        kind = ValueKind.COUNT if query.aggregate == "count" else metric_kind(query.metric)
        return QueryTraits(day_zone=property_zone(config, timezone), kind=kind)

    def __init__(self, config: Ga4SourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.zone = property_zone(config, context.timezone)
        self.endpoint = config.endpoint or DEFAULT_ENDPOINT
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.sleep: Callable[[float], None] = time.sleep
        self._client: BetaAnalyticsDataClient | None = None
        self._lock = threading.Lock()
        self._governors: dict[str, QuotaGovernor] = {}
        self._metadata: dict[str, tuple[set[str], set[str]]] = {}
        self._notes: dict[RequestKey, list[str]] = {}

    # ---- plumbing ------------------------------------------------------------------------

    @property
    def client(self) -> BetaAnalyticsDataClient:
        """The Data API client (REST transport), built on first use."""
        from google.analytics.data_v1beta import BetaAnalyticsDataClient

        from connectors.ga4.auth import build_credentials

        with self._lock:
            if self._client is None:
                credentials = build_credentials(self.config, source=self.context.source)
                options: dict[str, Any] = {}
                if self.config.endpoint:
                    options["api_endpoint"] = self.config.endpoint
                self._client = BetaAnalyticsDataClient(
                    transport="rest", credentials=credentials, client_options=options or None
                )
            return self._client

    def governor(self, prop: str) -> QuotaGovernor:
        """The quota state of ``prop``."""
        with self._lock:
            if prop not in self._governors:
                self._governors[prop] = QuotaGovernor(
                    source=self.context.source,
                    endpoint=self.endpoint,
                    prop=prop,
                    reserve_tokens=self.config.quota_reserve_tokens,
                    max_pace_seconds=self.config.max_pace_seconds,
                    clock=lambda: self.clock(),
                    sleep=lambda seconds: self.sleep(seconds),
                )
            return self._governors[prop]

    def classify(self, exc: Exception) -> SourceError | None:
        """The Data API client's exceptions through the shared table; a 5xx beyond the
        property's hourly retry budget is not retried."""
        from google.api_core import exceptions as api

        error = errors.classify(exc, source=self.context.source, now=self.clock())
        if (
            type(error) is TransientSourceError
            and isinstance(exc, api.GoogleAPICallError)
            and exc.code is not None
            and int(exc.code) >= 500
        ):
            prop = errors.property_of(exc) or self.config.property
            budget = self.config.server_error_retries
            if not quota.count_server_error((self.endpoint, prop), self.clock(), budget):
                return errors.ServerErrorBudgetSpent(
                    f"{error}; not retried: this hour's server-error retries ({budget}) are spent",
                    source=self.context.source,
                )
        return error

    def _item(self, request: MetricRequest[Ga4Query]) -> Item:
        # Outside the planner (a direct caller) the days are the planner's rule's.
        days = request.days or DayRule(self.zone).span(request.window)
        assert days is not None  # snapshots are refused before
        return Item(
            request, request.query.property or self.config.property, (days.first, days.last)
        )

    def _snapshot_error(self) -> QueryError:
        return QueryError(
            f"{self.context.source}: GA4 reports periods, not moments: give the metric a window "
            "such as trailing_28d or cycle_to_date",
            source=self.context.source,
        )

    def _empty_days_error(self, item: Item) -> QueryError | None:
        first, last = item.dates
        if last >= first:
            return None
        return QueryError(
            f"{self.context.source}: the window {item.request.window} holds no whole day in "
            f"{self.zone.key}",
            source=self.context.source,
        )

    # ---- fetching ---------------------------------------------------------------------------

    def batches(
        self, requests: Sequence[MetricRequest[Ga4Query]]
    ) -> Iterable[Sequence[MetricRequest[Ga4Query]]]:
        """One batch per Data API call: the requests of up to 5 merged reports of a property."""
        return self._batches(requests, union_metrics=False)

    def _batches(
        self, requests: Sequence[MetricRequest[Ga4Query]], *, union_metrics: bool
    ) -> list[list[MetricRequest[Ga4Query]]]:
        singles = [[r] for r in requests if r.window.is_snapshot]
        items = [self._item(r) for r in requests if not r.window.is_snapshot]
        calls = [
            [item.request for report in reports for item in report.items]
            for _, reports in batches(plan_reports(items, union_metrics=union_metrics))
        ]
        return [*calls, *singles]

    def strategies(
        self, requests: Sequence[MetricRequest[Ga4Query]]
    ) -> Sequence[Sequence[Strategy[Ga4Query]]]:
        """Reports keyed by each date range's exact metric set, or by the union of the
        metrics of a property, dimensions and filter over up to 4 date ranges; a call per
        ``batchRunReports`` of up to 5 reports either way."""
        if not requests:
            return []
        exact = self._batches(requests, union_metrics=False)
        union = self._batches(requests, union_metrics=True)
        return [
            [
                Strategy("exact metric sets", exact, calls=len(exact)),
                Strategy("union of metrics", union, calls=len(union), answer=self.fetch_union),
            ]
        ]

    def fetch_union(
        self, batch: Sequence[MetricRequest[Ga4Query]]
    ) -> Mapping[RequestKey, RawValue | QueryError]:
        """:meth:`fetch_batch` with reports keyed by the union of their metrics."""
        return self._fetch(batch, union_metrics=True)

    def fetch_batch(
        self, batch: Sequence[MetricRequest[Ga4Query]]
    ) -> Mapping[RequestKey, RawValue | QueryError]:
        """The raw metric values (GA4's strings) of one ``runReport``/``batchRunReports``."""
        return self._fetch(batch, union_metrics=False)

    def _fetch(
        self, batch: Sequence[MetricRequest[Ga4Query]], *, union_metrics: bool
    ) -> Mapping[RequestKey, RawValue | QueryError]:
        answers: Answers = {}
        items: list[Item] = []
        for request in batch:
            if request.window.is_snapshot:
                answers[request.key] = self._snapshot_error()
                continue
            item = self._item(request)
            if (empty := self._empty_days_error(item)) is not None:
                answers[request.key] = empty
            else:
                items.append(item)
        for prop, reports in batches(plan_reports(items, union_metrics=union_metrics)):
            try:
                answers.update(self._run(prop, reports))
            except QueryError as refused:
                answers.update(self._diagnose(prop, [i for r in reports for i in r.items], refused))
        return answers

    def _run(self, prop: str, reports: list[PlannedReport]) -> Answers:
        from google.analytics.data_v1beta.types import BatchRunReportsRequest, RunReportRequest

        governor = self.governor(prop)
        bodies = [RunReportRequest.from_json(json.dumps(r.to_json())) for r in reports]
        timeout = self.config.timeout_seconds
        if len(bodies) == 1:
            what = f"runReport on property {prop}"

            def call() -> list[RunReportResponse]:
                return [self.client.run_report(bodies[0], retry=None, timeout=timeout)]
        else:
            what = f"batchRunReports ({len(bodies)} reports) on property {prop}"
            batch = BatchRunReportsRequest(property=f"properties/{prop}", requests=bodies)

            def call() -> list[RunReportResponse]:
                response = self.client.batch_run_reports(batch, retry=None, timeout=timeout)
                return list(response.reports)

        governor.before_call()
        try:
            responses = self.call(call, what=what)
        except errors.QuotaExhausted as exhausted:
            governor.pause(exhausted.scope, exhausted.until, str(exhausted))
            raise
        if len(responses) != len(reports):
            raise TransientSourceError(
                f"{self.context.source}: GA4 answered {len(responses)} reports for {len(reports)}",
                source=self.context.source,
            )
        quotas = [r.property_quota for r in responses if "property_quota" in r]
        if quotas:
            spent = sum(int(q.tokens_per_hour.consumed) for q in quotas)
            governor.observe(quotas[-1], cost=spent)
        log.debug("ga4.call", source=self.context.source, property=prop, reports=len(reports))
        answers: Answers = {}
        for report, response in zip(reports, responses, strict=True):
            answers.update(self._extract(report, response))
        return answers

    def _extract(self, report: PlannedReport, response: RunReportResponse) -> Answers:
        source = self.context.source
        zone = response.metadata.time_zone
        if zone and zone != self.zone.key:
            error = QueryError(
                f"{source}: GA4 property {report.property} reports in {zone}, but syncd counts "
                f"days in {self.zone.key}; set `timezone: {zone}` on the source",
                source=source,
            )
            return {item.request.key: error for item in report.items}
        notes: list[str] = []
        if response.metadata.data_loss_from_other_row:
            notes.append("some rows were folded into (other)")
        if response.metadata.subject_to_thresholding:
            notes.append("subject to thresholding: GA4 may have withheld small counts")
        if notes:
            log.warning(
                "ga4.data_quality",
                source=source,
                property=report.property,
                notes=notes,
                metrics=report.metrics,
            )
        metric_index = {h.name: i for i, h in enumerate(response.metric_headers)}
        answers: Answers = {}
        if not report.dimensions:
            headers = [h.name for h in response.dimension_headers]
            by_range: dict[tuple[str, str], str] = {}
            for row in response.rows:
                name = (
                    row.dimension_values[headers.index("dateRange")].value
                    if "dateRange" in headers
                    else "date_range_0"
                )
                for metric, index in metric_index.items():
                    by_range[(name, metric)] = row.metric_values[index].value
            for item in report.items:
                name = f"date_range_{report.ranges.index(item.dates)}"
                # GA4 leaves out a range whose metrics are all zero.
                answers[item.request.key] = by_range.get((name, item.query.metric), 0)
        else:
            for item in report.items:
                answers[item.request.key] = self._aggregate(item, response, metric_index)
        if notes:
            with self._lock:
                for item in report.items:
                    self._notes[item.request.key] = notes
        return answers

    @staticmethod
    def _aggregate(
        item: Item, response: RunReportResponse, metric_index: dict[str, int]
    ) -> RawValue:
        if item.query.aggregate == "count":
            return int(response.row_count)
        rows = getattr(response, _AGGREGATE_ROWS[item.query.aggregate])
        return rows[0].metric_values[metric_index[item.query.metric]].value if rows else 0

    # ---- refused requests ------------------------------------------------------------------

    def _get_metadata(self, prop: str) -> Metadata:
        from google.analytics.data_v1beta.types import GetMetadataRequest

        name = f"properties/{prop}/metadata"
        return self.call(
            lambda: self.client.get_metadata(
                GetMetadataRequest(name=name), retry=None, timeout=self.config.timeout_seconds
            ),
            what=f"getMetadata on property {prop}",
        )

    def _known_names(self, prop: str) -> tuple[set[str], set[str]]:
        if prop not in self._metadata:
            metadata = self._get_metadata(prop)
            self._metadata[prop] = (
                {m.api_name for m in metadata.metrics},
                {d.api_name for d in metadata.dimensions},
            )
        return self._metadata[prop]

    def _unknown(self, item: Item, metrics: set[str], dimensions: set[str]) -> str | None:
        def known(name: str, names: set[str]) -> bool:
            return name in names or name.split(":", 1)[0] in names

        def hint(name: str, names: set[str]) -> str:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            return f" (did you mean {close[0]!r}?)" if close else ""

        if not known(item.query.metric, metrics):
            return f"no metric {item.query.metric!r}{hint(item.query.metric, metrics)}"
        fields = [*item.query.dimensions, *_filter_fields(item.query.filter)]
        for name in fields:
            if not known(name, dimensions):
                return f"no dimension {name!r}{hint(name, dimensions)}"
        return None

    def _diagnose(self, prop: str, items: list[Item], refused: QueryError) -> Answers:
        """GA4 refused a call: fail the requests naming unknown fields, run the rest again
        (each alone if the metadata does not explain the refusal)."""
        source = self.context.source
        try:
            metrics, dimensions = self._known_names(prop)
        except QueryError:
            return {item.request.key: refused for item in items}
        answers: Answers = {}
        good: list[Item] = []
        for item in items:
            problem = self._unknown(item, metrics, dimensions)
            if problem is None:
                good.append(item)
                continue
            message = f"{source}: GA4 property {prop} has {problem}. {SCHEMA_HINT}"
            answers[item.request.key] = QueryError(message, source=source)
        groups = [good] if len(good) < len(items) else [[item] for item in good]
        for group in groups:
            if not group:
                continue
            try:
                for _, reports in batches(plan_reports(group)):
                    answers.update(self._run(prop, reports))
            except QueryError as error:
                if len(group) > 1:
                    answers.update(self._diagnose_each(prop, group))
                else:
                    answers[group[0].request.key] = error
        return answers

    def _diagnose_each(self, prop: str, items: list[Item]) -> Answers:
        answers: Answers = {}
        for item in items:
            try:
                answers.update(self._run(prop, plan_reports([item])))
            except QueryError as error:
                answers[item.request.key] = error
        return answers

    # ---- the rest of the contract -------------------------------------------------------------

    def describe(self, request: MetricRequest[Ga4Query]) -> str:
        """The report in words: property, metric, dimensions, filter and GA4 dates, and what
        GA4 said about the data (other row, thresholding) once it answered."""
        query = request.query
        text = f"GA4 property {query.property or self.config.property}: {query.metric}"
        if query.dimensions:
            text += f" by {', '.join(query.dimensions)} ({query.aggregate})"
        if query.filter:
            text += f" where {json.dumps(query.filter, sort_keys=True)}"
        if not request.window.is_snapshot:
            first, last = self._item(request).dates
            text += f" from {first.isoformat()} to {last.isoformat()} ({self.zone.key})"
        with self._lock:
            notes = self._notes.pop(request.key, None)
        return text + (f" [{'; '.join(notes)}]" if notes else "")

    def check(self) -> str:
        """Read the property's metadata (no quota tokens spent)."""
        prop = self.config.property
        metadata = self._get_metadata(prop)
        return (
            f"GA4 property {prop}: {len(metadata.metrics)} metrics and "
            f"{len(metadata.dimensions)} dimensions readable"
        )

    def close(self) -> None:
        """Close the client's HTTP session."""
        with self._lock:
            if self._client is not None:
                self._client.transport.close()  # type: ignore[no-untyped-call]
                self._client = None


def _filter_fields(spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return []
    names: list[str] = []
    for key, value in spec.items():
        if key in ("and", "or"):
            for inner in value:
                names += _filter_fields(inner)
        elif key == "not":
            names += _filter_fields(value)
        else:
            names.append(str(key))
    return names
