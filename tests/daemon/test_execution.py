"""Running one slot without a daemon: a real syncer and connector pool (an in-memory SQLite
warehouse) writing into an in-memory store, which also keeps the claims."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from syncd.daemon.execution import JobBackoff, SlotRunner
from syncd.daemon.pools import Pools
from syncd.observe import Telemetry
from syncd.planner import Job
from syncd.schedule import parse_schedule
from syncd.session import load
from syncd.store import open_store
from syncd.store.abc import StateStore
from syncd.sync import Syncer

FAILING_SQL = "SELECT v FROM no_such_table WHERE :window_end IS NOT NULL"


@pytest.fixture
def store() -> StateStore:
    return open_store("memory://")


@pytest.fixture
def make_runner(
    write_daemon_config: Callable[..., Path], store: StateStore
) -> Iterator[Callable[..., tuple[SlotRunner, Job]]]:
    pools: list[Pools] = []

    def make(*, stopping: bool = False, **sql: str) -> tuple[SlotRunner, Job]:
        """A runner of the config's one job (its KRs alpha and beta), and that job."""
        # The configured (SQLite) store is never opened: the runner writes into ``store``.
        loaded = load(write_daemon_config(**sql))
        syncer = Syncer(loaded)
        pools.append(Pools(syncer.pool()))
        (job,) = syncer.planner.jobs().values()
        runner = SlotRunner(
            store,
            store,
            pools[-1],
            Telemetry(),
            owner="unit",
            syncer=syncer,
            settings=loaded.config.daemon,
            stopping=lambda: stopping,
        )
        return runner, job

    yield make
    for pool in pools:
        pool.close()


def slot_ago(seconds: int) -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=0) - timedelta(seconds=now.second % 5 + seconds)


def test_a_slot_is_claimed_measured_and_finished_once(make_runner, store):
    runner, job = make_runner()
    slot = slot_ago(0)
    runner.run(job, slot)
    assert store.slot_attempts(job.key) == {slot: (1, "ok")}
    assert [m.value for m in store.measurements("alpha")] == [1.5]
    assert [m.value for m in store.measurements("beta")] == [2.5]
    runner.run(job, slot)  # done: no second claim, no second run
    assert store.slot_attempts(job.key) == {slot: (1, "ok")}
    assert [m.value for m in store.measurements("alpha")] == [1.5]


def test_a_stopping_runner_starts_nothing(make_runner, store):
    runner, job = make_runner(stopping=True)
    runner.run(job, slot_ago(0))
    assert store.slot_attempts(job.key) == {}


def test_one_failing_kr_makes_the_slot_partial(make_runner, store):
    runner, job = make_runner(beta_sql=FAILING_SQL)
    slot = slot_ago(0)
    runner.run(job, slot)
    assert store.slot_attempts(job.key) == {slot: (1, "partial")}
    assert [m.value for m in store.measurements("alpha")] == [1.5]


def test_a_job_failing_three_times_in_a_row_is_paused(make_runner, store):
    runner, job = make_runner(alpha_sql=FAILING_SQL, beta_sql=FAILING_SQL)
    slots = [slot_ago(seconds) for seconds in (15, 10, 5, 0)]
    with capture_logs() as logs:
        for slot in slots:
            runner.run(job, slot)
    # The first three failed and were finished; the fourth was not even claimed.
    assert store.slot_attempts(job.key) == {slot: (1, "failed") for slot in slots[:3]}
    events = [entry["event"] for entry in logs if entry["event"].startswith("job.")]
    assert events == ["job.paused", "job.backing_off"]


def test_a_busy_job_lock_is_logged_and_the_run_goes_on(make_runner, store):
    runner, _ = make_runner()
    ran = []
    with store.job_lock("warehouse@5s") as held, capture_logs() as logs:
        assert held
        with runner.job_lock("warehouse@5s", wait=0):
            ran.append(True)
    assert ran == [True]
    assert [(e["event"], e["job"]) for e in logs] == [("job.lock_busy", "warehouse@5s")]


def hourly_job() -> Job:
    return Job(key="crm@hourly", schedule=parse_schedule("hourly"), sources=("crm",), kr_ids=())


def test_the_pause_starts_at_the_third_failure_doubles_and_is_capped():
    backoff = JobBackoff()
    job, now, longest = hourly_job(), datetime(2026, 3, 10, 12, tzinfo=UTC), timedelta(hours=3)
    for _ in range(2):
        backoff.note(job, "failed", longest=longest, now=now)
    assert backoff.paused_until(job.key, now) is None
    pauses = []
    for _ in range(3):
        backoff.note(job, "failed", longest=longest, now=now)
        until = backoff.paused_until(job.key, now)
        assert until is not None
        pauses.append(until - now)
    assert pauses == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)]
    assert backoff.paused_until(job.key, now + timedelta(hours=3)) is None  # over by then


@pytest.mark.parametrize("outcome", ["ok", "partial"])
def test_a_run_that_measured_something_ends_the_pause(outcome):
    backoff = JobBackoff()
    job, now = hourly_job(), datetime(2026, 3, 10, 12, tzinfo=UTC)
    for _ in range(3):
        backoff.note(job, "failed", longest=timedelta(hours=1), now=now)
    assert backoff.paused_until(job.key, now) == now + timedelta(hours=1)
    backoff.note(job, outcome, longest=timedelta(hours=1), now=now)
    assert backoff.paused_until(job.key, now) is None
    backoff.note(job, "failed", longest=timedelta(hours=1), now=now)  # counting starts over
    assert backoff.paused_until(job.key, now) is None


def test_a_pass_with_nothing_to_measure_neither_fails_nor_ends_the_count(make_runner, store):
    runner, job = make_runner(alpha_sql=FAILING_SQL, beta_sql=FAILING_SQL)
    # Present-only queries (blind to their window): a past slot's pass has no KR to measure.
    present_only = "SELECT v FROM no_such_table"
    blind, _ = make_runner(alpha_sql=present_only, beta_sql=present_only)
    failing = runner._configured
    past = slot_ago(3600)
    with capture_logs() as logs:
        runner.run(job, slot_ago(15))
        runner.run(job, slot_ago(10))
        runner.configure(*blind._configured)
        runner.run(job, past)  # nothing asked: neither a failure nor a success
        runner.configure(*failing)
        runner.run(job, slot_ago(5))
    attempts = store.slot_attempts(job.key)
    assert attempts[past] == (1, "ok")
    outcomes = sorted(outcome or "" for _, outcome in attempts.values())
    assert outcomes == ["failed", "failed", "failed", "ok"]
    assert [e["event"] for e in logs if e["event"].startswith("job.")] == ["job.paused"]


def test_each_slot_run_is_reported_to_the_daemon(make_runner, store, write_daemon_config):
    runner, job = make_runner()
    finished: list[int] = []
    runner._on_finished = lambda: finished.append(1)
    runner.run(job, slot_ago(0))
    runner.run(job, slot_ago(0))  # already done: not claimed, nothing ran
    assert finished == [1]
