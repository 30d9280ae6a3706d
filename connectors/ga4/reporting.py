"""The GA4 sandbox's report engine: a ``RunReportRequest`` (REST JSON) over the seeded facts.

It follows the Data API v1beta reference: date ranges in the property's zone (``YYYY-MM-DD``,
``today``, ``yesterday``, ``NdaysAgo``), a ``dateRange`` dimension appended when several ranges
are asked, dimension and metric filters, rows with all-zero metrics dropped unless
``keepEmptyRows``, ``orderBys``, ``rowCount`` before ``offset``/``limit`` (default 10,000,
at most 250,000), ``totals``/``maximums``/``minimums`` rows valued ``RESERVED_TOTAL``/``_MAX``/
``_MIN``, enums read as names or numbers and written as asked (``enum-encoding=int``).

Deliberate simplifications: every metric is a sum of daily counts (GA4 de-duplicates users
across days, the sandbox does not), and ``eventName`` combines with event-scoped metrics only.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from connectors.ga4.data import KEY_EVENTS, DailyFact

SCHEMA_HINT = (
    "For a list of valid dimensions and metrics, see "
    "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
)
MAX_LIMIT = 250_000
DEFAULT_LIMIT = 10_000

MATCH_TYPES = [
    "MATCH_TYPE_UNSPECIFIED",
    "EXACT",
    "BEGINS_WITH",
    "ENDS_WITH",
    "CONTAINS",
    "FULL_REGEXP",
    "PARTIAL_REGEXP",
]
OPERATIONS = [
    "OPERATION_UNSPECIFIED",
    "EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
]
ORDER_TYPES = ["ORDER_TYPE_UNSPECIFIED", "ALPHANUMERIC", "CASE_INSENSITIVE_ALPHANUMERIC", "NUMERIC"]
AGGREGATIONS = {
    0: "METRIC_AGGREGATION_UNSPECIFIED",
    1: "TOTAL",
    4: "COUNT",
    5: "MINIMUM",
    6: "MAXIMUM",
}
METRIC_TYPE_CODES = {"TYPE_INTEGER": 1, "TYPE_FLOAT": 2}


class ReportError(Exception):
    """A request the API refuses: ``status`` is the HTTP code, ``reason`` the gRPC status."""

    def __init__(self, message: str, status: int = 400, reason: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class FieldInfo:
    """One dimension or metric the sandbox property knows."""

    api_name: str
    ui_name: str
    description: str
    category: str
    metric_type: str = ""  # metrics only


DIMENSIONS: dict[str, FieldInfo] = {
    info.api_name: info
    for info in (
        FieldInfo("date", "Date", "The date of the event, formatted as YYYYMMDD.", "Time"),
        FieldInfo("yearMonth", "Year month", "The combined year and month.", "Time"),
        FieldInfo(
            "sessionDefaultChannelGroup",
            "Session default channel group",
            "The session's default channel group.",
            "Traffic source",
        ),
        FieldInfo("deviceCategory", "Device category", "desktop, mobile or tablet.", "Platform"),
        FieldInfo("landingPage", "Landing page", "The page path of the first pageview.", "Page"),
        FieldInfo("eventName", "Event name", "The name of the event.", "Event"),
    )
}
_BASE_METRICS: dict[str, tuple[str, str, Callable[[DailyFact], int]]] = {
    "sessions": ("Sessions", "The number of sessions.", lambda f: f.sessions),
    "totalUsers": ("Total users", "The number of distinct users.", lambda f: f.total_users),
    "newUsers": ("New users", "Users who interacted for the first time.", lambda f: f.new_users),
    "engagedSessions": (
        "Engaged sessions",
        "Sessions that lasted longer than 10 seconds or had a key event.",
        lambda f: f.engaged_sessions,
    ),
    "screenPageViews": (
        "Views",
        "The number of app screens or web pages viewed.",
        lambda f: f.page_views,
    ),
}
_EVENT_SCOPED = {"eventCount", "keyEvents"}
METRICS: dict[str, FieldInfo] = {
    **{
        name: FieldInfo(name, ui, text, "Session", "TYPE_INTEGER")
        for name, (ui, text, _) in _BASE_METRICS.items()
    },
    "eventCount": FieldInfo(
        "eventCount", "Event count", "The count of events.", "Event", "TYPE_INTEGER"
    ),
    "keyEvents": FieldInfo(
        "keyEvents", "Key events", "The count of key events.", "Event", "TYPE_INTEGER"
    ),
    **{
        f"keyEvents:{event}": FieldInfo(
            f"keyEvents:{event}",
            f"Key events ({event})",
            f"The count of {event} key events.",
            "Event",
            "TYPE_INTEGER",
        )
        for event in KEY_EVENTS
    },
    "engagementRate": FieldInfo(
        "engagementRate",
        "Engagement rate",
        "Engaged sessions divided by sessions.",
        "Session",
        "TYPE_FLOAT",
    ),
}


def _enum(value: Any, names: list[str] | dict[int, str], what: str) -> str:
    table = dict(enumerate(names)) if isinstance(names, list) else names
    if isinstance(value, int) and value in table:
        return table[value]
    if isinstance(value, str) and value in table.values():
        return value
    raise ReportError(f"Invalid value for {what}: {value!r}")


def parse_date(text: Any, today: date) -> date:
    """A Data API date: ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``NdaysAgo``."""
    if not isinstance(text, str):
        raise ReportError(f"Invalid date {text!r}")
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if match := re.fullmatch(r"(\d+)daysAgo", text):
        return today - timedelta(days=int(match.group(1)))
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> date:
    raise ReportError(f"Invalid date {text!r}: use YYYY-MM-DD, NdaysAgo, yesterday, or today")


def _numeric_value(spec: dict[str, Any]) -> float:
    if "int64Value" in spec:
        return float(int(spec["int64Value"]))
    if "doubleValue" in spec:
        return float(spec["doubleValue"])
    raise ReportError("A NumericValue needs int64Value or doubleValue")


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


Predicate = Callable[[dict[str, str]], bool]


def compile_filter(expression: dict[str, Any], known: Iterable[str], what: str) -> Predicate:
    """A predicate over a row's field values for a ``FilterExpression``."""
    known = set(known)
    if "andGroup" in expression or "orGroup" in expression:
        group = expression.get("andGroup") or expression.get("orGroup") or {}
        parts = [compile_filter(e, known, what) for e in group.get("expressions", [])]
        if "andGroup" in expression:
            return lambda row: all(p(row) for p in parts)
        return lambda row: any(p(row) for p in parts)
    if "notExpression" in expression:
        inner = compile_filter(expression["notExpression"], known, what)
        return lambda row: not inner(row)
    spec = expression.get("filter")
    if not isinstance(spec, dict):
        raise ReportError(f"Invalid {what}: a FilterExpression needs one of its fields")
    name = spec.get("fieldName", "")
    if name not in known:
        raise ReportError(
            f"Field {name} in {what} is not a valid field of this request. {SCHEMA_HINT}"
        )
    if "stringFilter" in spec:
        sf = spec["stringFilter"]
        match = _enum(sf.get("matchType", 0), MATCH_TYPES, "matchType")
        wanted, case = str(sf.get("value", "")), bool(sf.get("caseSensitive", False))
        flags = 0 if case else re.IGNORECASE
        if match in ("FULL_REGEXP", "PARTIAL_REGEXP"):
            try:
                pattern = re.compile(wanted, flags)
            except re.error as exc:
                raise ReportError(f"Invalid regular expression {wanted!r}: {exc}") from None
            if match == "FULL_REGEXP":
                return lambda row: pattern.fullmatch(row[name]) is not None
            return lambda row: pattern.search(row[name]) is not None
        fold: Callable[[str], str] = (lambda s: s) if case else str.lower
        target = fold(wanted)
        tests: dict[str, Callable[[str], bool]] = {
            "EXACT": lambda v: v == target,
            "MATCH_TYPE_UNSPECIFIED": lambda v: v == target,
            "BEGINS_WITH": lambda v: v.startswith(target),
            "ENDS_WITH": lambda v: v.endswith(target),
            "CONTAINS": lambda v: target in v,
        }
        test = tests[match]
        return lambda row: test(fold(row[name]))
    if "inListFilter" in spec:
        lf = spec["inListFilter"]
        case = bool(lf.get("caseSensitive", False))
        values = {v if case else v.lower() for v in lf.get("values", [])}
        return lambda row: (row[name] if case else row[name].lower()) in values
    if "numericFilter" in spec:
        nf = spec["numericFilter"]
        op = _enum(nf.get("operation", 0), OPERATIONS, "operation")
        bound = _numeric_value(nf.get("value", {}))
        compare: dict[str, Callable[[float], bool]] = {
            "EQUAL": lambda x: x == bound,
            "OPERATION_UNSPECIFIED": lambda x: x == bound,
            "LESS_THAN": lambda x: x < bound,
            "LESS_THAN_OR_EQUAL": lambda x: x <= bound,
            "GREATER_THAN": lambda x: x > bound,
            "GREATER_THAN_OR_EQUAL": lambda x: x >= bound,
        }
        check = compare[op]

        def numeric(row: dict[str, str]) -> bool:
            number = _as_number(row[name])
            return number is not None and check(number)

        return numeric
    if "betweenFilter" in spec:
        bf = spec["betweenFilter"]
        low, high = _numeric_value(bf.get("fromValue", {})), _numeric_value(bf.get("toValue", {}))

        def between(row: dict[str, str]) -> bool:
            number = _as_number(row[name])
            return number is not None and low <= number <= high

        return between
    if "emptyFilter" in spec:
        return lambda row: row[name] in ("", "(not set)")
    raise ReportError(f"Invalid {what}: the filter on {name} has no condition")


