"""Bookkeeping of sync runs: one row per source and pass, opened and then closed.

A run names its ``owner``, the process that runs it (``host:pid``). A process killed mid-run
(``kill -9``, a crash, a store error at the wrong moment) leaves its run open; the next syncd
that records runs closes such runs as ``interrupted`` (:func:`close_interrupted`), by the rules
of :mod:`syncd.store.liveness`. Should an instance judged dead still be alive after all, its own
finish replaces the ``interrupted`` outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from sqlmodel import Session, col, select, update

from syncd.store.liveness import INTERRUPTED, instance_id, interrupted_error, is_dead
from syncd.store.tables import SyncRun

__all__ = ["INTERRUPTED", "close_interrupted", "finish", "instance_id", "recent", "start"]


def start(
    session: Session,
    *,
    source: str,
    trigger: str,
    slot: datetime | None,
    now: datetime,
    owner: str | None = None,
) -> str:
    """Open a run and return its id (a uuid4 in hex)."""
    run_id = uuid4().hex
    session.add(
        SyncRun(
            id=run_id,
            source=source,
            trigger=trigger,
            slot=slot,
            owner=owner or instance_id(),
            started_at=now,
        )
    )
    session.flush()
    return run_id


def finish(
    session: Session,
    run: SyncRun,
    *,
    now: datetime,
    outcome: str,
    error: str | None,
    upstream_calls: int,
    retries: int,
    requests: int,
    measurements: int,
    duration: float | None = None,
) -> None:
    """Close ``run``: its outcome, counters and how long it took (``duration``, or the time
    since it started)."""
    run.finished_at = now
    run.duration_seconds = (
        duration if duration is not None else (now - run.started_at).total_seconds()
    )
    run.outcome = outcome
    run.error = error
    run.upstream_calls = upstream_calls
    run.retries = retries
    run.requests = requests
    run.measurements = measurements
    session.flush()


def close_interrupted(
    session: Session, *, owner: str, now: datetime, stale_after: timedelta
) -> list[SyncRun]:
    """Close the open runs whose process is dead (see the module's rules) as ``interrupted``;
    returns them."""
    closed: list[SyncRun] = []
    for run in session.exec(select(SyncRun).where(col(SyncRun.finished_at).is_(None))).all():
        if not is_dead(run.owner, run.started_at, owner=owner, stale_before=now - stale_after):
            continue
        done = session.execute(
            update(SyncRun)
            .where(col(SyncRun.id) == run.id, col(SyncRun.finished_at).is_(None))
            .values(
                finished_at=now,
                outcome=INTERRUPTED,
                error=interrupted_error(run.owner),
            )
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            closed.append(run)
    return closed


def recent(session: Session, *, limit: int, source: str | None) -> list[SyncRun]:
    """The newest ``limit`` runs, optionally of one source, newest first."""
    query = select(SyncRun)
    if source is not None:
        query = query.where(SyncRun.source == source)
    query = query.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc()).limit(limit)
    return list(session.exec(query))
