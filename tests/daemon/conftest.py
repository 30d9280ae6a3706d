from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness import NotifySocket, free_port

CONFIG = """\
timezone: UTC
store: "{store}"
daemon: {{listen: "127.0.0.1:{port}", jitter: {jitter}, lease: {lease}, catch_up: 2m,
         shutdown_timeout: 30s, spool: "{spool}"}}
sources:
  warehouse: {{type: sql, url: "{warehouse}"}}
cycles:
  now: {{start: {start}, end: {end}}}
metrics:
  alpha: {{source: warehouse, query: {{sql: "{alpha_sql}"}}, window: snapshot}}
  beta: {{source: warehouse, query: {{sql: "{beta_sql}"}}, window: snapshot}}
objectives:
  - id: o
    title: Daemon under test
    team: ops
    cycle: now
    key_results:
      - {{id: alpha, title: A, metric: alpha, focus: user, baseline: 0, target: 10,
         schedule: every 5s}}
      - {{id: beta, title: B, metric: beta, focus: business, baseline: 0, target: 10,
         schedule: every 5s}}
"""


@pytest.fixture
def write_daemon_config(tmp_path: Path) -> Callable[..., Path]:
    def write(
        store: str | None = None,
        *,
        name: str = "syncd.yaml",
        lease: str = "10m",
        alpha_sql: str = "SELECT 1.5 WHERE :window_end IS NOT NULL",
        beta_sql: str = "SELECT 2.5 WHERE :window_end IS NOT NULL",
        extra: str = "",
        port: int | None = None,
        jitter: str = "0s",
        warehouse: str = "sqlite://",
    ) -> Path:
        today = datetime.now(UTC).date()
        path = tmp_path / name
        path.write_text(
            CONFIG.format(
                store=store or f"sqlite:///{tmp_path / 'store.db'}",
                port=port or free_port(),
                lease=lease,
                jitter=jitter,
                spool=tmp_path / f"{path.stem}-spool.db",
                start=today - timedelta(days=10),
                end=today + timedelta(days=30),
                alpha_sql=alpha_sql,
                beta_sql=beta_sql,
                warehouse=warehouse,
            )
            + extra
        )
        return path

    return write


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()
