"""Deterministic seeded product events for the Amplitude sandbox (and the tests' expectations).

A health app's users: each day some of them are active (``App Opened``); some share a health
report with their doctor (``Report Shared``, the feature whose adoption the demo's KR follows:
about 12 % of active users before the 2026-Q4 cycle, rising to about 30 % by its end) and some
buy a plan (``Purchase Completed`` with a whole-CHF ``amount``). Every event is generated in
the project's time zone; instants are stored in UTC. Tests compute expected values from these
raw records with plain Python, applying the sandbox's visibility rule (``time <= now``).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 12, 31)
CYCLE_START = date(2026, 10, 1)
CYCLE_END = date(2026, 12, 31)
USERS = 2400
COUNTRIES = (("CH", 0.6), ("DE", 0.25), ("FR", 0.15))
PLATFORMS = ("iOS", "Android", "Web")
PLANS = ((20, "basic"), (49, "family"), (99, "premium"))

OPENED = "App Opened"
SHARED = "Report Shared"
PURCHASED = "Purchase Completed"
EVENT_TYPES = (OPENED, SHARED, PURCHASED)


@dataclass(frozen=True, slots=True)
class User:
    """A user and the user properties segments filter on."""

    id: int
    country: str
    platform: str


@dataclass(frozen=True, slots=True)
class Event:
    """One event: who, what, when (UTC) and its event properties."""

    user: User
    type: str
    time: datetime
    properties: tuple[tuple[str, str | int], ...] = ()

    def prop(self, name: str) -> str | int | None:
        return dict(self.properties).get(name)


@dataclass
class Dataset:
    """The events in time order, and by the project-zone day they happened on."""

    zone: ZoneInfo
    users: list[User]
    events: list[Event]
    by_day: dict[date, list[Event]] = field(default_factory=dict)
    times: dict[date, list[datetime]] = field(default_factory=dict)

    def on(self, day: date, now: datetime) -> Iterator[Event]:
        """The events of ``day`` (project zone) that happened at or before ``now``."""
        events = self.by_day.get(day, [])
        yield from events[: bisect_right(self.times.get(day, []), now)]


def adoption(day: date) -> float:
    """The chance an active user shares a report that day: ~12 % before the cycle, then
    rising to ~30 % at its end."""
    if day < CYCLE_START:
        return 0.12
    progress = min(1.0, (day - CYCLE_START).days / (CYCLE_END - CYCLE_START).days)
    return 0.12 + 0.18 * progress


@lru_cache(maxsize=4)
def generate(seed: int, zone: ZoneInfo) -> Dataset:
    """The whole event history, the same for the same seed and zone (made once: read-only)."""
    rng = random.Random(seed)
    countries = [c for c, _ in COUNTRIES]
    weights = [w for _, w in COUNTRIES]
    users = [
        User(i, rng.choices(countries, weights)[0], rng.choice(PLATFORMS))
        for i in range(1, USERS + 1)
    ]
    events: list[Event] = []
    by_day: dict[date, list[Event]] = {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 5
        active = rng.sample(users, rng.randint(150, 190) if weekend else rng.randint(230, 290))
        today: list[Event] = []
        morning = datetime.combine(day, time(6), tzinfo=zone)

        def at(minute: int, morning: datetime = morning) -> datetime:
            return (morning + timedelta(minutes=minute)).astimezone(UTC)

        for user in active:
            for _ in range(rng.randint(1, 3)):
                today.append(Event(user, OPENED, at(rng.randrange(18 * 60))))
            if rng.random() < adoption(day):
                for _ in range(rng.randint(1, 2)):
                    channel = rng.choice(("doctor", "email"))
                    when = at(rng.randrange(18 * 60))
                    today.append(Event(user, SHARED, when, (("channel", channel),)))
            if rng.random() < 0.04:
                amount, plan = rng.choice(PLANS)
                when = at(rng.randrange(18 * 60))
                props = (("amount", amount), ("plan", plan))
                today.append(Event(user, PURCHASED, when, props))
        today.sort(key=lambda e: (e.time, e.user.id, e.type))
        by_day[day] = today
        events.extend(today)
        day += timedelta(days=1)
    times = {day: [e.time for e in events] for day, events in by_day.items()}
    return Dataset(zone, users, events, by_day, times)
