"""The SQL store's run log (:class:`~syncd.store.abc.RunLog`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from syncd.store import runs, sourcehealth
from syncd.store.failures import store_error
from syncd.store.records import SyncRun, record_of
from syncd.store.sqlbase import SqlBase, utcnow
from syncd.store.tables import SyncRun as SyncRunRow


class SqlRunLog(SqlBase):
    """:class:`~syncd.store.abc.RunLog` on SQLite or PostgreSQL."""

    run_lease = timedelta(minutes=10)
    """How long another host's open run may stay open before it counts as interrupted (the
    daemon sets its ``daemon.lease``)."""

    _interrupted_closed = False  # whether this object closed dead processes' runs yet

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Record that a sync of ``source`` started now; returns the run id (uuid4 hex).

        The first run this store object records closes dead processes' runs first
        (:meth:`close_interrupted_runs`)."""
        if not self._interrupted_closed:
            self.close_interrupted_runs()
        with self._writing("starting a run") as session:
            return runs.start(
                session, source=source, trigger=trigger, slot=slot, now=utcnow(), owner=self.owner
            )

    def close_interrupted_runs(self) -> list[SyncRun]:
        """Close the runs left open by a process that died as ``interrupted``, returning them.

        Certain deaths (this host's processes) count at once, another host's run only once it
        is older than :attr:`run_lease`: see :mod:`syncd.store.liveness`."""
        with self._writing("closing interrupted runs") as session:
            closed = runs.close_interrupted(
                session, owner=self.owner, now=utcnow(), stale_after=self.run_lease
            )
            found = [record_of(SyncRun, run) for run in closed]
        self._interrupted_closed = True
        return found

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
        """Close a run with its outcome and counters. ``duration`` is the source's own time
        (several sources share a pass); without it, the time since the run started.

        When the source's health turns (a failure after successes, or the reverse), a
        ``SourceHealthChanged`` event is appended in the same transaction."""
        with self._writing("finishing a run") as session:
            run = session.get(SyncRunRow, run_id, with_for_update=True)
            if run is None:
                raise store_error(self._url, "finishing a run", f"no run with id {run_id!r}")
            if run.finished_at is not None and run.outcome != runs.INTERRUPTED:
                # (An ``interrupted`` run judged dead too early gets its real outcome.)
                raise store_error(
                    self._url, "finishing a run", f"run {run_id!r} is already finished"
                )
            runs.finish(
                session,
                run,
                now=utcnow(),
                outcome=outcome,
                error=error,
                upstream_calls=upstream_calls,
                retries=retries,
                requests=requests,
                measurements=measurements,
                duration=duration,
            )
            sourcehealth.publish_change(session, run, utcnow())

    def runs(self, *, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        """The most recent runs, newest first, optionally of one source."""
        with self._reading("reading runs") as session:
            return [
                record_of(SyncRun, run) for run in runs.recent(session, limit=limit, source=source)
            ]
