"""Fixtures of the alert and digest tests: channel receivers and a small configuration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.config import LoadedConfig, load_config
from syncd.store import MeasurementIn, Store
from tests.alerts.receivers import HttpReceiver, MailHandler, start_smtp

# The 2026-Q4 cycle (UTC) has 92 days: at NOW 46 days have passed, so the expected pace is 0.5.
NOW = datetime(2026, 11, 16, tzinfo=UTC)

CONFIG = """\
timezone: UTC
store: sqlite:///unused.db
sources:
  survey: {{type: manual}}
  panel: {{type: manual}}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  nps: {{source: survey, query: {{min: -100, max: 100}}, window: snapshot}}
  churn: {{source: panel, query: {{}}, window: snapshot}}
objectives:
  - id: loyal
    title: Customers love us
    team: growth
    cycle: 2026-Q4
    key_results:
      - {{id: nps, title: "NPS from 50 to 70", metric: nps, focus: user, unit: points,
          baseline: 50, target: 70, schedule: daily}}
  - id: keep
    title: Keep our customers
    team: support
    cycle: 2026-Q4
    key_results:
      - {{id: churn, title: "Churn from 5 % to 3 %", metric: churn, focus: business,
          unit: "%", baseline: 5, target: 3, schedule: daily}}
notifications:
  channels:
{channels}
"""


def write_config(directory: Path, channels: dict[str, str], extra: str = "") -> LoadedConfig:
    """Load the test configuration with ``channels`` (name → YAML flow mapping)."""
    lines = "\n".join(f"    {name}: {body}" for name, body in channels.items())
    path = directory / "syncd.yaml"
    path.write_text(CONFIG.format(channels=lines) + extra)
    return load_config(path)


def measure(store: Store, kr_id: str, value: float, at: datetime) -> None:
    """One snapshot measurement of ``kr_id`` for the slot ``at``, collected then."""
    store.record_measurements(
        [
            MeasurementIn(
                key_result_id=kr_id,
                value=value,
                window_start=at,
                window_end=at,
                collected_at=at,
                source="survey",
                query_fingerprint="f" * 64,
                run_id=None,
            )
        ]
    )


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[int, MailHandler]]:
    controller, handler = start_smtp()
    yield controller.port, handler
    controller.stop()
