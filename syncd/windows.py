"""KR windows: which period of data a measurement covers, given the moment it is taken for.

Spec strings (DESIGN §3):

- ``cycle_to_date``: from the cycle's first day to the measurement moment (capped at cycle end);
- ``trailing_<N>d``: the N days before the moment, in local wall-clock days (DST-safe);
- ``calendar_day|week|month|quarter``: the calendar period to date; at a period boundary (a
  daily slot at midnight) the period that just ended, complete;
- ``since:<YYYY-MM-DD>``: from that local date to the moment;
- ``snapshot``: a point in time (``start == end``), e.g. tickets open now.

All bounds are tz-aware; local dates are read in the configuration's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from syncd.abc import Window

WindowKind = Literal["cycle_to_date", "trailing", "calendar", "since", "snapshot"]
CalendarUnit = Literal["day", "week", "month", "quarter"]

_TRAILING = re.compile(r"^trailing_([1-9][0-9]{0,3})d$")
_CALENDAR = re.compile(r"^calendar_(day|week|month|quarter)$")
_SINCE = re.compile(r"^since:(\d{4}-\d{2}-\d{2})$")

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
"""Dates a config may name: their windows, previous periods and years stay far from the
limits of ``datetime`` (years 1 and 9999), whatever arithmetic follows."""

WINDOW_HELP = (
    "cycle_to_date, trailing_<N>d (e.g. trailing_28d), calendar_day, calendar_week, "
    "calendar_month, calendar_quarter, since:YYYY-MM-DD, snapshot"
)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local calendar day (zoneinfo resolves DST gaps forward)."""
    return datetime.combine(day, time(0), tzinfo=tz)


def shift_local(moment: datetime, tz: ZoneInfo, *, days: int = 0, years: int = 0) -> datetime:
    """Move by whole local days/years keeping the wall-clock time (DST-safe)."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    if years:
        try:
            local = local.replace(year=local.year + years)
        except ValueError:  # 29 February in a year without one
            local = local.replace(year=local.year + years, day=28)
    local += timedelta(days=days)
    return local.replace(tzinfo=tz)


@dataclass(frozen=True)
class WindowSpec:
    """A parsed window spec; :meth:`resolve` turns it into a concrete :class:`Window`."""

    kind: WindowKind
    days: int = 0
    unit: CalendarUnit | None = None
    since: date | None = None

    def resolve(self, as_of: datetime, tz: ZoneInfo, cycle_start: date, cycle_end: date) -> Window:
        """The window for a measurement taken for ``as_of`` (tz-aware) in a cycle.

        ``cycle_end`` is the cycle's last day, inclusive.
        """
        if as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        as_of = as_of.astimezone(tz)
        if self.kind == "snapshot":
            return Window(as_of, as_of)
        if self.kind == "cycle_to_date":
            start = local_midnight(cycle_start, tz)
            end = min(as_of, local_midnight(cycle_end + timedelta(days=1), tz))
            return Window(start, max(start, end))
        if self.kind == "trailing":
            return Window(shift_local(as_of, tz, days=-self.days), as_of)
        if self.kind == "since":
            assert self.since is not None
            start = local_midnight(self.since, tz)
            return Window(start, max(start, as_of))
        assert self.unit is not None
        # The instant just before as_of picks the period, so a midnight slot covers the full
        # period that just ended rather than an empty one.
        reference = (as_of - timedelta(microseconds=1)).astimezone(tz).date()
        return Window(local_midnight(period_start(reference, self.unit), tz), as_of)

    def __str__(self) -> str:
        if self.kind == "trailing":
            return f"trailing_{self.days}d"
        if self.kind == "calendar":
            return f"calendar_{self.unit}"
        if self.kind == "since":
            return f"since:{self.since}"
        return self.kind


def check_date(day: date) -> date:
    """``day`` if it is within ``EARLIEST_DATE``..``LATEST_DATE``; else ``ValueError``."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(
            f"date {day.isoformat()} is out of range: use a date from "
            f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"
        )
    return day


def period_start(day: date, unit: CalendarUnit) -> date:
    """The first day of the calendar period (ISO week: Monday) containing ``day``."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def parse_window(spec: str) -> WindowSpec:
    """Parse a window spec string; raises ``ValueError`` naming the accepted forms."""
    text = spec.strip()
    if text in ("cycle_to_date", "snapshot"):
        return WindowSpec(kind=text)  # type: ignore[arg-type]
    if match := _TRAILING.match(text):
        return WindowSpec(kind="trailing", days=int(match.group(1)))
    if match := _CALENDAR.match(text):
        return WindowSpec(kind="calendar", unit=match.group(1))  # type: ignore[arg-type]
    if match := _SINCE.match(text):
        try:
            return WindowSpec(kind="since", since=check_date(date.fromisoformat(match.group(1))))
        except ValueError as exc:
            raise ValueError(f"{spec!r}: {exc}") from exc
    raise ValueError(f"unknown window {spec!r}; use one of: {WINDOW_HELP}")


def previous_period(window: Window, tz: ZoneInfo) -> Window:
    """The span of equal local length just before ``window``.

    Lengths are wall-clock: 1 Oct – 21 Nov is 51 days even though a DST change makes it
    51 days and an hour, so the previous period starts at midnight too.
    """
    local_start = window.start.astimezone(tz).replace(tzinfo=None)
    length = window.end.astimezone(tz).replace(tzinfo=None) - local_start
    return Window((local_start - length).replace(tzinfo=tz), window.start)


def previous_year(window: Window, tz: ZoneInfo) -> Window:
    """The same local span one year earlier."""
    return Window(shift_local(window.start, tz, years=-1), shift_local(window.end, tz, years=-1))
