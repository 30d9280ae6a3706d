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
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from syncd.windows import local_midnight

_EVERY = re.compile(r"^every\s+([1-9][0-9]*)\s*(s|m|min|h|d)$")
# Seconds exist for tests and demos of the daemon; a metric source is rarely worth more.
_SHORTEST = timedelta(seconds=5)
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_TICK = timedelta(seconds=1)
_EPOCH = date(1970, 1, 5)  # a Monday: whole-day and weekly slots count from here
LONGEST_DURATION = timedelta(days=3660)
"""Durations beyond about ten years are typos, and would overflow date arithmetic."""
LONGEST_INTERVAL = timedelta(days=366)
"""The longest 'every' interval."""
_CRON_HORIZON = timedelta(days=8 * 366)  # a cron's first slot may be this far: 29 February
_CRON_FROM = datetime(2026, 1, 1, tzinfo=UTC)

SCHEDULE_HELP = (
    "hourly, daily, weekly, 'every 15m', 'every 2h', 'every 1d' or cron like '0 6 * * *'"
)


def parse_duration(text: str) -> timedelta:
    """``72h``, ``3d``, ``90m``, ``30s``, ``2w`` → timedelta."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"unknown duration {text!r}; use a number and s, m, h, d or w (e.g. 72h)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > LONGEST_DURATION.total_seconds():
        raise ValueError(f"duration {text!r} is too long; at most {LONGEST_DURATION.days}d")
    return timedelta(seconds=seconds)


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_DOW_PART = re.compile(r"^(\*|[0-7])(?:-([0-7]))?(?:/([1-9][0-9]*))?$")


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler weekday names.

    APScheduler 3 numbers weekdays from Monday = 0 even in ``from_crontab`` (its issue 286),
    so ``1-5`` would mean Tuesday to Saturday. Numeric parts are expanded to names; fields
    using names already mean the same in both and pass through.
    """
    if field == "*" or not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        match = _CRON_DOW_PART.match(part)
        if not match or (match.group(1) == "*" and match.group(2)):
            raise ValueError(
                f"unsupported day-of-week {part!r}; use 0-7 (0 or 7 = Sunday) or names"
            )
        first, last, every = match.groups()
        low = 0 if first == "*" else int(first)
        high = 6 if first == "*" else int(last or (first if every is None else 7))
        if low > high:
            raise ValueError(f"day-of-week range {part!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, int(every or 1)))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def cron_trigger(expression: str, tz: ZoneInfo) -> CronTrigger:
    """An APScheduler trigger for a standard 5-field crontab expression, weekdays as in cron."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields; got {len(fields)}")
    minute, hour, day, month, weekdays = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_crontab_weekdays(weekdays),
        timezone=tz,
    )


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Interval schedules are aligned to local midnight (or Monday)."""

    spec: str
    step: timedelta | None = None
    cron: str | None = None

    @cached_property
    def interval(self) -> timedelta:
        """The nominal time between slots; a measurement older than twice this is stale."""
        if self.step is not None:
            return self.step
        trigger = cron_trigger(self.cron or "", ZoneInfo("UTC"))
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
        """The latest slot at or before ``now`` (tz-aware, in ``tz``).

        Raises ``ValueError`` if there is none: :func:`parse_schedule` rejects schedules that
        never fire, so only a hand-made ``Schedule`` or a moment near year 9999 gets there.
        """
        latest = self.latest_slot(now, tz)
        if latest is None:
            raise ValueError(f"schedule {self.spec!r} has no slot at or before {now.isoformat()}")
        return latest

    def latest_slot(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """The latest slot at or before ``now``, or ``None`` when the schedule has none."""
        try:
            slots = self.slots_between(now - self._lookback(), now, tz)
        except OverflowError:  # the lookback or a listing step passed year 1 or 9999
            return None
        return slots[-1] if slots else None

    def slots_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """Every slot in ``[start, end]``, oldest first (the latest slot ≤ start is included)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("slot bounds must be timezone-aware")
        if self.step is not None:
            return self._interval_slots(start, end, tz)
        trigger = cron_trigger(self.cron or "", tz)
        first = start - self._lookback()
        slots: list[datetime] = []
        fire = trigger.get_next_fire_time(None, first)
        while fire is not None and fire <= end:
            slots.append(fire)
            # Step in UTC: wall-clock `fire + 1s` drops `fold` and, in the repeated hour of a
            # DST fall-back, returns the same fire time again forever.
            fire = trigger.get_next_fire_time(fire, (fire.astimezone(UTC) + _TICK).astimezone(tz))
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
            # Sub-day steps restart at every local midnight and advance in UTC within the day:
            # wall-clock arithmetic would skip or repeat an hour at a DST change, and restarting
            # daily keeps a slot independent of where a listing starts (every 2h across a DST
            # change would otherwise drift off midnight).
            day = local_start.date()
            slots = []
            while (midnight := local_midnight(day, tz).astimezone(UTC)) <= end:
                following = local_midnight(day + timedelta(days=1), tz).astimezone(UTC)
                moment = midnight
                while moment < following and moment <= end:
                    slots.append(moment.astimezone(tz))
                    moment += step
                day += timedelta(days=1)
        before = [s for s in slots if s <= start]
        return ([before[-1]] if before else []) + [s for s in slots if s > start]


@lru_cache(maxsize=512)
def parse_schedule(spec: str) -> Schedule:
    """Parse a schedule; raises ``ValueError`` naming the accepted forms.

    A schedule must fire: an interval is at most ``LONGEST_INTERVAL``, and a cron expression
    must have a slot within eight years (``0 0 30 2 *``, 30 February, never has one).
    """
    text = " ".join(spec.strip().split())
    if text == "hourly":
        return Schedule(text, step=timedelta(hours=1))
    if text == "daily":
        return Schedule(text, step=timedelta(days=1))
    if text == "weekly":
        return Schedule(text, step=timedelta(days=7))
    if match := _EVERY.match(text):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds > LONGEST_INTERVAL.total_seconds():
            raise ValueError(
                f"{spec!r}: the longest interval is {LONGEST_INTERVAL.days}d; "
                "use a cron expression for a yearly slot"
            )
        step = timedelta(seconds=seconds)
        if step < _SHORTEST:
            raise ValueError(f"{spec!r}: the shortest interval is {_SHORTEST.seconds}s")
        if step < timedelta(days=1) and timedelta(days=1) % step:
            raise ValueError(f"{spec!r}: an interval under a day must divide 24h evenly")
        if step >= timedelta(days=1) and step % timedelta(days=1):
            raise ValueError(f"{spec!r}: an interval of a day or more must be whole days")
        return Schedule(text, step=step)
    if len(text.split(" ")) == 5:
        try:
            trigger = cron_trigger(text, ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {spec!r}: {exc}") from exc
        fire = trigger.get_next_fire_time(None, _CRON_FROM)
        if fire is None or fire - _CRON_FROM > _CRON_HORIZON:
            raise ValueError(
                f"cron expression {spec!r} never fires (no slot within 8 years: a day such as "
                "30 February does not exist); check the day and month fields"
            )
        return Schedule(text, cron=text)
    raise ValueError(f"unknown schedule {spec!r}; use {SCHEDULE_HELP}")
