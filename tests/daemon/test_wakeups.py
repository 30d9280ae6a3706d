"""Self-paced scheduler jobs: they run when their body says, and at once when woken."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from harness import wait_until

from syncd.daemon.wakeups import PacedJob, quiet_poll

HOUR = timedelta(hours=1)


def started() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    return scheduler


def test_a_paced_job_runs_once_then_sleeps_until_its_body_says():
    scheduler = started()
    runs: list[datetime] = []

    def body() -> datetime:
        runs.append(datetime.now(UTC))
        return datetime.now(UTC) + timedelta(minutes=20)

    try:
        paced = PacedJob(scheduler, "paced", body, longest=HOUR)
        paced.add()
        wait_until(lambda: runs, 5, "the first run")
        time.sleep(1)
        assert len(runs) == 1
        next_run = scheduler.get_job("paced").next_run_time
        expected = runs[0] + timedelta(minutes=20)
        assert abs((next_run - expected).total_seconds()) < 1
    finally:
        scheduler.shutdown()


def test_a_wake_runs_it_now_and_a_wake_during_a_run_runs_it_again_after():
    scheduler = started()
    runs: list[datetime] = []
    release = threading.Event()

    def body() -> datetime:
        runs.append(datetime.now(UTC))
        if len(runs) == 2:
            release.wait(5)  # the second run is still going when the wake comes
        return datetime.now(UTC) + HOUR

    try:
        paced = PacedJob(scheduler, "paced", body, longest=HOUR)
        paced.add()
        wait_until(lambda: len(runs) == 1, 5, "the first run")
        paced.wake()
        wait_until(lambda: len(runs) == 2, 5, "the woken run")
        paced.wake()  # while the second run holds on
        release.set()
        wait_until(lambda: len(runs) == 3, 5, "the run the wake asked for")
        time.sleep(1)
        assert len(runs) == 3
    finally:
        scheduler.shutdown()


def test_a_failing_body_runs_again_after_the_longest_wait():
    scheduler = started()
    calls: list[int] = []

    def body() -> datetime:
        calls.append(1)
        raise RuntimeError("the store went away")

    try:
        paced = PacedJob(scheduler, "paced", body, longest=timedelta(minutes=3))
        paced.add()
        wait_until(lambda: calls, 5, "the run")
        time.sleep(0.5)
        next_run = scheduler.get_job("paced").next_run_time
        left = (next_run - datetime.now(UTC)).total_seconds()
        assert 170 < left <= 180
    finally:
        scheduler.shutdown()


def test_the_quiet_poll_doubles_while_idle_and_resets_when_busy():
    short, long = timedelta(seconds=5), timedelta(seconds=60)
    waits = [short]
    for busy in (False, False, False, False, False, True, False):
        waits.append(quiet_poll(waits[-1], busy=busy, shortest=short, longest=long))
    assert [w.total_seconds() for w in waits] == [5, 10, 20, 40, 60, 60, 5, 10]


def test_a_job_running_when_the_daemon_stops_does_not_hold_up_the_shutdown():
    """The shutdown waits for running jobs while holding the scheduler's job store lock: a job
    that moved itself then would wait for that lock, and the shutdown for it, until the
    daemon's shutdown timeout (seen as a SIGTERM right after a sync)."""
    scheduler = started()
    running, release = threading.Event(), threading.Event()

    def body() -> datetime:
        running.set()
        release.wait(5)
        return datetime.now(UTC) + HOUR

    PacedJob(scheduler, "catch-up", body, longest=HOUR).add()
    assert running.wait(5)
    scheduler.pause()  # as the daemon's shutdown does first
    stopped = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    stopped.start()
    time.sleep(0.2)  # the shutdown now holds the lock and waits for the job
    release.set()
    stopped.join(5)
    assert not stopped.is_alive(), "the shutdown waited on the job and the job on the shutdown"
