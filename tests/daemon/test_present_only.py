"""Catch-up never invents history: slots missed while the daemon was down are filled for a
query that reads its window, and left empty for one that can only read the present."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from harness import Daemon, wait_until

from syncd.store import Store

STEP = timedelta(seconds=5)


def test_catch_up_fills_windowed_queries_and_skips_present_only_ones(tmp_path, write_daemon_config):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_daemon_config(
        store_url,
        alpha_sql="SELECT 1.5",  # blind to its window: the present state only
        beta_sql="SELECT 2.5 WHERE :window_end IS NOT NULL",
    )

    def measured(kr: str) -> list[datetime]:
        with Store.open(store_url) as store:
            return sorted(_utc(m.window_end) for m in store.measurements(kr))

    first = Daemon(config, tmp_path, name="first")
    try:
        first.wait_for_event("daemon.ready", timeout=40)
        wait_until(lambda: len(measured("beta")) >= 2, 40, "two slots measured")
    finally:
        assert first.stop() == 0
    down_from = max(measured("beta"))
    time.sleep(3 * STEP.total_seconds())  # three slots pass with nobody measuring
    restarted = datetime.now(UTC)

    second = Daemon(config, tmp_path, name="second")
    try:
        second.wait_for_event("daemon.ready", timeout=40)

        def caught_up() -> bool:
            beta = measured("beta")
            gap = [slot for slot in beta if slot > down_from]
            return len(gap) >= 4 and gap == [down_from + STEP * i for i in range(1, len(gap) + 1)]

        wait_until(caught_up, 60, "beta's missed slots caught up")
    finally:
        assert second.stop() == 0

    beta, alpha = measured("beta"), measured("alpha")
    missed = [slot for slot in beta if down_from < slot < restarted - STEP]
    assert len(missed) >= 2, (down_from, restarted, beta)
    # The windowed query has every slot; the present-only one none of those it could not see.
    assert not set(missed) & set(alpha), (missed, alpha)
    assert set(alpha) <= set(beta)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
