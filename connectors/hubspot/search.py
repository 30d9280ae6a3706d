"""Turning a query and a window into HubSpot search filter groups.

Windows become bounds on the query's ``date_property`` in milliseconds since the epoch:
``GTE start`` and ``LT end``. A ``date`` property (no time of day) is stored as UTC midnight,
so the query counts whole UTC days: its bounds are the midnights of the request's ``days``,
which the planner sets. A snapshot window counts the records dated up to its instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connectors.hubspot.config import HubSpotQuery
from syncd.abc import DaySpan, Window

DAY_MS = 86_400_000


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _midnight_ms(day: date) -> int:
    return _ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass(frozen=True)
class MsRange:
    """``[start, end)`` in milliseconds; splits stay on multiples of ``step`` (1 ms or a day)."""

    start: int
    end: int
    step: int = 1

    def halves(self) -> tuple[MsRange, MsRange] | None:
        """The two halves, or None when the range cannot be split any further."""
        middle = self.start + ((self.end - self.start) // 2 // self.step) * self.step
        if middle <= self.start or middle >= self.end:
            return None
        return MsRange(self.start, middle, self.step), MsRange(middle, self.end, self.step)

    def describe(self) -> str:
        def show(ms: int) -> str:
            return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")

        return f"[{show(self.start)}, {show(self.end)})"


def window_range(query: HubSpotQuery, window: Window, days: DaySpan | None) -> MsRange | None:
    """The range ``query.date_property`` must fall in, or None when the query has none.

    A ``date`` property reads the planner's whole UTC ``days``; a snapshot takes the records
    dated up to its instant (a date-only value is its UTC midnight, so comparing instants
    counts the snapshot's UTC day in).
    """
    if query.date_property is None:
        return None
    if window.is_snapshot:
        return MsRange(0, _ms(window.end) + 1, DAY_MS if query.date_type == "date" else 1)
    if query.date_type == "date":
        if days is None:
            raise ValueError("a date-only date_property needs the request's days")
        return MsRange(_midnight_ms(days.first), _midnight_ms(days.end), DAY_MS)
    return MsRange(_ms(window.start), _ms(window.end))


@dataclass(frozen=True)
class Resolved:
    """Pipeline and stage ids the query's labels resolved to."""

    pipeline_property: str | None = None
    pipeline_id: str | None = None
    stage_property: str | None = None
    stage_ids: tuple[str, ...] = ()


def filter_groups(
    query: HubSpotQuery, bounds: MsRange | None, resolved: Resolved
) -> list[list[dict[str, Any]]]:
    """The request's ``filterGroups``: each alternative AND-ed with the common filters."""
    common: list[dict[str, Any]] = []
    if bounds is not None and query.date_property is not None:
        common.append(
            {"propertyName": query.date_property, "operator": "GTE", "value": str(bounds.start)}
        )
        common.append(
            {"propertyName": query.date_property, "operator": "LT", "value": str(bounds.end)}
        )
    if resolved.pipeline_id is not None and resolved.pipeline_property is not None:
        common.append(
            {
                "propertyName": resolved.pipeline_property,
                "operator": "EQ",
                "value": resolved.pipeline_id,
            }
        )
    if resolved.stage_ids and resolved.stage_property is not None:
        common.append(
            {
                "propertyName": resolved.stage_property,
                "operator": "IN",
                "values": list(resolved.stage_ids),
            }
        )
    if query.property is not None:
        common.append({"propertyName": query.property, "operator": "HAS_PROPERTY"})
    common += [item.to_api() for item in query.filters]
    if not query.any_of:
        return [common] if common else []
    return [[*common, *(item.to_api() for item in group)] for group in query.any_of]
