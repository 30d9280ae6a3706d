"""A KR window turned into the whole days GA4 reports, in the property's time zone."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from syncd.abc import Window
from syncd.windows import local_midnight


def report_dates(window: Window, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last day (inclusive) of ``window`` as GA4 dates in ``tz``.

    GA4 reports whole days, so a day belongs to the window when its local midnight does: a
    window ending at midnight stops the day before, one ending at 14:00 includes that day so
    far, and one starting at 14:00 begins the next day. Adjacent windows so never count a day
    twice. A window within one day (no midnight inside) reads that day.
    """
    start = window.start.astimezone(tz)
    end = window.end.astimezone(tz)
    first = start.date()
    if start > local_midnight(first, tz):
        first += timedelta(days=1)
    last = end.date()
    if end <= local_midnight(last, tz):
        last -= timedelta(days=1)
    if last < first:
        return start.date(), start.date()
    return first, last
