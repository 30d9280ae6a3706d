"""Running one slot of one job: claim it, hold the job's lock, sync, record, finish the claim.

Exactly one instance measures a slot: it claims ``(job, slot)`` in the store
(:class:`~syncd.store.abc.Coordination`) with a lease and finishes the claim with the outcome;
a failed slot is retried by catch-up (:func:`syncd.daemon.catchup.retry_policy`). A job whose
runs keep failing is paused here (:class:`JobBackoff`). Without the store the slot is measured
anyway and spooled by the sink.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import structlog

from syncd.collect import ConnectorPool
from syncd.config.models import DaemonSettings
from syncd.daemon.catchup import retry_policy
from syncd.daemon.pools import Pools
from syncd.errors import StoreError, SyncdError
from syncd.observe import Telemetry
from syncd.planner import Job
from syncd.schedule import parse_duration
from syncd.store.abc import Coordination, SyncStore
from syncd.sync import Syncer, SyncReport

log = structlog.get_logger("syncd.daemon")

PAUSE_AFTER = 3  # failures in a row before a job is paused


class JobBackoff:
    """Pauses a job whose runs keep failing: from its :data:`PAUSE_AFTER`-th failure in a row,
    for its interval doubled with each further failure, at most ``longest``; a run that
    measured something ends the pause."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._paused_until: dict[str, datetime] = {}

    def paused_until(self, key: str, now: datetime) -> datetime | None:
        """Until when job ``key`` is paused, or None when it may run at ``now``."""
        paused = self._paused_until.get(key)
        return paused if paused is not None and now < paused else None

    def note(self, job: Job, outcome: str, *, longest: timedelta, now: datetime) -> None:
        """Count a run of ``job`` that ended with ``outcome`` (``ok``, ``partial``, ``failed``)."""
        if outcome != "failed":
            self._failures.pop(job.key, None)
            self._paused_until.pop(job.key, None)
            return
        failures = self._failures.get(job.key, 0) + 1
        self._failures[job.key] = failures
        if failures >= PAUSE_AFTER:
            pause = min(job.schedule.interval * 2 ** (failures - PAUSE_AFTER), longest)
            self._paused_until[job.key] = now + pause
            log.warning("job.paused", job=job.key, failures=failures, pause=str(pause))


class SlotRunner:
    """Measures the slots of jobs for the instance ``owner``, through ``sink`` and the current
    pool of ``pools``; :meth:`configure` swaps the syncer and settings on reload.
    ``on_finished`` is called after each slot it ran (the daemon then looks at what its writes
    made due)."""

    def __init__(
        self,
        coordination: Coordination,
        sink: SyncStore,
        pools: Pools[ConnectorPool],
        telemetry: Telemetry,
        *,
        owner: str,
        syncer: Syncer,
        settings: DaemonSettings,
        stopping: Callable[[], bool],
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        self.coordination = coordination
        self.sink = sink
        self.pools = pools
        self.telemetry = telemetry
        self.owner = owner
        self.backoff = JobBackoff()
        self._stopping = stopping
        self._on_finished = on_finished
        self._configured = (syncer, settings)

    def configure(self, syncer: Syncer, settings: DaemonSettings) -> None:
        """Run later slots with ``syncer`` and ``settings`` (a reloaded config)."""
        self._configured = (syncer, settings)

    def run(self, job: Job, slot: datetime) -> None:
        """Measure one slot of one job, if this instance wins its claim."""
        if self._stopping():
            return  # queued before SIGTERM: not started, so nothing to finish
        if paused := self.backoff.paused_until(job.key, datetime.now(UTC)):
            log.info("job.backing_off", job=job.key, until=paused.isoformat())
            return
        syncer, settings = self._configured
        lease = parse_duration(settings.lease)
        longest = parse_duration(settings.failure_backoff)
        try:
            if not self.coordination.claim_slot(job.key, slot, self.owner, lease):
                return
            claimed = True
        except StoreError as exc:
            # Without the store no instance can coordinate: measure anyway and spool; the
            # natural-key upsert keeps duplicates out when the batches are replayed.
            log.warning("store.unreachable", action="claim", job=job.key, error=str(exc))
            claimed = False
        outcome = "failed"
        judged = True
        try:
            with (
                self.job_lock(job.key, wait=lease.total_seconds() / 2),
                self.pools.using() as pool,
            ):
                # ``present``: a caught-up slot is in the past, and present-only queries must
                # not be stored as if they had been read then.
                report = syncer.run(
                    self.sink,
                    slot,
                    kr_ids=job.kr_ids,
                    trigger="schedule",
                    pool=pool,
                    present=datetime.now(UTC),
                )
            outcome = outcome_of(report)
            # A pass with nothing to measure (a past slot's present-only KRs) says nothing of
            # the job's health: it neither counts as a failure nor ends a pause.
            judged = bool(report.results)
            self.record(report)
        except SyncdError as exc:
            log.error("job.failed", job=job.key, slot=slot.isoformat(), error=str(exc))
        finally:
            if judged:
                self.backoff.note(job, outcome, longest=longest, now=datetime.now(UTC))
            if claimed:
                try:
                    self.coordination.finish_slot(
                        job.key, slot, self.owner, outcome, retry=retry_policy(job, longest)
                    )
                except StoreError as exc:
                    log.warning("store.unreachable", action="finish claim", error=str(exc))
            if self._on_finished is not None:
                self._on_finished()

    @contextmanager
    def job_lock(self, key: str, *, wait: float) -> Iterator[None]:
        """Serialise runs of one job across instances (the claim already makes each slot run
        once). Without the store, or after ``wait`` seconds, run without it."""
        lock = self.coordination.job_lock(key, wait=wait)
        try:
            held = lock.__enter__()
        except StoreError as exc:
            log.warning("store.unreachable", action="job lock", job=key, error=str(exc))
            yield
            return
        try:
            if not held:
                log.info("job.lock_busy", job=key, waited=wait)
            yield
        finally:
            try:
                lock.__exit__(None, None, None)
            except StoreError as exc:
                log.warning("store.unreachable", action="job unlock", job=key, error=str(exc))

    def record(self, report: SyncReport) -> None:
        """Count a pass's sources and measured KRs in the telemetry."""
        for outcome in report.sources.values():
            self.telemetry.record_source(outcome)
        now = time.time()
        for result in report.results:
            if result.ok:
                for source in result.evaluated.sources:
                    self.telemetry.record_measured(source, result.binding.kr.id, now)


def outcome_of(report: SyncReport) -> str:
    """A pass's outcome: ``ok``, ``partial`` (some KRs failed) or ``failed`` (all did)."""
    if not report.failures:
        return "ok"
    return "partial" if len(report.failures) < len(report.results) else "failed"
