"""JSON logs on stderr from a real ``syncd`` process, with a secret that must never show.

The config reads two PostgreSQL sources through ``${env:…}`` references: the password of both,
and the database name of the second, which does not exist, so PostgreSQL's error message
echoes that secret back, and only redaction keeps it out of the log line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "pw-Zq81-not-for-logs"
MISSING_DB = "archive_k7qz9x_secret"

CONFIG = """\
timezone: Europe/Zurich
store: "sqlite:///{store}"
sources:
  warehouse: {{type: sql, url: "{warehouse}"}}
  archive: {{type: sql, url: "{archive}"}}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  answer: {{source: warehouse, query: {{sql: "SELECT 42"}}, window: snapshot}}
  old: {{source: archive, query: {{sql: "SELECT 1"}}, window: snapshot}}
objectives:
  - id: observe
    title: Watch the daemon
    team: ops
    cycle: 2026-Q4
    commitment: committed
    key_results:
      - {{id: answer-kr, title: "answer 40 → 50", metric: answer, focus: user, unit: count,
         baseline: 40, target: 50, schedule: hourly}}
      - {{id: old-kr, title: "old 0 → 10", metric: old, focus: business, unit: count,
         baseline: 0, target: 10, schedule: hourly}}
"""


@pytest.fixture
def config(tmp_path: Path, postgres_admin: Engine) -> tuple[Path, str]:
    """A config file, and the password its references resolve to."""
    # A server that checks passwords needs the real one; a trust server ignores ours.
    password = postgres_admin.url.password or PASSWORD
    url = postgres_admin.url.set(password="PLACEHOLDER").render_as_string(hide_password=False)
    warehouse = url.replace("PLACEHOLDER", "${env:WAREHOUSE_PASSWORD}")
    archive = (
        postgres_admin.url.set(password="PLACEHOLDER", database="DBNAME")
        .render_as_string(hide_password=False)
        .replace("PLACEHOLDER", "${env:WAREHOUSE_PASSWORD}")
        .replace("DBNAME", "${env:ARCHIVE_DB}")
    )
    path = tmp_path / "syncd.yaml"
    path.write_text(
        CONFIG.format(store=tmp_path / "store.db", warehouse=warehouse, archive=archive)
    )
    return path, password


def test_json_log_lines_carry_event_level_timestamp_and_no_secret(
    config: tuple[Path, str],
) -> None:
    path, password = config
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env |= {"WAREHOUSE_PASSWORD": password, "ARCHIVE_DB": MISSING_DB}
    options = ["--log-format", "json", "--log-level", "info"]
    command = ["sync", "--once", "-c", str(path), "--as-of", "2026-11-21T10:30"]
    result = subprocess.run(
        [sys.executable, "-m", "syncd", *options, *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr  # one KR measured, one failed

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no log lines on stderr"
    for line in lines:
        assert {"event", "level", "timestamp"} <= line.keys(), line
        assert line["timestamp"].endswith("Z")
    for secret in (password, MISSING_DB):
        assert secret not in result.stderr
        assert secret not in result.stdout

    by_source = {line["source"]: line for line in lines if line["event"] == "source.collected"}
    assert by_source["warehouse"]["level"] == "info"
    assert by_source["warehouse"]["outcome"] == "ok"
    assert by_source["archive"]["level"] == "info"  # a run says what it did; failing warns once
    assert by_source["archive"]["outcome"] == "failed"
    failing = [line for line in lines if line["event"] == "source.failing"]
    assert [(line["source"], line["level"]) for line in failing] == [("archive", "warning")]
    assert 'database "***" does not exist' in by_source["archive"]["error"]
