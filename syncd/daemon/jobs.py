"""When the daemon's jobs fire.

A job (:class:`syncd.planner.Job`, planned by :meth:`syncd.planner.Planner.jobs`) is one set of
sources on one schedule ("source × schedule"; a KR whose derived metric reads two sources makes
a job of both).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from syncd.schedule import Schedule


class SlotTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler 3 ships no type hints
    """Fires at a syncd schedule's slots (plus jitter), so the scheduler and the slot a
    measurement is stored under always agree, across DST changes too."""

    def __init__(self, schedule: Schedule, tz: ZoneInfo, jitter: timedelta) -> None:
        self.schedule = schedule
        self.tz = tz
        self.jitter = jitter.total_seconds() or None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = now
        if previous_fire_time is not None:
            after = max(now, previous_fire_time + timedelta(microseconds=1))
        horizon = after + 2 * self.schedule.interval + timedelta(days=1)
        upcoming = next(
            (s for s in self.schedule.slots_between(after, horizon, self.tz) if s >= after), None
        )
        fire_time: datetime | None = self._apply_jitter(upcoming, self.jitter, now)
        return fire_time

    def __str__(self) -> str:
        return f"slots of {self.schedule.spec!r}"
