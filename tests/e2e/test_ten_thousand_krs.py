"""Every store- and config-bound command works with a config of 10,000 KRs, on SQLite and on
PostgreSQL: validate, sync against a SQL source, status, history, export, report, and the API
``serve`` answers. Not timed (``bench/bench_status.py`` measures); the history is written in
bulk. About 2.5 minutes per backend, so it is marked ``scale`` and left out of the default
run (the suite stays under 15 minutes): ``pytest -m scale`` runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from syncd.config import load_config
from syncd.store import Store
from syncd.store.tables import Measurement
from syncd.web import create_dashboard_app

pytestmark = pytest.mark.scale

KRS = 10_000
PER_OBJECTIVE = 4
PER_FILE = 500
"""Objectives per YAML file: syncd reads files of at most 2 MiB."""
SEGMENTS = ("newcomer", "resident", "student", "family")
AS_OF = "2026-11-21T12:00"
DAYS = 3
"""Stored measurements per KR before the sync."""

SETTINGS = """\
timezone: UTC
store: {store}
sources:
  warehouse: {{type: sql, url: "sqlite:///{warehouse}", timestamps: utc}}
cycles:
  q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
"""
METRIC = (
    "  signups-{segment}: {{source: warehouse, window: trailing_7d, query: {{sql: "
    '"SELECT COUNT(*) FROM signups WHERE segment = :segment AND signed_up_on >= :start_date '
    'AND signed_up_on < :end_date", params: {{segment: {segment}}}}}}}\n'
)


def kr_id(number: int) -> str:
    return f"kr-{number:05d}"


def write_config(directory: Path, store: str, warehouse: Path) -> Path:
    directory.mkdir()
    settings = SETTINGS.format(store=store, warehouse=warehouse)
    settings += "".join(METRIC.format(segment=segment) for segment in SEGMENTS)
    (directory / "00-settings.yaml").write_text(settings)
    objectives = [
        f"  - {{id: o-{o:04d}, title: Objective {o}, team: team-{o % 25:02d}, cycle: q4, "
        "key_results: ["
        + ", ".join(
            f"{{id: {kr_id(n)}, title: KR {n}, focus: user, baseline: 0, target: 100, "
            f"metric: signups-{SEGMENTS[n % len(SEGMENTS)]}}}"
            for n in range(o * PER_OBJECTIVE, (o + 1) * PER_OBJECTIVE)
        )
        + "]}"
        for o in range(KRS // PER_OBJECTIVE)
    ]
    for number, start in enumerate(range(0, len(objectives), PER_FILE)):
        text = "objectives:\n" + "\n".join(objectives[start : start + PER_FILE]) + "\n"
        (directory / f"10-objectives-{number:02d}.yaml").write_text(text)
    return directory


def write_warehouse(path: Path) -> dict[str, int]:
    """Signups per segment, each day of November; returns the count of 14-20 November per
    segment (the trailing 7 days of 21 November)."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE signups (segment TEXT, signed_up_on TEXT)")
    rows = [
        (segment, f"2026-11-{day:02d}")
        for index, segment in enumerate(SEGMENTS)
        for day in range(1, 22)
        for _ in range(index + 1 + day % 3)
    ]
    connection.executemany("INSERT INTO signups VALUES (?, ?)", rows)
    connection.commit()
    connection.close()
    return {
        segment: sum(1 for s, on in rows if s == segment and "2026-11-14" <= on < "2026-11-21")
        for segment in SEGMENTS
    }


def value_of(number: int, day: int) -> float:
    return float(number % 97 + day)


def seed(config: Path, url: str) -> None:
    """Definitions through the store, then ``DAYS`` daily measurements of every KR in bulk."""
    loaded = load_config(config)
    with Store.open(url) as store:
        store.sync_definitions(loaded.config)
    first = datetime(2026, 11, 10, tzinfo=UTC)
    rows = [
        {
            "key_result_id": kr_id(number),
            "window_start": first + timedelta(days=day),
            "window_end": first + timedelta(days=day + 1),
            "value": value_of(number, day),
            "collected_at": first + timedelta(days=day + 1, hours=1),
            "source": "warehouse",
            "query_fingerprint": "seeded",
            "revision": 1,
        }
        for number in range(KRS)
        for day in range(DAYS)
    ]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Measurement.__table__), rows)  # type: ignore[attr-defined]
    engine.dispose()


def syncd(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["COLUMNS"] = "80"
    result = subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"syncd {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.timeout(1800)
def test_every_command_works_with_ten_thousand_krs(tmp_path: Path, sql_store_url: str) -> None:
    trailing = write_warehouse(tmp_path / "warehouse.db")
    config = write_config(tmp_path / "okrs", sql_store_url, tmp_path / "warehouse.db")
    config_arg = ("-c", str(config))
    syncd("validate", *config_arg, cwd=tmp_path)
    seed(config, sql_store_url)

    synced = syncd("sync", *config_arg, "--as-of", AS_OF, cwd=tmp_path)
    assert synced  # a summary line; the values are checked through status below

    status = json.loads(syncd("status", *config_arg, "-f", "json", "--as-of", AS_OF, cwd=tmp_path))
    krs = {kr["id"]: kr for kr in status["key_results"]}
    assert len(krs) == KRS
    for number in (0, 1, 4_999, 9_998, 9_999):
        kr = krs[kr_id(number)]
        assert kr["value"] == trailing[SEGMENTS[number % len(SEGMENTS)]]
        assert kr["points"] == DAYS + 1  # the seeded days and the synced window
    assert len(status["objectives"]) == KRS // PER_OBJECTIVE

    history = json.loads(syncd("history", kr_id(9_999), *config_arg, "-f", "json", cwd=tmp_path))
    assert [m["value"] for m in history["measurements"][:DAYS]] == [
        value_of(9_999, day) for day in range(DAYS)
    ]

    exported = list(csv.DictReader(io.StringIO(syncd("export", *config_arg, cwd=tmp_path))))
    assert len(exported) == KRS * (DAYS + 1)

    review = syncd("report", "--cycle", "q4", *config_arg, "-f", "json", "--as-of", AS_OF,
                   cwd=tmp_path)  # fmt: skip
    assert json.loads(review)["committed"]["kr_count"] == KRS

    loaded = load_config(config)
    now = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    app = create_dashboard_app(
        loaded, lambda: Store.open(sql_store_url), token=None, clock=lambda: now
    )
    client = app.test_client()
    answer = client.get("/api/v1/key-results")
    assert answer.status_code == 200
    api = {kr["id"]: kr for kr in answer.get_json()["key_results"]}
    assert len(api) == KRS
    assert api[kr_id(9_999)]["value"] == krs[kr_id(9_999)]["value"]
