"""A store holding hand-chosen measurements and runs for the demo config, read at a fixed now.

``NOW`` is 2026-11-21 10:30 in Zurich (09:30 UTC). The cycle 2026-Q4 runs from 2026-10-01 00:00
CEST (2026-09-30 22:00 UTC) to 2027-01-01 00:00 CET (2026-12-31 23:00 UTC): 92 days and one
hour (the clocks go back on 25 October), of which 51 days 11.5 hours have passed at NOW.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from syncd.config import LoadedConfig, load_config
from syncd.store import Store
from syncd.store.records import MeasurementIn
from syncd.store.tables import SyncRun

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)
CYCLE_START = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
CYCLE_END = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
EXPECTED_SHARE = (51 * 24 + 11.5) / (92 * 24 + 1)  # elapsed hours / cycle hours = 0.5593…


def measurement(
    kr: str, end: datetime, value: float, *, collected: datetime | None = None, source: str = "web"
) -> MeasurementIn:
    """A measurement of a one-day window ending at ``end``."""
    return MeasurementIn(
        key_result_id=kr,
        value=value,
        window_start=end - timedelta(days=1),
        window_end=end,
        collected_at=collected or end,
        source=source,
        query_fingerprint="f" * 64,
        run_id=None,
    )


def booking_points() -> list[MeasurementIn]:
    """booking-5d (40 % → 70 %): every 10 days from the cycle start, +3 points each time.

    On the line v = 0.40 + 0.003/day; the last (day 50) is 55 % (attainment 0.5), fetched
    12 min before NOW. The forecast at the cycle end (92 d 1 h) is 0.40 + 0.003 × 92.0417.
    """
    points = [
        measurement("booking-5d", CYCLE_START + timedelta(days=10 * k), 0.40 + 0.03 * k)
        for k in range(1, 5)
    ]
    points.append(
        measurement(
            "booking-5d",
            CYCLE_START + timedelta(days=50),
            0.55,
            collected=NOW - timedelta(minutes=12),
        )
    )
    return points


def backlog_points() -> list[MeasurementIn]:
    """ticket-backlog (keep ≤ 150): 120, 160, 140: latest in band, two of three in band."""
    days = (47, 48, 49)
    values = (120.0, 160.0, 140.0)
    return [
        measurement(
            "ticket-backlog",
            CYCLE_START + timedelta(days=day),
            value,
            collected=NOW - timedelta(minutes=30) if day == 49 else None,
            source="support",
        )
        for day, value in zip(days, values, strict=True)
    ]


def stale_points() -> list[MeasurementIn]:
    """revenue-per-customer (daily): one value, fetched three days ago: stale."""
    at = NOW - timedelta(days=3)
    return [measurement("revenue-per-customer", at, 1350.0, source="warehouse")]


def run(source: str, finished: datetime, outcome: str, error: str | None = None) -> SyncRun:
    return SyncRun(
        id=f"{source}{int(finished.timestamp())}",
        source=source,
        trigger="schedule",
        started_at=finished - timedelta(seconds=3),
        finished_at=finished,
        outcome=outcome,
        error=error,
        duration_seconds=3.0,
    )


def runs() -> list[SyncRun]:
    """web: two successes; support: ok, then failed, then partly failed (failing now);
    warehouse: failed, then ok again."""
    return [
        run("web", NOW - timedelta(minutes=72), "ok"),
        run("web", NOW - timedelta(minutes=12), "ok"),
        run("support", NOW - timedelta(minutes=65), "ok"),
        run("support", NOW - timedelta(minutes=35), "failed", "zendesk answered HTTP 503"),
        run("support", NOW - timedelta(minutes=5), "partial", "2 of 5 requests timed out"),
        run("warehouse", NOW - timedelta(minutes=20), "failed", "no such table: bookings"),
        run("warehouse", NOW - timedelta(minutes=8), "ok"),
    ]


@pytest.fixture(scope="session")
def demo_config() -> LoadedConfig:
    return load_config(DEMO_CONFIG)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "web.db"


@pytest.fixture
def store(demo_config: LoadedConfig, store_path: Path) -> Iterator[Store]:
    """The demo's definitions with the measurements and runs above."""
    url = f"sqlite:///{store_path}"
    with Store.open(url) as opened:
        opened.sync_definitions(demo_config.config)
        opened.record_measurements(booking_points() + backlog_points() + stale_points())
        engine = create_engine(url)
        with Session(engine) as session:
            session.add_all(runs())
            session.commit()
        engine.dispose()
        yield opened
