"""A source that fails for a while, then recovers: catch-up retries the failed slots with
backoff until each is measured, exactly once."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

from harness import Daemon, wait_until

from syncd.store import Store

JOB = "warehouse@every 5s"
STEP = timedelta(seconds=5)


def test_failed_slots_are_retried_until_the_gap_is_filled_exactly_once(
    tmp_path, write_daemon_config
):
    warehouse = tmp_path / "warehouse.db"
    sqlite3.connect(warehouse).close()  # no table yet: every query fails
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_daemon_config(
        store_url,
        warehouse=f"sqlite:///{warehouse}",
        alpha_sql="SELECT v FROM t WHERE :window_end IS NOT NULL",
        beta_sql="SELECT v * 2 FROM t WHERE :window_end IS NOT NULL",
    )
    daemon = Daemon(config, tmp_path)

    def claims() -> dict[datetime, tuple[int, str | None]]:
        with Store.open(store_url) as store:
            return store.slot_attempts(JOB)

    try:
        daemon.wait_for_event("daemon.ready", timeout=40)
        wait_until(
            lambda: sum(outcome == "failed" for _, outcome in claims().values()) >= 2,
            40,
            "two failed slots",
        )
        with sqlite3.connect(warehouse) as connection:
            connection.execute("CREATE TABLE t (v REAL)")
            connection.execute("INSERT INTO t VALUES (1.5)")
        recovered_at = datetime.now(UTC)

        def gap_filled() -> bool:
            state = claims()
            return max(state) > recovered_at + STEP and all(
                outcome == "ok" for _, outcome in state.values()
            )

        wait_until(gap_filled, 90, "every slot measured after the recovery")
        time.sleep(1)
    finally:
        assert daemon.stop() == 0

    state = claims()
    slots = sorted(state)
    assert slots == [slots[0] + i * STEP for i in range(len(slots))], "a slot was skipped"
    retried = [slot for slot, (attempts, _) in state.items() if attempts > 1]
    assert len(retried) >= 2, state
    with Store.open(store_url) as store:
        alpha = store.measurements("alpha")
        beta = store.measurements("beta")
        runs = store.runs(limit=500, source="warehouse")
    # Every slot measured, once: one revision each, one successful run per slot.
    assert sorted(m.window_end for m in alpha) == slots
    assert [m.revision for m in alpha] == [1] * len(slots)
    assert {m.value for m in alpha} == {1.5} and {m.value for m in beta} == {3.0}
    assert sorted(m.window_end for m in beta) == slots
    ok_runs = [run for run in runs if run.outcome == "ok"]
    assert sorted(run.slot for run in ok_runs) == slots
    assert all(run.finished_at is not None for run in runs)
    print(f"slots={len(slots)} retried={len(retried)} duplicates=0 lost=0")
