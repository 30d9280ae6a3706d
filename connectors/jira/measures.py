"""What syncd computes from the issues Jira returns: sums, averages, duration statistics."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from connectors.jira.wire import parse_moment
from syncd.errors import QueryError

SECONDS = {"days": 86400.0, "hours": 3600.0}


@dataclass(frozen=True)
class Field:
    """A field resolved against the site's field list: its id in issue JSON and JQL clause."""

    id: str
    clause: str
    name: str


def number(issue: dict[str, Any], field: Field, source: str) -> int | float | None:
    """``field`` of ``issue`` as Jira sent it; None when empty. Anything else than a finite
    JSON number is a ``QueryError`` naming the issue."""
    value = (issue.get("fields") or {}).get(field.id)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(
            f"{source}: {issue.get('key')} holds {value!r} in {field.name}, not a number",
            source=source,
        )
    if not math.isfinite(value):
        raise QueryError(
            f"{source}: {issue.get('key')} holds {value!r} in {field.name}, not a finite number",
            source=source,
        )
    return value


def span(
    issue: dict[str, Any], start: Field, end: Field, zone: ZoneInfo, unit: str, source: str
) -> float | None:
    """The time from ``start`` to ``end`` of ``issue`` in ``unit``; None when one is empty."""
    fields = issue.get("fields") or {}
    first, last = fields.get(start.id), fields.get(end.id)
    if first is None or last is None:
        return None
    try:
        seconds = (parse_moment(str(last), zone) - parse_moment(str(first), zone)).total_seconds()
    except ValueError:
        raise QueryError(
            f"{source}: {issue.get('key')} has {first!r} in {start.name} and {last!r} in "
            f"{end.name}; these are not Jira dates",
            source=source,
        ) from None
    return seconds / SECONDS[unit]


def summarize(values: Sequence[float], stat: str) -> float:
    """``median``, ``mean`` or ``pNN`` (linear interpolation between closest ranks)."""
    if stat == "median":
        return float(statistics.median(values))
    if stat == "mean":
        return statistics.fmean(values)
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[int(stat[1:]) - 1]
