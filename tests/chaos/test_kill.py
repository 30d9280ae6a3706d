"""``kill -9`` of the daemon at seeded random moments while a run is in flight, restarted each
time: the killed runs are closed as ``interrupted`` and every slot is measured exactly once."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest

from syncd.store import Store
from tests.chaos import invariants as inv
from tests.chaos.background import BackgroundRun
from tests.chaos.configs import STEP, daemon_config, warehouse_spec
from tests.daemon.harness import SLOW_SQL

SEED = 20261205
KILLS = 2
JOB = "warehouse@every 5s"


class KillRun(BackgroundRun):
    def drive(self) -> None:
        self.store_url = f"sqlite:///{self.workdir / 'store.db'}"
        config, self.port = daemon_config(
            self.workdir,
            store=self.store_url,
            source="warehouse",
            source_spec=warehouse_spec(self.workdir),
            query=f'{{sql: "{SLOW_SQL.format(n=2_000_000, value=1.5)}"}}',
            window="snapshot",
            lease="6s",
        )
        rng = random.Random(SEED)
        self.in_flight: list[str] = []  # runs open when the SIGKILL was sent
        daemon = self.daemon(config, name="d0")
        for kill in range(1, KILLS + 1):
            pid = daemon.pid
            # Each run holds about a second (the slow SQL), so a look every POLL sees one.
            open_runs = self.until(lambda p=pid: self.open_runs_of(p), 40, "a run in flight")
            time.sleep(rng.uniform(0, 0.3))
            self.in_flight += [run for run in self.open_runs_of(pid) if run in open_runs]
            daemon.kill()  # SIGKILL: no shutdown, no cleanup
            daemon = self.daemon(config, name=f"d{kill}")
        restarted = datetime.now(UTC)
        self.until(
            lambda: inv.settled_since(self.store_url, JOB, restarted, STEP),
            90,
            "every slot measured after the last restart",
        )
        self.readiness = inv.ready(self.port)
        self.code = daemon.stop()
        self.events = [event for d in self.daemons for event in d.events()]
        self.logs = "".join(inv.read(d.log_path) + inv.read(d.out_path) for d in self.daemons)

    def open_runs_of(self, pid: int) -> list[str]:
        with Store.open(self.store_url, upgrade=False) as store:
            return [
                run.id
                for run in store.runs(limit=1000)
                if run.finished_at is None and (run.owner or "").endswith(f":{pid}")
            ]


RUN = KillRun


@pytest.mark.scenario(
    "kill -9 of syncd run",
    f"SIGKILL {KILLS}x at seeded random moments (seed {SEED}) with a run in flight, "
    "restarted each time",
)
def test_killed_daemons_lose_nothing_and_leave_nothing_open(scenario, background):
    run: KillRun = background
    rows = inv.measured(run.store_url, "measured")
    ends = [end for end, _, _ in rows]
    missing, duplicated = inv.missing_and_duplicated(ends, STEP)
    state = inv.slot_state(run.store_url, JOB)
    with Store.open(run.store_url, upgrade=False) as store:
        runs = {r.id: r for r in store.runs(limit=1000)}
    closed = {
        run_id for e in inv.events_named(run.events, "runs.interrupted") for run_id in e["runs"]
    }
    scenario.expect(
        "nothing lost: every slot stored",
        f"{len(set(ends))} slots, {len(missing)} missing{inv.listed(missing)}",
        not missing and set(ends) == set(state),
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
        "killed runs closed as interrupted",
        f"{len(run.in_flight)} killed in flight, "
        f"{sum(runs[r].outcome == 'interrupted' for r in run.in_flight)} interrupted, "
        f"{sum(r.finished_at is None for r in runs.values())} left open",
        len(run.in_flight) >= 1
        and set(run.in_flight) <= closed
        and all(runs[r].outcome == "interrupted" for r in run.in_flight)
        and all(r.finished_at is not None for r in runs.values()),
    )
    scenario.expect(
        "last daemon ready, clean exit",
        f"/readyz={run.readiness} exit={run.code}",
        run.readiness == 200 and run.code == 0,
    )
    scenario.expect(
        "no traceback", f"{inv.tracebacks(run.logs)} in the logs", not inv.tracebacks(run.logs)
    )
    scenario.verdict()
