"""Bookkeeping of sync runs: one row per source and pass, opened and then closed."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlmodel import Session, col, select

from syncd.store.tables import SyncRun


def start(
    session: Session, *, source: str, trigger: str, slot: datetime | None, now: datetime
) -> str:
    """Open a run and return its id (a uuid4 in hex)."""
    run_id = uuid4().hex
    session.add(SyncRun(id=run_id, source=source, trigger=trigger, slot=slot, started_at=now))
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


def recent(session: Session, *, limit: int, source: str | None) -> list[SyncRun]:
    """The newest ``limit`` runs, optionally of one source, newest first."""
    query = select(SyncRun)
    if source is not None:
        query = query.where(SyncRun.source == source)
    query = query.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc()).limit(limit)
    return list(session.exec(query))