def _dimension_value(name: str, fact: DailyFact, event: str | None) -> str:
    if name == "date":
        return fact.day.strftime("%Y%m%d")
    if name == "yearMonth":
        return fact.day.strftime("%Y%m")
    if name == "sessionDefaultChannelGroup":
        return fact.channel
    if name == "deviceCategory":
        return fact.device
    if name == "landingPage":
        return fact.landing_page
    return event or ""


def _base_value(metric: str, fact: DailyFact, event: str | None) -> float:
    if metric in _BASE_METRICS:
        return _BASE_METRICS[metric][2](fact)
    if metric == "eventCount":
        return fact.events[event] if event else fact.event_count
    if metric == "keyEvents":
        if event:
            return fact.events[event] if event in KEY_EVENTS else 0
        return fact.key_events
    if metric.startswith("keyEvents:"):
        wanted = metric.split(":", 1)[1]
        if event:
            return fact.events[wanted] if event == wanted else 0
        return fact.events[wanted]
    raise KeyError(metric)


_DERIVED = {"engagementRate": ("engagedSessions", "sessions")}


def _sums_needed(metrics: list[str]) -> list[str]:
    needed: list[str] = []
    for metric in metrics:
        for base in _DERIVED.get(metric, (metric,)):
            if base not in needed:
                needed.append(base)
    return needed


