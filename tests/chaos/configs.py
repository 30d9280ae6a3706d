"""Configs for the chaos runs: one source, one KR per job, short schedules and backoff."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.daemon.harness import free_port

STEP = timedelta(seconds=5)
"""Every chaos KR's schedule (``every 5s``, the shortest): many slots in a short run."""

TEMPLATE = """\
timezone: UTC
store: "{store}"
daemon: {{listen: "127.0.0.1:{port}", jitter: 0s, lease: {lease}, catch_up: 2m,
         shutdown_timeout: 20s, spool: "{spool}", failure_backoff: 5s}}
sources:
  {source}: {source_spec}
cycles:
  now: {{start: {start}, end: {end}}}
metrics:
  {kr}: {{source: {source}, query: {query}, window: {window}}}
objectives:
  - id: chaos
    title: Chaos
    team: ops
    cycle: now
    key_results:
      - {{id: {kr}, title: {kr}, metric: {kr}, focus: user, baseline: 0, target: 100000,
         schedule: every 5s}}
"""


def daemon_config(
    workdir: Path,
    *,
    store: str,
    source: str,
    source_spec: str,
    query: str,
    kr: str = "measured",
    window: str = "trailing_7d",
    lease: str = "1m",
) -> tuple[Path, int]:
    """Write a config for one KR measured every 5 s; returns its path and listener port."""
    today = datetime.now(UTC).date()
    port = free_port()
    path = workdir / "syncd.yaml"
    path.write_text(
        TEMPLATE.format(
            store=store,
            port=port,
            lease=lease,
            spool=workdir / "spool.db",
            source=source,
            source_spec=source_spec,
            start=today - timedelta(days=10),
            end=today + timedelta(days=30),
            kr=kr,
            query=query,
            window=window,
        )
    )
    return path, port


def warehouse_spec(workdir: Path) -> str:
    """A ``sql`` source on an (empty) SQLite warehouse file: the queries compute their value."""
    path = workdir / "warehouse.db"
    sqlite3.connect(path).close()
    return f'{{type: sql, url: "sqlite:///{path}"}}'
