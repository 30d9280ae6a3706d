"""Catch-up: which slots of the daemon's jobs are due, and how a failed slot is retried.

A slot is due when no instance has finished it within the ``catch_up`` span: missed while
every instance was down, left behind by an instance that died mid-slot (its claim's lease ran
out, so it is taken over), or failed and past its retry time. The store keeps the claims
(:class:`~syncd.store.abc.Coordination`); this unit only picks the candidates and asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from syncd.errors import StoreError
from syncd.planner import Job
from syncd.store.abc import Coordination, RunLog
from syncd.store.records import Backoff

log = structlog.get_logger("syncd.daemon")

CATCH_UP_SLOTS = 500  # at most this many slots back, however short the schedule
RETRY_FIRST = timedelta(minutes=5)  # a failed slot's first retry: this, or its interval if shorter
# Claims another instance made since the last look are noticed at most this late (their lease
# end or retry time is then known); on one's own the daemon learns of them when its runs end.
PEER_CHECK = timedelta(minutes=1)


@dataclass(frozen=True)
class CatchUp:
    """The slots still to run of jobs sharing ``coordination``, looking back ``span``."""

    coordination: Coordination
    tz: ZoneInfo
    span: timedelta

    def due_slots(self, job: Job, now: datetime) -> list[datetime]:
        """Slots of ``job`` within ``span`` (at most :data:`CATCH_UP_SLOTS` of them) that no
        instance has finished by ``now``, oldest first; none while the store fails."""
        current = job.schedule.latest_slot(now, self.tz)
        if current is None:
            return []  # validation rejects schedules that never fire; never break the beat
        span = min(self.span, CATCH_UP_SLOTS * job.schedule.interval)
        candidates = job.schedule.slots_between(now - span, current, self.tz)
        try:
            return self.coordination.due_slots(job.key, candidates, now_slot=current)
        except StoreError:
            return []

    def due(self, jobs: Iterable[Job], now: datetime) -> list[tuple[Job, datetime]]:
        """Every due ``(job, slot)`` of ``jobs`` at ``now``."""
        return [(job, slot) for job in jobs for slot in self.due_slots(job, now)]

    def next_check(self, jobs: Iterable[Job], now: datetime, *, settle: timedelta) -> datetime:
        """When :meth:`due` may next answer differently by itself: ``settle`` after the next
        slot of any job (its scheduled run claims it first), when a claim's lease runs out or
        its retry time comes, and at most :data:`PEER_CHECK` after ``now``."""
        moments = [now + PEER_CHECK]
        for job in jobs:
            slots = job.schedule.slots_between(now, now + job.schedule.interval * 2, self.tz)
            upcoming = next((slot for slot in slots if slot > now), None)
            if upcoming is not None:
                moments.append(upcoming + settle)
        try:
            change = self.coordination.next_claim_change(now)
        except StoreError:
            change = None
        if change is not None:
            moments.append(change)
        return min(moments)


def retry_policy(job: Job, failure_backoff: timedelta) -> Backoff:
    """How a failed slot of ``job`` is retried by catch-up: first after its interval (at most
    :data:`RETRY_FIRST`), doubling, at most ``failure_backoff`` (``daemon.failure_backoff``)
    apart."""
    return Backoff(
        first=min(job.schedule.interval, RETRY_FIRST, failure_backoff), longest=failure_backoff
    )


def close_interrupted(runs: RunLog) -> None:
    """Close the runs dead processes left open (else the first run recorded here does)."""
    try:
        closed = runs.close_interrupted_runs()
    except StoreError as exc:
        log.warning("store.unreachable", action="close interrupted runs", error=str(exc))
        return
    if closed:
        log.warning(
            "runs.interrupted",
            count=len(closed),
            runs=[run.id for run in closed],
            owners=sorted({run.owner or "unknown" for run in closed}),
        )
