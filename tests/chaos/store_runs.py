"""What the store-outage scenarios share: the daemon measures a SQL source worth 1.5 every 5 s
while the store breaks; afterwards every slot is stored exactly once, with 1.5."""

from __future__ import annotations

import contextlib
import errno
import os
from datetime import datetime
from pathlib import Path

import pytest

from tests.chaos import invariants as inv
from tests.chaos.background import BackgroundRun
from tests.chaos.configs import STEP, daemon_config, warehouse_spec
from tests.chaos.table import Scenario

JOB = "warehouse@every 5s"
VALUE_SQL = '{sql: "SELECT 1.5 WHERE :window_end IS NOT NULL"}'
# The suite's PostgreSQL server, as tests/conftest.py finds it.
POSTGRES = os.environ.get(
    "SYNCD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class StoreRun(BackgroundRun):
    """What the store scenarios share: a SQL source worth 1.5, the checks afterwards."""

    skipped: str | None = None
    not_ready: list[str]

    daemon_store_url: str

    def measure(self, store_url: str) -> tuple[Path, int]:
        self.store_url = store_url  # how the test reads it (the daemon may go through a proxy)
        self.not_ready = []
        return daemon_config(
            self.workdir,
            store=self.daemon_store_url,
            source="warehouse",
            source_spec=warehouse_spec(self.workdir),
            query=VALUE_SQL,
            window="snapshot",
        )

    def wait_not_ready(self, what: str) -> None:
        status = self.until(lambda: (s := inv.ready(self.port)) != 200 and (s or -1), 40, what)
        self.not_ready.append(f"/readyz while {what}: {status}")

    def finish(self, since: datetime) -> None:
        """Wait until the gap is filled, stop, and keep what the checks read (the database may
        be gone by then)."""
        self.until(
            lambda: inv.settled_since(self.store_url, JOB, since, STEP),
            90,
            "every slot measured after the store came back",
        )
        self.rows = inv.measured(self.store_url, "measured")
        self.state = inv.slot_state(self.store_url, JOB)
        daemon = self.daemons[-1]
        self.readiness = inv.ready(self.port)
        self.code = daemon.stop()
        self.events = daemon.events()
        self.logs = inv.read(daemon.log_path) + inv.read(daemon.out_path)


def fill(path: Path) -> int:
    """Write zeros to ``path`` until the disk is full; the bytes written."""
    written = 0
    with path.open("wb", buffering=0) as sink:
        try:
            while True:
                written += sink.write(b"\0" * 65536)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    with contextlib.suppress(OSError), path.open("ab", buffering=0) as sink:
        while sink.write(b"\0"):  # the last partial block
            written += 1
    return written


def check(scenario: Scenario, run: StoreRun, extra: list[tuple[str, str, bool]]) -> None:
    rows, state = run.rows, run.state
    ends = [end for end, _, _ in rows]
    missing, duplicated = inv.missing_and_duplicated(ends, STEP)
    spooled = sum(e["count"] for e in inv.events_named(run.events, "measurements.spooled"))
    replayed = sum(e["measurements"] for e in inv.events_named(run.events, "spool.replayed"))
    scenario.expect(
        "nothing lost: every slot stored",
        f"{len(set(ends))} slots, {len(missing)} missing{inv.listed(missing)}; "
        f"{spooled} spooled, {replayed} replayed",
        not missing and set(ends) == set(state) and spooled >= 1 and replayed >= 1,
    )
    scenario.expect(
        "exactly once",
        f"{len(duplicated)} duplicated, revisions {sorted({r for _, _, r in rows})}",
        not duplicated and all(revision == 1 for _, _, revision in rows),
    )
    scenario.expect(
        "nothing wrong: each value 1.5",
        f"{sum(value != 1.5 for _, value, _ in rows)} wrong of {len(rows)}",
        all(value == 1.5 for _, value, _ in rows),
    )
    scenario.expect(
        "recovers by itself: ready again, clean exit",
        f"{'; '.join(run.not_ready)}; after: {run.readiness}; exit={run.code}",
        run.readiness == 200 and run.code == 0,
    )
    for invariant, observed, held in extra:
        scenario.expect(invariant, observed, held)
    scenario.expect(
        "no traceback", f"{inv.tracebacks(run.logs)} in the logs", not inv.tracebacks(run.logs)
    )
    scenario.verdict()


def skip_unless_ran(run: StoreRun, *, ci_fails: bool) -> None:
    if run.skipped:
        if ci_fails and os.environ.get("CI") == "true":
            pytest.fail(run.skipped)
        pytest.skip(run.skipped)
