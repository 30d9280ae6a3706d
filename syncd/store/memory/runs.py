"""The in-memory store's run log (:class:`~syncd.store.abc.RunLog`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from syncd.events import SOURCE_HEALTH_CHANGED, source_subject
from syncd.store.liveness import INTERRUPTED, interrupted_error, is_dead
from syncd.store.memory.state import MemoryBase, utc
from syncd.store.records import SyncRun
from syncd.store.sourcehealth import health_change


class MemoryRunLog(MemoryBase):
    """:class:`~syncd.store.abc.RunLog` in memory."""

    run_lease = timedelta(minutes=10)
    """How long another host's open run may stay open before it counts as interrupted."""

    _interrupted_closed = False  # whether this object closed dead processes' runs yet

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Record that a sync of ``source`` started now; returns the run id (uuid4 hex)."""
        self._aware("starting a run", slot)
        if not self._interrupted_closed:
            self.close_interrupted_runs()
        run = SyncRun(
            id=uuid4().hex,
            source=source,
            trigger=trigger,
            slot=None if slot is None else utc(slot),
            owner=self.owner,
            started_at=datetime.now(UTC),
            finished_at=None,
            outcome=None,
            error=None,
            duration_seconds=None,
            upstream_calls=0,
            retries=0,
            requests=0,
            measurements=0,
        )
        with self._state.lock:
            self._state.runs[run.id] = run
        return run.id

    def close_interrupted_runs(self) -> list[SyncRun]:
        """Close the runs left open by a process that died as ``interrupted``, returning them."""
        now = datetime.now(UTC)
        closed: list[SyncRun] = []
        with self._state.lock:
            for run in list(self._state.runs.values()):
                if run.finished_at is not None or not is_dead(
                    run.owner, run.started_at, owner=self.owner, stale_before=now - self.run_lease
                ):
                    continue
                closed.append(
                    replace(
                        run,
                        finished_at=now,
                        outcome=INTERRUPTED,
                        error=interrupted_error(run.owner),
                    )
                )
                self._state.runs[run.id] = closed[-1]
        self._interrupted_closed = True
        return closed

    def finish_run(
        self,
        run_id: str,
        *,
        outcome: str,
        error: str | None,
        upstream_calls: int,
        retries: int,
        requests: int,
        measurements: int,
        duration: float | None = None,
    ) -> None:
        """Close a run with its outcome and counters (``duration``: the source's own time)."""
        now = datetime.now(UTC)
        with self._state.lock:
            run = self._state.runs.get(run_id)
            if run is None:
                raise self._error("finishing a run", f"no run with id {run_id!r}")
            if run.finished_at is not None and run.outcome != INTERRUPTED:
                raise self._error("finishing a run", f"run {run_id!r} is already finished")
            self._state.runs[run_id] = replace(
                run,
                finished_at=now,
                duration_seconds=(
                    duration if duration is not None else (now - run.started_at).total_seconds()
                ),
                outcome=outcome,
                error=error,
                upstream_calls=upstream_calls,
                retries=retries,
                requests=requests,
                measurements=measurements,
            )
            finished = self._state.runs[run_id]
            subject = source_subject(finished.source)
            last = self._state.outbox.latest(SOURCE_HEALTH_CHANGED, [subject]).get(subject)
            if (change := health_change(finished, last)) is not None:
                self._state.outbox.append([change], now=now)

    def runs(self, *, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        """The most recent runs, newest first, optionally of one source."""
        with self._state.lock:
            found = [r for r in self._state.runs.values() if source is None or r.source == source]
        found.sort(key=lambda run: (run.started_at, run.id), reverse=True)
        return found[:limit]
