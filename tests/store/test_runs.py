import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from syncd.errors import StoreError
from syncd.store import StateStore, open_store
from tests.store.backdoor import update_run


def test_run_bookkeeping(store):
    slot = datetime(2026, 10, 1, 6, tzinfo=UTC)
    before = datetime.now(UTC)
    run_id = store.start_run(source="web", trigger="schedule", slot=slot)
    assert len(run_id) == 32 and int(run_id, 16) >= 0

    [running] = store.runs()
    assert (running.id, running.source, running.trigger, running.slot) == (
        run_id,
        "web",
        "schedule",
        slot,
    )
    assert running.finished_at is None and running.outcome is None
    assert before <= running.started_at <= datetime.now(UTC)

    store.finish_run(
        run_id,
        outcome="partial",
        error="1 request failed",
        upstream_calls=7,
        retries=2,
        requests=5,
        measurements=4,
    )
    [done] = store.runs()
    assert (done.outcome, done.error) == ("partial", "1 request failed")
    assert (done.upstream_calls, done.retries, done.requests, done.measurements) == (7, 2, 5, 4)
    assert done.started_at <= done.finished_at <= datetime.now(UTC)
    assert done.duration_seconds == pytest.approx(
        (done.finished_at - done.started_at).total_seconds(), abs=1e-6
    )


def test_runs_newest_first_filtered_and_limited(store):
    ids = [store.start_run(source=s, trigger="manual") for s in ("web", "crm", "web", "web")]
    assert [r.id for r in store.runs()] == ids[::-1]
    assert [r.id for r in store.runs(source="web")] == [ids[3], ids[2], ids[0]]
    assert [r.id for r in store.runs(limit=2)] == [ids[3], ids[2]]
    assert store.runs(source="zendesk") == []
    assert [r.slot for r in store.runs()] == [None] * 4


def test_finishing_an_unknown_or_finished_run_fails(store):
    counters = {"upstream_calls": 0, "retries": 0, "requests": 0, "measurements": 0}
    with pytest.raises(StoreError, match="no run with id 'nope'"):
        store.finish_run("nope", outcome="ok", error=None, **counters)
    run_id = store.start_run(source="web", trigger="manual", slot=None)
    store.finish_run(run_id, outcome="ok", error=None, **counters)
    with pytest.raises(StoreError, match="already finished"):
        store.finish_run(run_id, outcome="failed", error="x", **counters)
    assert store.runs()[0].outcome == "ok"
    assert store.runs()[0].finished_at > datetime.now(UTC) - timedelta(minutes=5)


# -- runs left open by a dead process ---------------------------------------------------------


def _owned(store_url: str, owner: str) -> StateStore:
    return open_store(store_url, owner=owner)


def test_runs_of_dead_processes_on_this_host_are_closed_as_interrupted(store_url):
    host = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with (
            _owned(store_url, f"{host}:{dead.pid}") as of_dead,
            _owned(store_url, f"{host}:{alive.pid}") as of_alive,
        ):
            of_dead._interrupted_closed = of_alive._interrupted_closed = True
            dead_run = of_dead.start_run(source="web", trigger="backfill")
            live_run = of_alive.start_run(source="crm", trigger="backfill")
        with open_store(store_url) as restarted:
            closed = restarted.close_interrupted_runs()
            assert [run.id for run in closed] == [dead_run]
            by_id = {run.id: run for run in restarted.runs()}
        assert by_id[dead_run].outcome == "interrupted"
        assert by_id[dead_run].error == (
            f"its process ({host}:{dead.pid}) ended before the run finished"
        )
        assert by_id[dead_run].finished_at is not None
        assert by_id[dead_run].duration_seconds is None
        assert by_id[live_run].finished_at is None  # its process still runs
    finally:
        alive.kill()
        alive.wait()


def test_a_pid_reused_by_a_younger_process_does_not_keep_a_run_open(store_url):
    host = socket.gethostname()
    with _owned(store_url, f"{host}:1") as store:
        store._interrupted_closed = True
        run_id = store.start_run(source="web", trigger="schedule")
    younger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # The run started an hour before the process that now has its pid.
        update_run(
            store_url,
            run_id,
            owner=f"{host}:{younger.pid}",
            started_at=datetime.now(UTC) - timedelta(hours=1),
        )
        with open_store(store_url) as restarted:
            assert [run.id for run in restarted.close_interrupted_runs()] == [run_id]
    finally:
        younger.kill()
        younger.wait()


def test_another_hosts_run_is_closed_only_after_the_lease_and_may_still_finish(store_url):
    with _owned(store_url, "elsewhere.example:4242") as remote:
        remote._interrupted_closed = True
        run_id = remote.start_run(source="web", trigger="schedule")
        with open_store(store_url) as local:
            assert local.close_interrupted_runs() == []  # younger than the lease: alive
            local.run_lease = timedelta(0)
            assert [run.id for run in local.close_interrupted_runs()] == [run_id]
            assert local.runs()[0].outcome == "interrupted"
        # It was alive after all: its own finish replaces the verdict.
        remote.finish_run(
            run_id,
            outcome="ok",
            error=None,
            upstream_calls=1,
            retries=0,
            requests=1,
            measurements=1,
        )
        [done] = remote.runs()
        assert (done.outcome, done.measurements) == ("ok", 1)


def test_the_first_run_recorded_closes_dead_runs_and_own_earlier_incarnations(store_url):
    with open_store(store_url) as store:
        store._interrupted_closed = True
        earlier = store.start_run(source="web", trigger="schedule")
        mine = store.start_run(source="crm", trigger="schedule")
    # The same host:pid an hour ago: a restarted container's earlier process.
    update_run(store_url, earlier, started_at=datetime.now(UTC) - timedelta(hours=1))
    with open_store(store_url) as store:
        new = store.start_run(source="web", trigger="schedule")
        outcomes = {run.id: run.outcome for run in store.runs()}
    assert outcomes == {earlier: "interrupted", mine: None, new: None}
