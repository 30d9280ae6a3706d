"""Packing metric requests into as few Data API calls as the API allows.

Requests that share a property, dimensions and filter become one report: up to 10 metrics,
and — for reports without dimensions — up to 4 date ranges (each row then carries the
``dateRange`` dimension). Reports go out in ``batchRunReports`` calls of up to 5, one property
per call.
"""

from __future__ import annotations

import builtins
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connectors.ga4.config import Ga4Query
from connectors.ga4.filters import to_filter_expression
from syncd.abc import MetricRequest

MAX_METRICS = 10
MAX_DATE_RANGES = 4
MAX_BATCH = 5

DateSpan = tuple[date, date]


@dataclass(frozen=True)
class Item:
    """One metric request, resolved: its property and its GA4 dates (first, last inclusive),
    the days the planner decided (``request.days``)."""

    request: MetricRequest[Ga4Query]
    property: str
    dates: DateSpan

    @builtins.property
    def query(self) -> Ga4Query:
        return self.request.query


@dataclass
class PlannedReport:
    """One ``RunReportRequest`` and the requests its numbers answer."""

    property: str
    dimensions: tuple[str, ...]
    filter: dict[str, Any] | None
    metrics: list[str]
    ranges: list[DateSpan]
    items: list[Item] = field(default_factory=list)

    @builtins.property
    def aggregations(self) -> list[str]:
        wanted = {item.query.aggregate for item in self.items} - {"count"}
        names = {"total": "TOTAL", "maximum": "MAXIMUM", "minimum": "MINIMUM"}
        return sorted(names[a] for a in wanted) if self.dimensions else []

    def to_json(self) -> dict[str, Any]:
        """The request body (REST JSON), ``returnPropertyQuota`` set."""
        body: dict[str, Any] = {
            "property": f"properties/{self.property}",
            "metrics": [{"name": m} for m in self.metrics],
            "dateRanges": [
                {"startDate": first.isoformat(), "endDate": last.isoformat()}
                for first, last in self.ranges
            ],
            "returnPropertyQuota": True,
        }
        if self.dimensions:
            body["dimensions"] = [{"name": d} for d in self.dimensions]
            # Totals, extremes and rowCount cover every row whatever the limit: fetch one.
            body["limit"] = "1"
            if self.aggregations:
                body["metricAggregations"] = self.aggregations
        if self.filter is not None:
            body["dimensionFilter"] = to_filter_expression(self.filter)
        return body


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for index in range(0, len(values), size):
        yield values[index : index + size]


def plan_reports(items: list[Item], *, union_metrics: bool = False) -> list[PlannedReport]:
    """Reports answering every item, in a deterministic order: each date range's exact metric
    set per report, or (``union_metrics``, reports without dimensions) the union of a group's
    metrics asked over up to 4 of its ranges at once (GA4 answers every metric for every
    range; the combinations nobody asked cost nothing)."""
    groups: dict[tuple[str, tuple[str, ...], str], list[Item]] = defaultdict(list)
    for item in items:
        canonical = json.dumps(item.query.filter, sort_keys=True)
        groups[(item.property, item.query.dimensions, canonical)].append(item)
    reports: list[PlannedReport] = []
    for (prop, dimensions, _), members in sorted(groups.items()):
        by_range: dict[DateSpan, list[Item]] = defaultdict(list)
        for item in members:
            by_range[item.dates].append(item)
        if union_metrics and not dimensions:
            union = sorted({item.query.metric for item in members})
            for names in _chunks(union, MAX_METRICS):
                for group in _chunks(sorted(by_range), MAX_DATE_RANGES):
                    report = PlannedReport(prop, dimensions, members[0].query.filter, names, group)
                    report.items = [
                        item
                        for span in group
                        for item in by_range[span]
                        if item.query.metric in names
                    ]
                    if report.items:
                        reports.append(report)
            continue
        # metric chunk → the ranges asking exactly that chunk
        by_chunk: dict[tuple[str, ...], list[DateSpan]] = defaultdict(list)
        for span in sorted(by_range):
            metrics = sorted({item.query.metric for item in by_range[span]})
            for names in _chunks(metrics, MAX_METRICS):
                by_chunk[tuple(names)].append(span)
        per_report = 1 if dimensions else MAX_DATE_RANGES
        for chunk, spans in by_chunk.items():
            for group in _chunks(spans, per_report):
                report = PlannedReport(
                    prop, dimensions, members[0].query.filter, list(chunk), group
                )
                report.items = [
                    item for span in group for item in by_range[span] if item.query.metric in chunk
                ]
                reports.append(report)
    return reports


def batches(reports: list[PlannedReport]) -> list[tuple[str, list[PlannedReport]]]:
    """Reports grouped per property in calls of at most 5."""
    per_property: dict[str, list[PlannedReport]] = defaultdict(list)
    for report in reports:
        per_property[report.property].append(report)
    return [
        (prop, chunk)
        for prop, members in sorted(per_property.items())
        for chunk in _chunks(members, MAX_BATCH)
    ]
