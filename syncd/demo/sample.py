"""The demo's sample warehouse: a SQLite database generated deterministically from a seed.

It stands in for the systems a team would connect before it has credentials at hand: web
analytics by day, sign-ups with their first doctor booking, onboarding surveys, CRM
opportunities and support tickets, from 2025-06-01 to 2026-12-31. The stories of DESIGN §6 move
through the 2026-Q4 cycle (2026-10-01 … 2026-12-31) at different paces, so the demo shows KRs on
track, at risk and off track. The same seed always gives the same rows.
"""

from __future__ import annotations

import math
import random
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20261001
FIRST_DAY = date(2025, 6, 1)
LAST_DAY = date(2026, 12, 31)
CYCLE_START = date(2026, 10, 1)
CYCLE_DAYS = 92
TIMEZONE = ZoneInfo("Europe/Zurich")

SCHEMA = """
CREATE TABLE web_daily (
    day TEXT PRIMARY KEY,                  -- local date, YYYY-MM-DD
    sessions INTEGER NOT NULL,
    conversions INTEGER NOT NULL,
    blog_organic_sessions INTEGER NOT NULL
);
CREATE TABLE signups (
    id INTEGER PRIMARY KEY,
    signed_up_on TEXT NOT NULL,            -- local date
    segment TEXT NOT NULL,                 -- 'newcomer' or 'resident'
    booked_after_days INTEGER              -- days until the first doctor booking; NULL: none yet
);
CREATE INDEX signups_day ON signups (signed_up_on);
CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    answered_on TEXT NOT NULL,             -- local date
    topic TEXT NOT NULL,                   -- 'onboarding' or 'product'
    score INTEGER NOT NULL                 -- 1 … 5
);
CREATE INDEX survey_day ON survey_responses (answered_on);
CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    close_date TEXT NOT NULL,              -- local date
    segment TEXT NOT NULL,                 -- 'Newcomer' or 'Existing'
    is_won INTEGER NOT NULL,
    amount REAL NOT NULL                   -- CHF
);
CREATE INDEX opportunities_close ON opportunities (close_date);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,              -- UTC, 'YYYY-MM-DD HH:MM:SS'
    solved_at TEXT,                        -- UTC; NULL while open
    tags TEXT NOT NULL,                    -- space-separated
    first_reply_minutes REAL NOT NULL,
    handling_minutes REAL NOT NULL
);
CREATE INDEX tickets_created ON tickets (created_at);
"""


def cycle_share(day: date) -> float:
    """How far into the 2026-Q4 cycle a day is: 0 before it, 1 after it."""
    return min(max((day - CYCLE_START).days / CYCLE_DAYS, 0.0), 1.0)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def generate(path: Path, seed: int = SEED) -> Path:
    """Write the sample database to ``path`` (replacing it) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rng = random.Random(seed)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
        day = FIRST_DAY
        while day <= LAST_DAY:
            _one_day(connection, rng, day)
            day += timedelta(days=1)
        connection.commit()
    finally:
        connection.close()
    return path


def _one_day(connection: sqlite3.Connection, rng: random.Random, day: date) -> None:
    share = cycle_share(day)
    weekly = 1.0 + 0.15 * math.sin(2 * math.pi * day.weekday() / 7)
    text = day.isoformat()

    # Conversion rate climbs from 3.2 % towards 5.5 %, a little behind pace.
    sessions = int(rng.gauss(4000, 150) * weekly)
    rate = 0.032 + 0.023 * 0.85 * share
    conversions = sum(1 for _ in range(sessions) if rng.random() < rate)
    # Organic blog traffic: flat before the cycle, +60 % by its end.
    blog = int(rng.gauss(800 * (1 + 0.6 * share), 40))
    connection.execute(
        "INSERT INTO web_daily VALUES (?, ?, ?, ?)", (text, sessions, conversions, blog)
    )

    # Newcomers booking a doctor within 5 days: 40 % → 70 % target, moving at 80 % of pace.
    within_five = 0.40 + 0.30 * 0.8 * share
    for _ in range(rng.randint(50, 70)):
        segment = "newcomer" if rng.random() < 0.6 else "resident"
        if rng.random() < within_five:
            booked: int | None = rng.randint(0, 5)
        else:
            booked = rng.choice([None, rng.randint(6, 30)])
        connection.execute(
            "INSERT INTO signups (signed_up_on, segment, booked_after_days) VALUES (?, ?, ?)",
            (text, segment, booked),
        )

    # Onboarding satisfaction 3.2 → 4.5 target, moving at half the pace.
    mean_score = 3.2 + 1.3 * 0.5 * share
    for _ in range(rng.randint(15, 25)):
        topic = "onboarding" if rng.random() < 0.7 else "product"
        score = min(5, max(1, round(rng.gauss(mean_score, 0.9))))
        connection.execute(
            "INSERT INTO survey_responses (answered_on, topic, score) VALUES (?, ?, ?)",
            (text, topic, score),
        )

    # Opportunities: newcomer revenue grows +40 % over the cycle, existing customers +45 %.
    for _ in range(rng.randint(8, 14)):
        segment = "Newcomer" if rng.random() < 0.45 else "Existing"
        growth = 1 + (0.40 if segment == "Newcomer" else 0.45) * share
        account = rng.randint(1, 400) if segment == "Existing" else rng.randint(1000, 9999)
        amount = round(rng.lognormvariate(math.log(800 * growth), 0.3), 2)
        connection.execute(
            "INSERT INTO opportunities (account_id, close_date, segment, is_won, amount) "
            "VALUES (?, ?, ?, ?, ?)",
            (account, text, segment, int(rng.random() < 0.55), amount),
        )

    # Tickets: first reply time falls from a 240 min median ahead of pace; onboarding
    # handling effort falls by a quarter over the cycle.
    reply_median = 240 - 140 * min(1.0, share * 1.4)
    for _ in range(rng.randint(30, 50)):
        created = datetime.combine(
            day, time(rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59)), TIMEZONE
        )
        onboarding = rng.random() < 0.3
        tags = "onboarding" if onboarding else rng.choice(["billing", "app", "account"])
        reply = round(rng.lognormvariate(math.log(reply_median), 0.6), 1)
        handling = round(rng.lognormvariate(math.log(45 * (1 - 0.25 * share)), 0.4), 1)
        solved = created + timedelta(hours=rng.uniform(2, 24 * 6))
        connection.execute(
            "INSERT INTO tickets (created_at, solved_at, tags, first_reply_minutes, "
            "handling_minutes) VALUES (?, ?, ?, ?, ?)",
            (_utc_text(created), _utc_text(solved), tags, reply, handling),
        )
