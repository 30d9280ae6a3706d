"""Several daemons on one PostgreSQL: every (KR, slot) measured exactly once, even when one
instance is killed mid-run; and a store outage under a running daemon loses nothing."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from harness import SLOW_SQL, CuttableProxy, Daemon, wait_until
from sqlalchemy import create_engine, text

from syncd.schedule import parse_schedule
from syncd.store import Store

pytestmark = pytest.mark.postgres
STEP = timedelta(seconds=5)


def slots_between(first, last):
    return {first + i * STEP for i in range(int((last - first) / STEP) + 1)}


def test_three_daemons_measure_each_slot_once_and_survive_a_kill(
    tmp_path, postgres_url, write_daemon_config
):
    slow = {
        "alpha_sql": SLOW_SQL.format(n=600_000, value=1.5),
        "beta_sql": SLOW_SQL.format(n=600_000, value=2.5),
    }
    # The survivors start each slot up to 2 s late, so the victim claims every slot while it
    # lives: killing it mid-run is then a matter of waiting for its next claim.
    daemons = [
        Daemon(
            write_daemon_config(
                postgres_url, name=f"d{i}.yaml", lease="4s", jitter="0s" if i == 0 else "2s", **slow
            ),
            tmp_path,
            name=f"d{i}",
        )
        for i in range(3)
    ]
    victim = daemons[0]
    owner = f"{socket.gethostname()}:{victim.pid}"
    engine = create_engine(postgres_url)
    try:
        for daemon in daemons:
            daemon.wait_for_event("daemon.ready", timeout=60)
        time.sleep(10)

        def victim_mid_run() -> bool:
            with engine.connect() as connection:
                return bool(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM job_claims "
                            "WHERE owner = :owner AND finished_at IS NULL"
                        ),
                        {"owner": owner},
                    ).scalar()
                )

        wait_until(victim_mid_run, 30, "the victim holding an unfinished claim")
        victim.kill()
        killed_at = time.time()
        time.sleep(15)
    finally:
        codes = [daemon.stop() for daemon in daemons[1:]]
        if victim.process.poll() is None:
            victim.kill()
        engine.dispose()
    assert codes == [0, 0]

    with Store.open(postgres_url) as store:
        alpha = [m.window_end for m in store.measurements("alpha")]
        beta = [m.window_end for m in store.measurements("beta")]
    assert len(alpha) == len(set(alpha)), "a slot was measured twice"
    expected = slots_between(min(alpha), max(alpha))
    assert set(alpha) == expected, f"lost slots: {sorted(expected - set(alpha))}"
    assert set(beta) == set(alpha)
    assert len(expected) >= 6
    # Slots after the kill were measured by the survivors, the victim's one included.
    assert max(alpha).timestamp() > killed_at + 5
    print(f"slots={len(expected)} measurements={len(alpha) + len(beta)} duplicates=0 lost=0")


def test_a_store_outage_spools_and_replays_without_loss(
    tmp_path, postgres_url, write_daemon_config
):
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    daemon = Daemon(write_daemon_config(proxied), tmp_path)
    try:
        daemon.wait_for_event("daemon.ready", timeout=60)
        time.sleep(6)
        proxy.cut()
        daemon.wait_for_event("measurements.spooled", timeout=30)
        time.sleep(8)
        proxy.restore()
        daemon.wait_for_event("spool.replayed", timeout=40)
        time.sleep(6)
    finally:
        code = daemon.stop()
        proxy.close()
    assert code == 0
    with Store.open(postgres_url) as store:
        alpha = [m.window_end for m in store.measurements("alpha")]
        beta = [m.window_end for m in store.measurements("beta")]
    assert len(alpha) == len(set(alpha))
    expected = slots_between(min(alpha), max(alpha))
    assert set(alpha) == expected, f"lost slots: {sorted(expected - set(alpha))}"
    assert set(beta) == set(alpha)
    spooled = [e for e in daemon.events() if e["event"] == "measurements.spooled"]
    assert spooled, "the outage should have spooled measurements"
    assert parse_schedule("every 5s").interval == STEP
