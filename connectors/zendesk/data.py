"""Deterministic seeded support tickets for the Zendesk sandbox (and the tests' expectations).

Every ticket is generated with its whole life decided up front (created, first reply, solved,
rated); what the sandbox shows depends on its clock: a ticket exists once created, its status
and metrics reflect only the events that already happened. Tests compute expected values from
these raw records with plain Python, applying the same visibility rule (``event <= now``).

The numbers tell the 2026-Q4 stories: first replies get faster (median about 260 → 150
minutes over the quarter), satisfaction rises (about 78 % → 92 % good), and onboarding
tickets become rarer (about 30 % → 22 % of tickets), from a steady baseline since 2025-06-01.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

ZURICH = ZoneInfo("Europe/Zurich")
FIRST_DAY = date(2025, 6, 1)
LAST_DAY = date(2026, 12, 31)
CYCLE_START = date(2026, 10, 1)
CYCLE_DAYS = 92
CLOSE_AFTER = timedelta(days=4)
"""Solved tickets close this long after solving (Zendesk's default automation)."""

BUSINESS_OPEN = time(8)
BUSINESS_CLOSE = time(18)

GROUPS: dict[int, str] = {360001: "Support", 360002: "Billing", 360003: "Onboarding"}
BRANDS: dict[int, str] = {370001: "Helvetia Health", 370002: "Newcomer App"}
PRIORITIES = ("low", "normal", "high", "urgent")
OTHER_TAGS = ("billing", "booking", "insurance", "app", "vip")


@dataclass(frozen=True)
class TicketRecord:
    """One ticket's whole life; instants are UTC, durations whole minutes."""

    id: int
    created_at: datetime
    subject: str
    priority: str
    group_id: int
    brand_id: int
    tags: tuple[str, ...]
    reply_calendar: int
    reply_business: int
    resolution_calendar: int
    resolution_business: int
    after_reply: str
    """The status between first reply and solve: open, pending or hold."""
    rating: str | None
    """good, bad, offered (asked, never answered) or None (never asked)."""
    rating_delay: int
    """Minutes from solve to the rating's creation."""

    @property
    def first_reply_at(self) -> datetime:
        return self.created_at + timedelta(minutes=self.reply_calendar)

    @property
    def solved_at(self) -> datetime:
        return self.created_at + timedelta(minutes=self.resolution_calendar)

    @property
    def rated_at(self) -> datetime:
        return self.solved_at + timedelta(minutes=self.rating_delay)

    def status_at(self, now: datetime) -> str:
        """The ticket's status at ``now`` (which must not precede its creation)."""
        if self.solved_at <= now:
            return "closed" if self.solved_at + CLOSE_AFTER <= now else "solved"
        if self.first_reply_at <= now:
            return self.after_reply
        return "new"

    def updated_at(self, now: datetime) -> datetime:
        """The latest event at or before ``now``."""
        events = [
            self.created_at,
            self.first_reply_at,
            self.solved_at,
            self.solved_at + CLOSE_AFTER,
        ]
        if self.rating is not None:
            events.append(self.rated_at)
        return max(moment for moment in events if moment <= now)


def business_minutes(start: datetime, end: datetime, tz: ZoneInfo = ZURICH) -> int:
    """Whole minutes of ``[start, end)`` inside business hours (Mon–Fri 08:00–18:00 in ``tz``)."""
    total = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if day.weekday() < 5:
            opens = datetime.combine(day, BUSINESS_OPEN, tzinfo=tz)
            closes = datetime.combine(day, BUSINESS_CLOSE, tzinfo=tz)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return int(total // 60)


def _progress(day: date) -> float:
    """How far into the 2026-Q4 improvements ``day`` is: 0 before the cycle, 1 at its end."""
    return min(1.0, max(0.0, (day - CYCLE_START).days / CYCLE_DAYS))


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, round(median * math.exp(rng.gauss(0.0, sigma))))


@dataclass(frozen=True)
class Dataset:
    """All seeded tickets, in id (= creation) order."""

    seed: int
    tickets: tuple[TicketRecord, ...]

    @cached_property
    def by_id(self) -> dict[int, TicketRecord]:
        return {ticket.id: ticket for ticket in self.tickets}


def generate(seed: int) -> Dataset:
    """The tickets of 2025-06-01 … 2026-12-31 for ``seed``: same seed, same tickets."""
    rng = random.Random(seed)
    tickets: list[TicketRecord] = []
    next_id = 10001
    day = FIRST_DAY
    while day <= LAST_DAY:
        progress = _progress(day)
        per_day = rng.randint(11, 17) if day.weekday() < 5 else rng.randint(3, 6)
        stamps = sorted(rng.randrange(7 * 3600, 21 * 3600) for _ in range(per_day))
        for seconds in stamps:
            local = datetime.combine(day, time(0), tzinfo=ZURICH) + timedelta(seconds=seconds)
            created = local.astimezone(UTC)
            onboarding = rng.random() < 0.30 - 0.08 * progress
            tags = ["onboarding"] if onboarding else []
            tags += [tag for tag in OTHER_TAGS if rng.random() < 0.15]
            reply = _lognormal_minutes(rng, 260 - 110 * progress, 0.6)
            resolution = reply + _lognormal_minutes(rng, 1300 - 300 * progress, 0.9)
            good_share = 0.78 + 0.14 * progress
            asked = rng.random() < 0.6
            answered = asked and rng.random() < 0.7
            rating = None
            if answered:
                rating = "good" if rng.random() < good_share else "bad"
            elif asked:
                rating = "offered"
            first_reply = created + timedelta(minutes=reply)
            solved = created + timedelta(minutes=resolution)
            tickets.append(
                TicketRecord(
                    id=next_id,
                    created_at=created,
                    subject=f"{'Onboarding question' if onboarding else 'Support request'} "
                    f"#{next_id}",
                    priority=rng.choices(PRIORITIES, weights=(2, 6, 3, 1))[0],
                    group_id=360003 if onboarding else rng.choice((360001, 360001, 360002)),
                    brand_id=370002 if onboarding and rng.random() < 0.7 else 370001,
                    tags=tuple(tags),
                    reply_calendar=reply,
                    reply_business=business_minutes(created, first_reply),
                    resolution_calendar=resolution,
                    resolution_business=business_minutes(created, solved),
                    after_reply=rng.choices(("open", "pending", "hold"), weights=(5, 4, 1))[0],
                    rating=rating,
                    rating_delay=rng.randint(30, 3 * 24 * 60),
                )
            )
            next_id += 1
        day += timedelta(days=1)
    return Dataset(seed=seed, tickets=tuple(tickets))
