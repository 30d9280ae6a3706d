"""Deterministic seeded product events for the Mixpanel sandbox (and the tests' expectations).

A newcomer health app: people sign up, open the app, book doctors (``fee`` in CHF), and a
user who books within 7 days of signing up also fires ``Activated`` at that booking. Every
event carries ``platform`` (ios, android, web). Instants are UTC; what the sandbox shows
depends on its clock (an event exists once it happened) and on the project's time zone (the
days it counts). Tests recompute expected values from these raw events with plain Python.

The 2026-Q4 story: 7-day activation rises from about 35 % of sign-ups to about 55 % over the
quarter, from a steady baseline since 2026-01-01.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 12, 31)
CYCLE_START = date(2026, 10, 1)
CYCLE_DAYS = 92
HOME = ZoneInfo("Europe/Zurich")
"""Where the users live: their days shape when events happen."""
ACTIVATION_DAYS = 7
PLATFORMS = ("ios", "android", "web")

SIGNED_UP, APP_OPENED, DOCTOR_BOOKED, ACTIVATED = (
    "Signed up",
    "App opened",
    "Doctor booked",
    "Activated",
)


@dataclass(frozen=True)
class Event:
    """One tracked event."""

    name: str
    time: datetime
    distinct_id: str
    properties: dict[str, str | float]


@dataclass(frozen=True)
class Bookmark:
    """A saved Insights report: daily totals of events over its last ``days`` days."""

    name: str
    events: tuple[str, ...]
    days: int


BOOKMARKS: dict[int, Bookmark] = {
    4101: Bookmark("Doctor bookings, last 30 days", (DOCTOR_BOOKED,), 30),
    4102: Bookmark("Sign-ups and activations, last 14 days", (SIGNED_UP, ACTIVATED), 14),
}


def _progress(day: date) -> float:
    return min(1.0, max(0.0, (day - CYCLE_START).days / CYCLE_DAYS))


def _at(day: date, seconds: int) -> datetime:
    return (datetime.combine(day, time(0), tzinfo=HOME) + timedelta(seconds=seconds)).astimezone(
        UTC
    )


@cache
def generate(seed: int) -> tuple[Event, ...]:
    """Every event of 2026 for ``seed``, in time order: same seed, same events (generated once
    per process; treat them as read-only)."""
    rng = random.Random(seed)
    events: list[Event] = []
    user = 0
    day = FIRST_DAY
    while day <= LAST_DAY:
        activation = 0.35 + 0.20 * _progress(day)
        for _ in range(rng.randint(14, 26) if day.weekday() < 5 else rng.randint(6, 12)):
            user += 1
            who = f"u{user:06d}"
            platform = rng.choice(PLATFORMS)
            signed = _at(day, rng.randrange(6 * 3600, 23 * 3600))
            events.append(Event(SIGNED_UP, signed, who, {"platform": platform}))
            for _ in range(rng.randint(1, 6)):
                opened = signed + timedelta(minutes=rng.randrange(5, 20 * 24 * 60))
                events.append(Event(APP_OPENED, opened, who, {"platform": platform}))
            bookings = []
            if rng.random() < activation:
                bookings.append(signed + timedelta(minutes=rng.randrange(30, 7 * 24 * 60 - 30)))
            elif rng.random() < 0.4:
                bookings.append(
                    signed + timedelta(days=rng.randint(8, 30), minutes=rng.randrange(600))
                )
            if bookings and rng.random() < 0.3:
                bookings.append(bookings[0] + timedelta(days=rng.randint(1, 40)))
            for booked in bookings:
                # Multiples of 1/8: exact in binary, so every sum of fees is exact too.
                fee = rng.choice((45.0, 60.0, 85.5, 120.25)) * rng.choice((1, 1, 1.5))
                props: dict[str, str | float] = {"platform": platform, "fee": fee}
                events.append(Event(DOCTOR_BOOKED, booked, who, props))
            if bookings and bookings[0] - signed < timedelta(days=ACTIVATION_DAYS):
                events.append(Event(ACTIVATED, bookings[0], who, {"platform": platform}))
        day += timedelta(days=1)
    events.sort(key=lambda e: (e.time, e.distinct_id, e.name))
    return tuple(events)
