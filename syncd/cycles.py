"""A cycle's bounds in time, computed once for every part of syncd that needs them."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from syncd.abc import Window
from syncd.config.models import Cycle
from syncd.windows import local_midnight


def cycle_bounds(cycle: Cycle, tz: ZoneInfo) -> Window:
    """The cycle as a window: its first day 00:00 to the day after its last, local time, as UTC
    instants (so spans subtract in real time across a DST change)."""
    return _bounds(cycle.start, cycle.end, tz)


@cache
def _bounds(first: date, last: date, tz: ZoneInfo) -> Window:
    # Cached: progress asks for the same few cycles' bounds several times per KR.
    start = local_midnight(first, tz).astimezone(UTC)
    end = local_midnight(last + timedelta(days=1), tz).astimezone(UTC)
    return Window(start, end)
