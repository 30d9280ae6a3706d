"""The values bound to a query's parameters for one window (never formatted into the SQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from connectors.sql.config import SqlQuery
from syncd.abc import DaySpan, Window

TimestampMode = Literal["aware", "local", "utc"]
BoundValue = str | int | float | bool | datetime | date


def _timestamp(moment: datetime, mode: TimestampMode, tz: ZoneInfo) -> datetime:
    if mode == "aware":
        return moment.astimezone(UTC)
    if mode == "local":
        return moment.astimezone(tz).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)


def window_values(
    window: Window, mode: TimestampMode, tz: ZoneInfo, days: DaySpan | None = None
) -> dict[str, BoundValue]:
    """``window_start``/``window_end`` as the database stores timestamps (``mode``), and
    ``start_date``/``end_date`` as the days the planner decided (end exclusive; without them,
    the local dates of the bounds in ``tz``)."""
    return {
        "window_start": _timestamp(window.start, mode, tz),
        "window_end": _timestamp(window.end, mode, tz),
        "start_date": days.first if days else window.start.astimezone(tz).date(),
        "end_date": days.end if days else window.end.astimezone(tz).date(),
    }


def bind_values(
    query: SqlQuery,
    window: Window,
    mode: TimestampMode,
    tz: ZoneInfo,
    days: DaySpan | None = None,
) -> dict[str, BoundValue]:
    """The value of every bind parameter ``query`` uses, and only those."""
    available: dict[str, BoundValue] = {**window_values(window, mode, tz, days), **query.params}
    return {name: available[name] for name in query.bind_names()}
