"""The search semantics of the HubSpot sandbox: filterGroups, sorts and paging over records.

A request body follows ``PublicObjectSearchRequest`` (the SDK's model): ``filterGroups`` are
OR-ed, the ``filters`` of one group AND-ed. Filter values arrive as strings and compare by the
property's type: numbers numerically, datetimes as milliseconds since the epoch (an ISO date or
datetime string is accepted too), strings and enumerations case-insensitively. ``BETWEEN`` is
inclusive at both ends; ``NEQ``/``NOT_IN``/``NOT_CONTAINS_TOKEN`` match records without the
property; ``CONTAINS_TOKEN`` matches a whole word, ``*`` as a wildcard.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from typing import Any

from connectors.hubspot.data import CrmRecord, PropertyType, parse_iso, property_type

MAX_LIMIT = 200
RESULT_CAP = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
DEFAULT_PROPERTIES = {
    "deals": ["dealname", "amount", "closedate", "pipeline", "dealstage"],
    "contacts": ["firstname", "lastname", "email"],
    "companies": ["name", "domain"],
    "tickets": [
        "content",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    ],
}
ALWAYS_RETURNED = ["createdate", "hs_lastmodifieddate", "hs_object_id"]
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}

Comparable = float | str


class SearchRejected(Exception):
    """The request is invalid; ``message`` is what HubSpot's 400 body says."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _to_ms(text: str) -> float:
    if re.fullmatch(r"-?\d+", text.strip()):
        return float(int(text))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        day = date.fromisoformat(text.strip())
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000
    moment = parse_iso(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


@functools.lru_cache(maxsize=200_000)
def typed(kind: PropertyType, text: str) -> Comparable:
    """``text`` as the value the property's type compares by; ValueError when it is not one."""
    if kind == "number":
        return float(text)
    if kind in ("datetime", "date"):
        return _to_ms(text)
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(text)
        return lowered
    return text.lower()


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[^\w@.*-]+", text.lower()) if token]


@dataclass(frozen=True)
class CompiledFilter:
    """One filter, its values already converted to the property's type."""

    prop: str
    kind: PropertyType
    operator: str
    value: Comparable | None
    high: Comparable | None
    values: tuple[Comparable, ...]
    token: str | None

    def matches(self, record: CrmRecord) -> bool:
        raw = record.properties.get(self.prop)
        present = raw is not None and raw != ""
        if self.operator == "HAS_PROPERTY":
            return present
        if self.operator == "NOT_HAS_PROPERTY":
            return not present
        if self.operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            found = present and any(
                fnmatchcase(word, self.token or "") for word in _tokens(str(raw))
            )
            return found if self.operator == "CONTAINS_TOKEN" else not found
        negative = self.operator in ("NEQ", "NOT_IN")
        if not present:
            return negative
        assert raw is not None
        try:
            value = typed(self.kind, raw)
        except ValueError:
            return negative
        return self._compare(value)

    def _compare(self, value: Comparable) -> bool:
        op, target = self.operator, self.value
        if op == "EQ":
            return value == target
        if op == "NEQ":
            return value != target
        if op == "IN":
            return value in self.values
        if op == "NOT_IN":
            return value not in self.values
        if op == "BETWEEN":
            assert target is not None and self.high is not None
            return _le(target, value) and _le(value, self.high)
        assert target is not None
        checks: dict[str, Callable[[], bool]] = {
            "LT": lambda: _lt(value, target),
            "LTE": lambda: _le(value, target),
            "GT": lambda: _lt(target, value),
            "GTE": lambda: _le(target, value),
        }
        return checks[op]()


def _lt(a: Comparable, b: Comparable) -> bool:
    return a < b if type(a) is type(b) else str(a) < str(b)  # type: ignore[operator]


def _le(a: Comparable, b: Comparable) -> bool:
    return a == b or _lt(a, b)


def _compile(object_type: str, raw: Any) -> CompiledFilter:
    if not isinstance(raw, dict):
        raise SearchRejected("Invalid input JSON: each filter must be an object")
    prop, operator = raw.get("propertyName"), raw.get("operator")
    if not isinstance(prop, str) or not prop:
        raise SearchRejected("Invalid input JSON: filter propertyName is required")
    if operator not in OPERATORS:
        raise SearchRejected(f"Invalid input JSON: unknown operator {operator!r}")
    kind = property_type(object_type, prop)
    if kind is None:
        raise SearchRejected(
            f'There was a problem with the request: Property "{prop}" does not exist'
        )

    def convert(value: Any, what: str) -> Comparable:
        if value is None:
            raise SearchRejected(f"{operator} filter on {prop} requires {what}")
        try:
            return typed(kind, str(value))
        except ValueError:
            raise SearchRejected(
                f"{value!r} is not a valid {kind} value for the property {prop}"
            ) from None

    value = high = None
    values: tuple[Comparable, ...] = ()
    token = None
    if operator in ("IN", "NOT_IN"):
        listed = raw.get("values")
        if not isinstance(listed, list) or not listed:
            raise SearchRejected(f"{operator} filter on {prop} requires a non-empty values list")
        values = tuple(convert(item, "values") for item in listed)
    elif operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        if raw.get("value") is None:
            raise SearchRejected(f"{operator} filter on {prop} requires a value")
        token = str(raw["value"]).lower()
    elif operator not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        value = convert(raw.get("value"), "a value")
        if operator == "BETWEEN":
            high = convert(raw.get("highValue"), "a highValue")
    return CompiledFilter(prop, kind, operator, value, high, values, token)


def compile_groups(object_type: str, raw_groups: Any) -> list[list[CompiledFilter]]:
    """The request's filterGroups compiled; raises SearchRejected when HubSpot would say 400."""
    if raw_groups is None:
        return []
    if not isinstance(raw_groups, list):
        raise SearchRejected("Invalid input JSON: filterGroups must be an array")
    if len(raw_groups) > MAX_GROUPS:
        raise SearchRejected(
            f"Too many filter groups: {len(raw_groups)}, the maximum is {MAX_GROUPS}"
        )
    groups: list[list[CompiledFilter]] = []
    total = 0
    for raw_group in raw_groups:
        filters = raw_group.get("filters") if isinstance(raw_group, dict) else None
        if not isinstance(filters, list) or not filters:
            raise SearchRejected("Invalid input JSON: each filter group needs filters")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise SearchRejected(
                f"Too many filters in a group: {len(filters)}, "
                f"the maximum is {MAX_FILTERS_PER_GROUP}"
            )
        total += len(filters)
        groups.append([_compile(object_type, item) for item in filters])
    if total > MAX_FILTERS:
        raise SearchRejected(f"Too many filters: {total}, the maximum is {MAX_FILTERS}")
    return groups


def matches(groups: list[list[CompiledFilter]], record: CrmRecord) -> bool:
    """True when the record satisfies any group (all of its filters); no groups: every record."""
    return not groups or any(all(f.matches(record) for f in group) for group in groups)


def _sort_spec(object_type: str, sorts: Any) -> tuple[str, bool] | None:
    if not sorts:
        return None
    if not isinstance(sorts, list):
        raise SearchRejected("Invalid input JSON: sorts must be an array")
    if len(sorts) > 1:
        raise SearchRejected("Only one sort is supported")
    sort = sorts[0]
    if isinstance(sort, str):
        name, descending = sort.lstrip("-"), sort.startswith("-")
    elif isinstance(sort, dict):
        name = str(sort.get("propertyName", ""))
        descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
    else:
        raise SearchRejected("Invalid input JSON: a sort is a property name or an object")
    if property_type(object_type, name) is None:
        raise SearchRejected(
            f'There was a problem with the request: Property "{name}" does not exist'
        )
    return name, descending


def ordered(object_type: str, records: list[CrmRecord], sorts: Any) -> list[CrmRecord]:
    """Records in the requested order (one sort), records without the value last, ties by id."""
    by_id = sorted(records, key=lambda r: int(r.id))
    spec = _sort_spec(object_type, sorts)
    if spec is None:
        return by_id
    name, descending = spec
    kind = property_type(object_type, name)
    assert kind is not None

    def key(record: CrmRecord) -> Comparable | None:
        raw = record.properties.get(name)
        if raw in (None, ""):
            return None
        try:
            return typed(kind, str(raw))
        except ValueError:
            return None

    present = [r for r in by_id if key(r) is not None]
    missing = [r for r in by_id if key(r) is None]
    present.sort(key=lambda r: key(r), reverse=descending)  # type: ignore[arg-type, return-value]
    return present + missing


def page_bounds(body: dict[str, Any]) -> tuple[int, int]:
    """``(offset, limit)`` from ``after`` and ``limit``; raises SearchRejected past the cap."""
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise SearchRejected("Invalid input JSON: limit must be a non-negative integer")
    if limit > MAX_LIMIT:
        raise SearchRejected(f"limit must be less than or equal to {MAX_LIMIT}")
    after = body.get("after")
    try:
        offset = int(after) if after not in (None, "") else 0
    except (TypeError, ValueError):
        raise SearchRejected(
            f"Invalid input JSON: after {after!r} is not a paging cursor"
        ) from None
    if offset < 0:
        raise SearchRejected("Invalid input JSON: after must not be negative")
    if offset >= RESULT_CAP:
        raise SearchRejected(
            f"The search endpoints are limited to {RESULT_CAP} total results for any given "
            f"query; paging beyond {RESULT_CAP} is not supported (after={offset})"
        )
    return offset, limit


def returned_properties(object_type: str, requested: Any) -> list[str]:
    """The properties a result carries: the requested ones (or the defaults) plus the basics."""
    names = requested if isinstance(requested, list) and requested else None
    chosen = [str(n) for n in names] if names else DEFAULT_PROPERTIES[object_type]
    return list(dict.fromkeys([*chosen, *ALWAYS_RETURNED]))
