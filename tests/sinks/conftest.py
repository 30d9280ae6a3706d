"""A workspace for the sink framework's tests: the recording tool (tests/sinks/recording.py)
over HTTP, a warehouse the ``sql`` source reads, and a config pushing a KR to the tool."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.config import LoadedConfig, load_config
from syncd.registry import unregister_sink
from tests.sinks.recording import TOKEN, RecordingSandbox, register

CONFIG = """\
timezone: Europe/Zurich
store: "{store}"
sources:
  warehouse: {{type: sql, url: "sqlite:///{warehouse}", timestamps: utc}}
sinks:
  tool: {{type: recording, url: "{url}", token: "${{env:REC_TOKEN}}"}}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  signups:
    source: warehouse
    query: {{sql: "SELECT COUNT(*) FROM signups WHERE day >= :start_date AND day < :end_date"}}
    window: calendar_day
objectives:
  - id: growth
    title: Grow
    team: growth
    cycle: 2026-Q4
    key_results:
      - {{id: signups, title: "Signups from 0 to 400", metric: signups, focus: business,
         unit: signups, baseline: 0, target: 400, schedule: daily,
         push: {{tool: {{goal: g-1}}}}}}
      - {{id: unmapped, title: "Signups again", metric: signups, focus: user,
         unit: signups, baseline: 0, target: 400, schedule: daily}}
"""


@pytest.fixture(autouse=True)
def recording_sink() -> Iterator[None]:
    """The test sink, registered as type ``recording`` for the test."""
    register()
    yield
    unregister_sink("recording")


@pytest.fixture
def tool() -> Iterator[RecordingSandbox]:
    """The recording tool, started on a free port, with goal ``g-1``."""
    with RecordingSandbox({"g-1": "Signups", "g-2": "Other"}) as sandbox:
        yield sandbox


def make_warehouse(path: Path, signups: dict[str, int]) -> Path:
    """A SQLite warehouse with ``signups[day]`` rows per day."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS signups (day TEXT)")
        db.execute("DELETE FROM signups")
        for day, count in signups.items():
            db.executemany("INSERT INTO signups VALUES (?)", [(day,)] * count)
    return path


def write_config(root: Path, *, store: str, url: str) -> Path:
    """The workspace's config file (the warehouse beside it)."""
    path = root / "okrs.yaml"
    path.write_text(CONFIG.format(store=store, warehouse=root / "warehouse.db", url=url))
    return path


def load(path: Path) -> LoadedConfig:
    return load_config(path, environ={"REC_TOKEN": TOKEN})


__all__ = ["TOKEN", "load", "make_warehouse", "write_config"]
