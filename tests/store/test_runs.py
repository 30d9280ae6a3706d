from datetime import UTC, datetime, timedelta

import pytest

from syncd.errors import StoreError


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
