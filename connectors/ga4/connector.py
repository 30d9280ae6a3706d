"""The ``ga4`` connector: KR metrics from GA4 reports through the official Data API client."""

from __future__ import annotations

import difflib
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    BatchRunReportsRequest,
    GetMetadataRequest,
    RunReportRequest,
    RunReportResponse,
)

from connectors.ga4 import quota
from connectors.ga4.auth import build_credentials
from connectors.ga4.config import Ga4Query, Ga4SourceConfig
from connectors.ga4.dates import report_dates
from connectors.ga4.errors import QuotaExhausted, ServerErrorBudgetSpent, classify
from connectors.ga4.planner import Item, PlannedReport, batches, plan_reports
from connectors.ga4.quota import QuotaGovernor
from connectors.ga4.reporting import SCHEMA_HINT
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
)
from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError
from syncd.retry import call_upstream

log = structlog.get_logger(__name__)

DEFAULT_ENDPOINT = "https://analyticsdata.googleapis.com"
_AGGREGATE_ROWS = {"total": "totals", "maximum": "maximums", "minimum": "minimums"}


class Ga4Connector(Connector[Ga4SourceConfig, Ga4Query]):
    """Answers metric requests with as few Data API calls as the API allows.

    Requests sharing property, dimensions and filter are merged into one report (10 metrics,
    4 date ranges), reports go out 5 per ``batchRunReports``. Ratios are left to syncd's
    ``ratio`` metrics, which divide the two sums over the same window — never daily ratios.
    A refused metric or dimension fails only the requests using it.
    """

    config_model = Ga4SourceConfig
    query_model = Ga4Query

    @classmethod
    def metric_collectors(cls) -> Sequence[object]:
        """The remaining-quota gauge, ``syncd_ga4_quota_remaining``."""
        return (quota.REGISTRY,)

    def __init__(self, config: Ga4SourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.tz = ZoneInfo(config.timezone) if config.timezone else context.timezone
        self.endpoint = config.endpoint or DEFAULT_ENDPOINT
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.sleep: Callable[[float], None] = time.sleep
        self._client: BetaAnalyticsDataClient | None = None
        self._client_lock = threading.Lock()
        self._governors: dict[str, QuotaGovernor] = {}
        self._metadata: dict[str, tuple[set[str], set[str]]] = {}
        self._server_errors = 0

    # ---- plumbing ------------------------------------------------------------------------

    @property
    def client(self) -> BetaAnalyticsDataClient:
        """The Data API client (REST transport), built on first use."""
        with self._client_lock:
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

    def _query(self, request: MetricRequest) -> Ga4Query:
        if isinstance(request.query, Ga4Query):
            return request.query
        return Ga4Query.model_validate(request.query.model_dump())

    def _item(self, request: MetricRequest) -> Item:
        query = self._query(request)
        return Item(
            request,
            query,
            query.property or self.config.property,
            report_dates(request.window, self.tz),
        )

    def _upstream(self, prop: str, what: str, fn: Callable[[], Any]) -> Any:
        """One Data API call through the retry layer, its failure mapped onto syncd errors."""
        governor = self.governor(prop)

        def attempt() -> Any:
            governor.before_call()
            try:
                return fn()
            except Exception as exc:
                error = classify(exc, source=self.context.source, prop=prop, now=self.clock())
                if isinstance(error, QuotaExhausted):
                    governor.pause(error.scope, error.until, str(error))
                if type(error) is TransientSourceError and "server error" in str(error):
                    self._server_errors += 1
                    if self._server_errors > self.config.server_error_retries:
                        error = ServerErrorBudgetSpent(str(error), source=self.context.source)
                raise error from exc

        return call_upstream(attempt, self.context, what=what, sleep=self.sleep)

    # ---- collecting -----------------------------------------------------------------------

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """Answer every request; one result each."""
        results: list[CollectResult] = []
        items: list[Item] = []
        for request in requests:
            if request.window.is_snapshot:
                results.append(
                    RequestFailed(
                        request,
                        QueryError(
                            f"{self.context.source}: GA4 reports periods, not moments: give the "
                            "metric a window such as trailing_28d or cycle_to_date",
                            source=self.context.source,
                        ),
                    )
                )
            else:
                items.append(self._item(request))
        self._server_errors = 0
        stopped: SourceError | None = None
        answered = False
        for prop, reports in batches(plan_reports(items)):
            if stopped is not None:
                results += [RequestFailed(i.request, stopped) for r in reports for i in r.items]
                continue
            try:
                outcome = self._run(prop, reports)
            except QueryError:
                outcome = self._diagnose(prop, [i for r in reports for i in r.items])
            except AuthError:
                raise
            except SourceError as error:
                if not answered:
                    raise
                stopped = error
                results += [RequestFailed(i.request, error) for r in reports for i in r.items]
                continue
            answered = answered or any(isinstance(r, Observation) for r in outcome)
            results += outcome
        return results

    def _run(self, prop: str, reports: list[PlannedReport]) -> list[CollectResult]:
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

        responses: list[RunReportResponse] = self._upstream(prop, what, call)
        if len(responses) != len(reports):
            raise TransientSourceError(
                f"{self.context.source}: GA4 answered {len(responses)} reports for {len(reports)}",
                source=self.context.source,
            )
        quotas = [r.property_quota for r in responses if "property_quota" in r]
        if quotas:
            spent = sum(int(q.tokens_per_hour.consumed) for q in quotas)
            self.governor(prop).observe(quotas[-1], cost=spent)
        log.debug("ga4.call", source=self.context.source, property=prop, reports=len(reports))
        results: list[CollectResult] = []
        for report, response in zip(reports, responses, strict=True):
            results += self._extract(report, response)
        return results

    def _extract(self, report: PlannedReport, response: RunReportResponse) -> list[CollectResult]:
        source = self.context.source
        zone = response.metadata.time_zone
        if zone and zone != self.tz.key:
            error = QueryError(
                f"{source}: GA4 property {report.property} reports in {zone}, but syncd turned "
                f"the window into dates in {self.tz.key}; set `timezone: {zone}` on the source",
                source=source,
            )
            return [RequestFailed(item.request, error) for item in report.items]
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
        results: list[CollectResult] = []
        if not report.dimensions:
            headers = [h.name for h in response.dimension_headers]
            by_range: dict[tuple[str, str], float] = {}
            for row in response.rows:
                name = (
                    row.dimension_values[headers.index("dateRange")].value
                    if "dateRange" in headers
                    else "date_range_0"
                )
                for metric, index in metric_index.items():
                    by_range[(name, metric)] = float(row.metric_values[index].value)
            for item in report.items:
                name = f"date_range_{report.ranges.index(item.dates)}"
                value = by_range.get((name, item.query.metric), 0.0)
                results.append(self._observation(item, value, notes))
            return results
        for item in report.items:
            if item.query.aggregate == "count":
                value = float(response.row_count)
            else:
                rows = getattr(response, _AGGREGATE_ROWS[item.query.aggregate])
                index = metric_index[item.query.metric]
                value = float(rows[0].metric_values[index].value) if rows else 0.0
            results.append(self._observation(item, value, notes))
        return results

    def _observation(self, item: Item, value: float, notes: list[str]) -> Observation:
        upstream = self.describe(item.request)
        if notes:
            upstream += f" [{'; '.join(notes)}]"
        return Observation(item.request, value, upstream=upstream)

    # ---- refused requests ------------------------------------------------------------------

    def _known_names(self, prop: str) -> tuple[set[str], set[str]]:
        if prop not in self._metadata:
            name = f"properties/{prop}/metadata"
            metadata = self._upstream(
                prop,
                f"getMetadata on property {prop}",
                lambda: self.client.get_metadata(
                    GetMetadataRequest(name=name), retry=None, timeout=self.config.timeout_seconds
                ),
            )
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

    def _diagnose(self, prop: str, items: list[Item]) -> list[CollectResult]:
        """GA4 refused a call: fail the requests naming unknown fields, run the rest again
        (each alone if the metadata does not explain the refusal)."""
        source = self.context.source
        metrics, dimensions = self._known_names(prop)
        results: list[CollectResult] = []
        good: list[Item] = []
        for item in items:
            problem = self._unknown(item, metrics, dimensions)
            if problem is None:
                good.append(item)
                continue
            message = f"{source}: GA4 property {prop} has {problem}. {SCHEMA_HINT}"
            results.append(RequestFailed(item.request, QueryError(message, source=source)))
        groups = [good] if len(good) < len(items) else [[item] for item in good]
        for group in groups:
            if not group:
                continue
            try:
                for _, reports in batches(plan_reports(group)):
                    results += self._run(prop, reports)
            except QueryError as error:
                if len(group) > 1:
                    results += self._diagnose_each(prop, group)
                else:
                    results.append(RequestFailed(group[0].request, error))
        return results

    def _diagnose_each(self, prop: str, items: list[Item]) -> list[CollectResult]:
        results: list[CollectResult] = []
        for item in items:
            try:
                results += self._run(prop, plan_reports([item]))
            except QueryError as error:
                results.append(RequestFailed(item.request, error))
        return results

    # ---- the rest of the contract -------------------------------------------------------------

    def describe(self, request: MetricRequest) -> str:
        """The report in words: property, metric, dimensions, filter and GA4 dates."""
        item = self._item(request)
        query = item.query
        text = f"GA4 property {item.property}: {query.metric}"
        if query.dimensions:
            text += f" by {', '.join(query.dimensions)} ({query.aggregate})"
        if query.filter:
            text += f" where {json.dumps(query.filter, sort_keys=True)}"
        first, last = item.dates
        return f"{text} from {first.isoformat()} to {last.isoformat()} ({self.tz.key})"

    def close(self) -> None:
        """Close the client's HTTP session."""
        with self._client_lock:
            if self._client is not None:
                self._client.transport.close()
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
