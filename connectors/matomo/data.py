"""Deterministic seeded visits for the Matomo sandbox (and the tests' expectations).

Every visit is generated whole: when it started (UTC), its visitor, its actions, device and
referrer, the goals it converted (with revenue in cents) and the events it tracked. The sandbox
aggregates these raw visits the way Matomo's reports do; tests compute expected values from the
same raw records with plain Python.

The numbers tell a 2026-Q4 story: newsletter sign-ups (goal 1) rise from about 2.2 % of visits
in October to about 3.6 % at the end of December, on a steady ~160 visits a day since
2025-10-01.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

FIRST_DAY = date(2025, 10, 1)
LAST_DAY = date(2027, 1, 31)
CYCLE_START = date(2026, 10, 1)
CYCLE_DAYS = 92
VISITORS = 12_000

GOALS: dict[int, str] = {1: "Newsletter sign-up", 2: "Demo booked"}
DEMO_REVENUE_CENTS = (9900, 14900, 24900)
DEVICES = ("desktop", "smartphone", "tablet")
REFERRERS = ("direct", "search", "website", "campaign")
REFERRER_LABELS = {
    "direct": "Direct Entry",
    "search": "Search Engines",
    "website": "Websites",
    "campaign": "Campaigns",
}
VIDEOS = ("Onboarding tour", "Find a doctor", "Insurance 101")


@dataclass(frozen=True)
class Event:
    """One tracked event (``value`` None when none was set)."""

    category: str
    action: str
    name: str
    value: float | None


@dataclass(frozen=True)
class VisitRecord:
    """One visit; ``conversions`` holds (goal id, revenue in cents) pairs."""

    id: int
    visitor: int
    started_at: datetime
    actions: int
    seconds: int
    device: str
    referrer: str
    returning: bool
    conversions: tuple[tuple[int, int], ...]
    events: tuple[Event, ...]

    @property
    def bounced(self) -> bool:
        return self.actions == 1


def signup_rate(day: date) -> float:
    """The share of visits that sign up for the newsletter on ``day``."""
    if day < CYCLE_START:
        return 0.022
    progress = min(1.0, (day - CYCLE_START).days / CYCLE_DAYS)
    return 0.022 + 0.014 * progress


def generate(seed: int) -> list[VisitRecord]:
    """Every visit from FIRST_DAY to LAST_DAY (UTC days), ordered by start."""
    rng = random.Random(seed)
    seen: set[int] = set()
    visits: list[VisitRecord] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 5
        count = rng.randint(90, 130) if weekend else rng.randint(140, 190)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        starts = sorted(rng.randrange(86_400) for _ in range(count))
        for second in starts:
            visitor = int(rng.paretovariate(1.2) * 40) % VISITORS
            returning = visitor in seen
            seen.add(visitor)
            actions = 1 if rng.random() < 0.42 else rng.randint(2, 12)
            conversions: list[tuple[int, int]] = []
            if rng.random() < signup_rate(day):
                conversions.append((1, 0))
            if actions > 3 and rng.random() < 0.01:
                conversions.append((2, rng.choice(DEMO_REVENUE_CENTS)))
            events: list[Event] = []
            if conversions and conversions[0][0] == 1:
                placement = "Footer" if rng.random() < 0.6 else "Popup"
                events.append(Event("Newsletter", "Subscribe", placement, None))
            if actions > 1 and rng.random() < 0.18:
                title = rng.choice(VIDEOS)
                events.append(Event("Video", "Play", title, None))
                if rng.random() < 0.55:
                    events.append(Event("Video", "Complete", title, float(rng.randint(30, 600))))
            if rng.random() < 0.05:
                events.append(Event("Download", "Brochure", "Newcomer guide", None))
            visits.append(
                VisitRecord(
                    id=len(visits) + 1,
                    visitor=visitor,
                    started_at=midnight + timedelta(seconds=second),
                    actions=actions,
                    seconds=0 if actions == 1 else rng.randint(20, 1800),
                    device=rng.choices(DEVICES, weights=(55, 38, 7))[0],
                    referrer=rng.choices(REFERRERS, weights=(30, 45, 15, 10))[0],
                    returning=returning,
                    conversions=tuple(conversions),
                    events=tuple(events),
                )
            )
        day += timedelta(days=1)
    return visits
