"""Deterministic daily web analytics for the GA4 sandbox, generated from a seed.

One :class:`DailyFact` per property-local day and (channel, device, landing page), from
2025-06-01 to 2026-12-31. Every metric the sandbox serves is a sum of these raw counts, so tests
compute expected values from them with plain Python.

The demo stories over the 2026-Q4 cycle:

- conversion rate (``keyEvents:booking_completed`` / ``sessions``) holds at 3.2 % until the
  cycle starts, then climbs towards 5.0 % by the end of December (behind a 5.5 % target);
- organic blog traffic (``sessions`` from Organic Search landing on ``/blog/…``) grows from the
  cycle start to about 1.9 × its level by the end (a cycle-to-date growth of ~45 %: on pace);
- newcomers booking a doctor within 5 days (``keyEvents:newcomer_booked_5d`` / ``newUsers``)
  sit at 40 % until the booking assistant ships on 2026-10-20, then rise towards 66 %.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

FIRST_DAY = date(2025, 6, 1)
LAST_DAY = date(2026, 12, 31)
CYCLE_START = date(2026, 10, 1)
ASSISTANT_LAUNCH = date(2026, 10, 20)

CHANNELS: dict[str, float] = {
    "Organic Search": 0.38,
    "Direct": 0.25,
    "Paid Search": 0.15,
    "Referral": 0.10,
    "Email": 0.07,
    "Organic Social": 0.05,
}
DEVICES: dict[str, float] = {"desktop": 0.45, "mobile": 0.50, "tablet": 0.05}
LANDING_PAGES: dict[str, float] = {
    "/": 0.35,
    "/doctors": 0.20,
    "/signup": 0.10,
    "/blog/finding-a-doctor": 0.15,
    "/blog/health-insurance-switzerland": 0.12,
    "/blog/moving-to-zurich": 0.08,
}
KEY_EVENTS = ("booking_completed", "sign_up", "newcomer_booked_5d")
"""Events marked as key events in the sandbox property."""

BASE_SESSIONS_PER_DAY = 6000.0


@dataclass(frozen=True)
class DailyFact:
    """Raw counts for one day and one (channel, device, landing page)."""

    day: date
    channel: str
    device: str
    landing_page: str
    sessions: int
    total_users: int
    new_users: int
    engaged_sessions: int
    page_views: int
    events: dict[str, int]  # event name → count, key events included

    @property
    def event_count(self) -> int:
        return sum(self.events.values())

    @property
    def key_events(self) -> int:
        return sum(self.events[name] for name in KEY_EVENTS)


def _ramp(day: date, start: date, end: date, low: float, high: float) -> float:
    if day <= start:
        return low
    if day >= end:
        return high
    return low + (high - low) * (day - start).days / (end - start).days


def conversion_rate(day: date) -> float:
    """The expected bookings per session on ``day``."""
    return _ramp(day, CYCLE_START, LAST_DAY, 0.032, 0.050)


def newcomer_booking_rate(day: date) -> float:
    """The expected share of new users who book within 5 days, on ``day``."""
    return _ramp(day, ASSISTANT_LAUNCH, LAST_DAY, 0.40, 0.66)


def blog_organic_lift(day: date) -> float:
    """How much more organic blog traffic ``day`` gets than before the cycle."""
    return _ramp(day, CYCLE_START, LAST_DAY, 1.0, 1.9)


def _noisy(rng: random.Random, expected: float, spread: float) -> int:
    return max(0, round(expected * rng.gauss(1.0, spread)))


@lru_cache(maxsize=4)
def generate(seed: int) -> tuple[DailyFact, ...]:
    """Every fact for ``seed``, in (day, channel, device, landing page) order."""
    rng = random.Random(seed)
    facts: list[DailyFact] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekday = 0.78 if day.weekday() >= 5 else 1.0
        trend = 1.0 + 0.10 * (day - FIRST_DAY).days / 365
        total = BASE_SESSIONS_PER_DAY * weekday * trend
        for channel, channel_share in CHANNELS.items():
            for device, device_share in DEVICES.items():
                for page, page_share in LANDING_PAGES.items():
                    expected = total * channel_share * device_share * page_share
                    if channel == "Organic Search" and page.startswith("/blog/"):
                        expected *= blog_organic_lift(day)
                    sessions = _noisy(rng, expected, 0.08)
                    new_users = _noisy(rng, sessions * 0.45, 0.05)
                    events = {
                        "session_start": sessions,
                        "first_visit": new_users,
                        "page_view": _noisy(rng, sessions * 2.3, 0.06),
                        "booking_completed": _noisy(rng, sessions * conversion_rate(day), 0.10),
                        "sign_up": _noisy(rng, sessions * 0.02, 0.10),
                        "newcomer_booked_5d": _noisy(
                            rng, new_users * newcomer_booking_rate(day), 0.08
                        ),
                    }
                    facts.append(
                        DailyFact(
                            day=day,
                            channel=channel,
                            device=device,
                            landing_page=page,
                            sessions=sessions,
                            total_users=_noisy(rng, sessions * 0.8, 0.04),
                            new_users=new_users,
                            engaged_sessions=_noisy(rng, sessions * 0.6, 0.05),
                            page_views=events["page_view"],
                            events=events,
                        )
                    )
        day += timedelta(days=1)
    return tuple(facts)