def _final(metric: str, sums: dict[str, float]) -> float:
    if metric in _DERIVED:
        numerator, denominator = _DERIVED[metric]
        return sums[numerator] / sums[denominator] if sums[denominator] else 0.0
    return sums[metric]


def format_value(value: float, metric_type: str) -> str:
    """A metric value as the API writes it: a string."""
    if metric_type == "TYPE_INTEGER":
        return str(round(value))
    return repr(round(value, 12)) if math.isfinite(value) else "0"


@dataclass
class ReportOptions:
    """Sandbox behaviours that real properties show under some conditions."""

    other_row_after: int | None = None  # keep this many rows, fold the rest into "(other)"
    thresholding: bool = False  # flag reports with user metrics as subjectToThresholding
    currency: str = "CHF"


@dataclass
class Report:
    """A computed report and what it cost."""

    body: dict[str, Any]
    tokens: int
    thresholded: bool


def _names(items: Any, what: str) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ReportError(f"Invalid {what}")
    names = [str(i.get("name", "")) for i in items]
    if len(set(names)) != len(names):
        raise ReportError(f"Duplicate {what} names are not allowed")
    return names


def run_report(
    request: dict[str, Any],
    facts_by_day: dict[date, list[DailyFact]],
    *,
    today: date,
    time_zone: str,
    int_enums: bool,
    options: ReportOptions,
) -> Report:
    """Compute one report; raises :class:`ReportError` for a request GA4 would refuse."""
    dimensions = _names(request.get("dimensions"), "dimension")
    metrics = _names(request.get("metrics"), "metric")
    for name in dimensions:
        if name not in DIMENSIONS and not (name == "dateRange"):
            raise ReportError(f"Field {name} is not a valid dimension. {SCHEMA_HINT}")
    for name in metrics:
        if name not in METRICS:
            raise ReportError(f"Field {name} is not a valid metric. {SCHEMA_HINT}")
    if len(metrics) > 10:
        raise ReportError(f"Requests are limited to 10 metrics; this request has {len(metrics)}")
    if len(dimensions) > 9:
        raise ReportError(
            f"Requests are limited to 9 dimensions; this request has {len(dimensions)}"
        )
    uses_events = "eventName" in dimensions or "eventName" in _filter_fields(
        request.get("dimensionFilter")
    )
    if uses_events and (bad := [m for m in metrics if m.split(":")[0] not in _EVENT_SCOPED]):
        raise ReportError(
            f"The dimensions and metrics are incompatible: eventName cannot be combined with "
            f"{', '.join(bad)}. Please remove eventName or those metrics."
        )

    ranges_raw = request.get("dateRanges") or []
    if not 1 <= len(ranges_raw) <= 4:
        raise ReportError("A report needs between 1 and 4 date ranges")
    ranges: list[tuple[date, date, str]] = []
    for index, spec in enumerate(ranges_raw):
        start = parse_date(spec.get("startDate"), today)
        end = parse_date(spec.get("endDate"), today)
        if end < start:
            raise ReportError(f"The date range {index} ends ({end}) before it starts ({start})")
        name = spec.get("name") or f"date_range_{index}"
        if spec.get("name") and str(name).startswith(("date_range_", "RESERVED_")):
            raise ReportError(
                f"A date range name cannot begin with date_range_ or RESERVED_: {name}"
            )
        ranges.append((start, end, name))
    multi = len(ranges) > 1
    headers = [*dimensions] + (["dateRange"] if multi and "dateRange" not in dimensions else [])
    filter_fields = [d for d in DIMENSIONS]
    dimension_filter = (
        compile_filter(request["dimensionFilter"], filter_fields, "dimensionFilter")
        if request.get("dimensionFilter")
        else None
    )

    sums_needed = _sums_needed(metrics)
    grouped: dict[tuple[str, ...], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(sums_needed, 0.0)
    )
    events = [None] if not uses_events else None
    wanted = [
        d for d in DIMENSIONS if d in headers or d in _filter_fields(request.get("dimensionFilter"))
    ]
    for start, end, range_name in ranges:
        day = start
        while day <= end:
            for fact in facts_by_day.get(day, ()):
                for event in events or fact.events:
                    values = {d: _dimension_value(d, fact, event) for d in wanted}
                    if dimension_filter is not None and not dimension_filter(values):
                        continue
                    values["dateRange"] = range_name
                    key = tuple(values[d] for d in headers)
                    bucket = grouped[key]
                    for metric in sums_needed:
                        bucket[metric] += _base_value(metric, fact, event)
            day += timedelta(days=1)

    keep_empty = bool(request.get("keepEmptyRows"))
    rows = [
        (key, [_final(m, sums) for m in metrics], sums)
        for key, sums in grouped.items()
        if keep_empty or any(_final(m, sums) for m in metrics)
    ]
    if request.get("metricFilter"):
        metric_filter = compile_filter(request["metricFilter"], metrics, "metricFilter")
        rows = [
            r
            for r in rows
            if metric_filter({m: repr(v) for m, v in zip(metrics, r[1], strict=True)})
        ]

    data_loss = False
    if options.other_row_after is not None and len(rows) > options.other_row_after and headers:
        rows.sort(key=lambda r: (-(r[1][0] if r[1] else 0), r[0]))
        kept, folded = rows[: options.other_row_after], rows[options.other_row_after :]
        other_sums = dict.fromkeys(sums_needed, 0.0)
        for _, _, sums in folded:
            for metric in sums_needed:
                other_sums[metric] += sums[metric]
        other_key = tuple("(other)" for _ in headers)
        rows = [*kept, (other_key, [_final(m, other_sums) for m in metrics], other_sums)]
        data_loss = True

    rows = _ordered(rows, request.get("orderBys") or [], headers, metrics)
    limit = int(request.get("limit") or DEFAULT_LIMIT)
    offset = int(request.get("offset") or 0)
    if limit <= 0 or offset < 0:
        raise ReportError("limit must be positive and offset must not be negative")
    limit = min(limit, MAX_LIMIT)

    types = [METRICS[m].metric_type for m in metrics]

    def row_json(key: tuple[str, ...], values: list[float]) -> dict[str, Any]:
        return {
            "dimensionValues": [{"value": v} for v in key],
            "metricValues": [
                {"value": format_value(v, t)} for v, t in zip(values, types, strict=True)
            ],
        }

    body: dict[str, Any] = {}
    if headers:
        body["dimensionHeaders"] = [{"name": h} for h in headers]
    if metrics:
        body["metricHeaders"] = [
            {"name": m, "type": METRIC_TYPE_CODES[t] if int_enums else t}
            for m, t in zip(metrics, types, strict=True)
        ]
    page = rows[offset : offset + limit]
    if page:
        body["rows"] = [row_json(key, values) for key, values, _ in page]
    aggregations = [
        _enum(a, AGGREGATIONS, "metricAggregations")
        for a in request.get("metricAggregations") or []
    ]
    for aggregation, field, label in (
        ("TOTAL", "totals", "RESERVED_TOTAL"),
        ("MAXIMUM", "maximums", "RESERVED_MAX"),
        ("MINIMUM", "minimums", "RESERVED_MIN"),
    ):
        if aggregation in aggregations:
            body[field] = _aggregate_rows(rows, aggregation, label, headers, ranges, multi, metrics)
            body[field] = [row_json(key, values) for key, values in body[field]]
    if rows:
        body["rowCount"] = len(rows)
    thresholded = options.thresholding and any(m in ("totalUsers", "newUsers") for m in metrics)
    metadata: dict[str, Any] = {"currencyCode": options.currency, "timeZone": time_zone}
    if data_loss:
        metadata["dataLossFromOtherRow"] = True
    if thresholded:
        metadata["subjectToThresholding"] = True
    body["metadata"] = metadata
    body["kind"] = "analyticsData#runReport"
    days = sum((end - start).days + 1 for start, end, _ in ranges)
    return Report(body=body, tokens=1 + len(dimensions) + days // 30, thresholded=thresholded)


def _filter_fields(expression: Any) -> set[str]:
    if not isinstance(expression, dict):
        return set()
    fields: set[str] = set()
    for key in ("andGroup", "orGroup"):
        for inner in (expression.get(key) or {}).get("expressions", []):
            fields |= _filter_fields(inner)
    fields |= _filter_fields(expression.get("notExpression"))
    if isinstance(expression.get("filter"), dict):
        fields.add(str(expression["filter"].get("fieldName", "")))
    return fields


Row = tuple[tuple[str, ...], list[float], dict[str, float]]


def _aggregate_rows(
    rows: list[Row],
    aggregation: str,
    label: str,
    headers: list[str],
    ranges: list[tuple[date, date, str]],
    multi: bool,
    metrics: list[str],
) -> list[tuple[tuple[str, ...], list[float]]]:
    out: list[tuple[tuple[str, ...], list[float]]] = []
    for _, _, range_name in ranges if multi else [(None, None, None)]:
        index = headers.index("dateRange") if multi else -1
        members = [r for r in rows if not multi or r[0][index] == range_name]
        key = tuple(str(range_name) if multi and i == index else label for i in range(len(headers)))
        if aggregation == "TOTAL":
            sums: dict[str, float] = defaultdict(float)
            for _, _, row_sums in members:
                for metric, value in row_sums.items():
                    sums[metric] += value
            values = [_final(m, sums) if sums else 0.0 for m in metrics]
        else:
            pick = max if aggregation == "MAXIMUM" else min
            values = [pick((r[1][i] for r in members), default=0.0) for i in range(len(metrics))]
        out.append((key, values))
    return out


def _metric_of(index: int, row: Row) -> float:
    return row[1][index]


def _dimension_of(index: int, row: Row) -> str:
    return row[0][index]


def _folded_of(index: int, row: Row) -> str:
    return row[0][index].lower()


def _number_of(index: int, row: Row) -> float:
    return _as_number(row[0][index]) or 0.0


def _ordered(
    rows: list[Row], order_bys: list[dict[str, Any]], headers: list[str], metrics: list[str]
) -> list[Row]:
    if not order_bys:
        # GA4 documents no default order; the sandbox sorts by the dimension values.
        return sorted(rows, key=lambda r: r[0])
    ordered = sorted(rows, key=lambda r: r[0])
    for spec in reversed(order_bys):
        desc = bool(spec.get("desc"))
        if "metric" in spec:
            name = spec["metric"].get("metricName", "")
            if name not in metrics:
                raise ReportError(f"Field {name} in orderBys is not a metric of this request")
            index = metrics.index(name)
            ordered.sort(key=partial(_metric_of, index), reverse=desc)
        elif "dimension" in spec:
            name = spec["dimension"].get("dimensionName", "")
            if name not in headers:
                raise ReportError(f"Field {name} in orderBys is not a dimension of this request")
            index = headers.index(name)
            kind = _enum(spec["dimension"].get("orderType", 0), ORDER_TYPES, "orderType")
            if kind == "NUMERIC":
                ordered.sort(key=partial(_number_of, index), reverse=desc)
            elif kind == "CASE_INSENSITIVE_ALPHANUMERIC":
                ordered.sort(key=partial(_folded_of, index), reverse=desc)
            else:
                ordered.sort(key=partial(_dimension_of, index), reverse=desc)
        else:
            raise ReportError("An OrderBy needs metric or dimension")
    return ordered


def metadata_response(property_id: str, *, int_enums: bool) -> dict[str, Any]:
    """The ``Metadata`` of the sandbox property (``GET …/metadata``)."""
    return {
        "name": f"properties/{property_id}/metadata",
        "dimensions": [
            {
                "apiName": i.api_name,
                "uiName": i.ui_name,
                "description": i.description,
                "category": i.category,
            }
            for i in DIMENSIONS.values()
        ],
        "metrics": [
            {
                "apiName": i.api_name,
                "uiName": i.ui_name,
                "description": i.description,
                "type": METRIC_TYPE_CODES[i.metric_type] if int_enums else i.metric_type,
                "category": i.category,
            }
            for i in METRICS.values()
        ],
    }
