"""Scheduler jobs that say themselves when they are due next, so an idle daemon sleeps.

A :class:`PacedJob`'s body returns the moment it is next due (the next slot, a lease running
out, a retry time, a poll after a quiet spell); the job is moved there. :meth:`PacedJob.wake`
runs it at once (e.g. after the daemon's own sync wrote something); a wake that arrives while
the body runs makes it run again right after, so it is never lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = structlog.get_logger("syncd.daemon")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PacedJob:
    """Job ``job_id`` of ``scheduler`` running ``body``, which returns when it is due next
    (at most ``longest`` later: the trigger's own interval, used should ``body`` fail)."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        job_id: str,
        body: Callable[[], datetime],
        *,
        longest: timedelta,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.scheduler = scheduler
        self.job_id = job_id
        self.body = body
        self.longest = longest
        self._clock = clock
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    def add(self) -> None:
        """Add the job to the scheduler, due at once."""
        self.scheduler.add_job(
            self.run,
            IntervalTrigger(seconds=self.longest.total_seconds()),
            id=self.job_id,
            next_run_time=self._clock(),
            replace_existing=True,
        )

    def run(self) -> None:
        """The scheduler's entry point: run ``body``, then move the job to when it is due."""
        with self._lock:
            self._running, self._again = True, False
        due = self._clock() + self.longest
        try:
            due = min(self.body(), due)
        finally:
            with self._lock:
                self._running = False
                again = self._again
            self._move(self._clock() if again else due)

    def wake(self) -> None:
        """Run the job now (or right after its current run)."""
        with self._lock:
            if self._running:
                self._again = True
                return
        self._move(self._clock(), earlier_only=True)

    def _move(self, when: datetime, *, earlier_only: bool = False) -> None:
        # Once paused (shutdown begins with a pause), the scheduler's shutdown holds its job
        # store lock while it waits for running jobs: a job moving itself then would wait for
        # that lock until the shutdown timeout.
        if self.scheduler.state != STATE_RUNNING:
            return
        try:
            job = self.scheduler.get_job(self.job_id)
            if job is None:
                return  # removed at shutdown
            if earlier_only and job.next_run_time is not None and job.next_run_time <= when:
                return
            self.scheduler.modify_job(self.job_id, next_run_time=when)
        except (JobLookupError, SchedulerNotRunningError):
            return


def quiet_poll(
    previous: timedelta, *, busy: bool, shortest: timedelta, longest: timedelta
) -> timedelta:
    """The next poll interval: ``shortest`` after a poll that found work, else twice the
    ``previous`` one, at most ``longest``."""
    if busy:
        return shortest
    return min(max(previous, shortest) * 2, longest)
