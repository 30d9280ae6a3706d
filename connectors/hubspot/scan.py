"""Evaluating search filter groups on records read once, for HubSpot's shared scan.

Many requests over one object type can be answered from one paged search of their union
(every record any of them can match), each request's own ``filterGroups`` then evaluated here
on the records as HubSpot would: groups OR-ed, filters in a group AND-ed; a property compared
as an instant when the operand is epoch milliseconds and the value a date, as a number when
both are numbers, else as text ignoring case; ``HAS_PROPERTY`` true for a non-empty value.
Token searches (``CONTAINS_TOKEN``) are not evaluated here: such requests are searched alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

LOCAL_OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN"}
    | {"HAS_PROPERTY", "NOT_HAS_PROPERTY"}
)
_EPOCH_MS = re.compile(r"-?\d+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

Filter = dict[str, Any]
Properties = dict[str, Any]


def properties_of(groups: Iterable[Sequence[Filter]]) -> set[str]:
    """The properties ``groups`` read."""
    return {item["propertyName"] for group in groups for item in group}


def matches(groups: Sequence[Sequence[Filter]], record: Properties) -> bool:
    """Whether ``record`` matches any group (no group: every record)."""
    if not groups:
        return True
    return any(all(_holds(item, record) for item in group) for group in groups)


def _instant_ms(text: str) -> float | None:
    text = text.strip()
    if _EPOCH_MS.fullmatch(text):
        return float(int(text))
    try:
        if _DAY.fullmatch(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _pair(value: str, operand: Any) -> tuple[Any, Any]:
    """``value`` and ``operand`` in the type they compare by."""
    wanted = str(operand)
    if _EPOCH_MS.fullmatch(wanted.strip()) and not _EPOCH_MS.fullmatch(value.strip()):
        moment = _instant_ms(value)
        if moment is not None:
            return moment, float(int(wanted))
    left, right = _number(value), _number(wanted)
    if left is not None and right is not None:
        return left, right
    return value.lower(), wanted.lower()


def _holds(item: Filter, record: Properties) -> bool:
    op = item["operator"]
    raw = record.get(item["propertyName"])
    present = raw is not None and raw != ""
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    negative = op in ("NEQ", "NOT_IN")
    if not present:
        return negative
    value = str(raw)
    if op in ("IN", "NOT_IN"):
        found = any(left == right for left, right in (_pair(value, v) for v in item["values"]))
        return found if op == "IN" else not found
    left, right = _pair(value, item["value"])
    if type(left) is not type(right):
        return negative
    if op == "EQ":
        return bool(left == right)
    if op == "NEQ":
        return bool(left != right)
    if op == "BETWEEN":
        low, high = left, _pair(value, item["highValue"])[1]
        return bool(right <= low <= high)
    return bool(
        {"LT": left < right, "LTE": left <= right, "GT": left > right, "GTE": left >= right}[op]
    )
