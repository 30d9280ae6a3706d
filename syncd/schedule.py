"""Schedules: when a KR is measured, and which *slot* a measurement belongs to.

A slot is the scheduled moment a measurement is taken for. Syncing twice within one slot gives
the same slot, hence the same window and the same natural key in the store: the second sync
updates the first measurement instead of adding a row.

Forms: ``hourly``, ``daily`` (local midnight), ``weekly`` (Monday, local midnight),
``every <N>m|h|d`` and 5-field cron expressions (``0 6 * * *``), all read in the configuration's
time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from syncd.windows import local_midnight

_EVERY = re.compile(r"^every\s+([1-9][0-9]*)\s*(m|min|h|d)$")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_EPOCH = date(1970, 1, 5)  # a Monday: whole-day and weekly slots count from here

SCHEDULE_HELP = (
    "hourly, daily, weekly, 'every 15m', 'every 2h', 'every 1d' or cron like '0 6 * * *'"
)


def parse_duration(text: str) -> timedelta:
    """``72h``, ``3d``, ``90m``, ``30s``, ``2w`` → timedelta."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"unknown duration {text!r}; use a number and s, m, h, d or w (e.g. 72h)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Interval schedules are aligned to local midnight (or Monday)."""

    spec: str
    step: timedelta | None = None
    cron: str | None = None

    @property
    def interval(self) -> timedelta:
        """The nominal time between slots; a measurement older than twice this is stale."""
        if self.step is not None:
            return self.step
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=ZoneInfo("UTC"))
        # The longest gap among a few weeks of fire times: "0 6 * * 1-5" is stale only after
        # twice the weekend gap, not twice a weekday's.
        moment = datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))
        previous = trigger.get_next_fire_time(None, moment)
        longest = timedelta(0)
        for _ in range(64):
            if previous is None:
                break
            following = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
            if following is None:
                break
            longest = max(longest, following - previous)
            previous = following
        return longest or timedelta(days=1)

    def slot(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The latest slot at or before ``now`` (tz-aware, in ``tz``)."""
        return self.slots_between(now - self._lookback(), now, tz)[-1]

    def slots_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """Every slot in ``[start, end]``, oldest first (the latest slot ≤ start is included)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("slot bounds must be timezone-aware")
        if self.step is not None:
            return self._interval_slots(start, end, tz)
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=tz)
        first = start - self._lookback()
        slots: list[datetime] = []
        fire = trigger.get_next_fire_time(None, first)
        while fire is not None and fire <= end:
            slots.append(fire)
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        before = [s for s in slots if s <= start]
        return ([before[-1]] if before else []) + [s for s in slots if s > start]

    def _lookback(self) -> timedelta:
        return 2 * self.interval + timedelta(days=1)

    def _interval_slots(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        assert self.step is not None
        step = self.step
        local_start = start.astimezone(tz)
        if step >= timedelta(days=1):
            # Whole days count in local dates, so a daily slot stays at midnight across DST.
            days = step.days
            offset = (local_start.date() - _EPOCH).days % days
            day = local_start.date() - timedelta(days=offset)
            slots = []
            while True:
                moment = local_midnight(day, tz)
                if moment > end:
                    break
                slots.append(moment)
                day += timedelta(days=days)
        else:
            # Sub-day steps advance in UTC: wall-clock arithmetic would skip or repeat an hour
            # at a DST change.
            midnight = local_midnight(local_start.date(), tz).astimezone(UTC)
            moment = midnight + step * ((start.astimezone(UTC) - midnight) // step)
            slots = []
            while moment <= end:
                slots.append(moment.astimezone(tz))
                moment += step
        before = [s for s in slots if s <= start]
        return ([before[-1]] if before else []) + [s for s in slots if s > start]


def parse_schedule(spec: str) -> Schedule:
    """Parse a schedule; raises ``ValueError`` naming the accepted forms."""
    text = " ".join(spec.strip().split())
    if text == "hourly":
        return Schedule(text, step=timedelta(hours=1))
    if text == "daily":
        return Schedule(text, step=timedelta(days=1))
    if text == "weekly":
        return Schedule(text, step=timedelta(days=7))
    if match := _EVERY.match(text):
        step = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
        if step < timedelta(days=1) and timedelta(days=1) % step:
            raise ValueError(f"{spec!r}: an interval under a day must divide 24h evenly")
        if step >= timedelta(days=1) and step % timedelta(days=1):
            raise ValueError(f"{spec!r}: an interval of a day or more must be whole days")
        return Schedule(text, step=step)
    if len(text.split(" ")) == 5:
        try:
            CronTrigger.from_crontab(text, timezone=ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {spec!r}: {exc}") from exc
        return Schedule(text, cron=text)
    raise ValueError(f"unknown schedule {spec!r}; use {SCHEDULE_HELP}")
