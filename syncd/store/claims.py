"""Claims on (job, slot): several instances share one store without doing a slot twice.

``INSERT … ON CONFLICT DO NOTHING`` decides the first claim atomically; a claim that was never
finished and whose lease ran out belongs to a dead instance and is taken over by a conditional
``UPDATE`` (only one taker can match its ``WHERE``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Table, func, select, update
from sqlmodel import Session

from syncd.store.dialect import upsert_insert
from syncd.store.tables import JobClaim


def claim(
    session: Session, job: str, slot: datetime, owner: str, lease: timedelta, now: datetime
) -> bool:
    """Whether ``owner`` now holds the slot (a new claim, or a dead instance's taken over)."""
    table: Table = JobClaim.__table__  # type: ignore[attr-defined]
    inserted = session.execute(
        upsert_insert(session, table)
        .values(job=job, slot=slot, owner=owner, claimed_at=now, lease_until=now + lease)
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(table.c.job)
    ).first()
    if inserted is not None:
        return True
    taken = session.execute(
        update(table)
        .where(
            table.c.job == job,
            table.c.slot == slot,
            table.c.finished_at.is_(None),
            table.c.lease_until < now,
        )
        .values(owner=owner, claimed_at=now, lease_until=now + lease)
    )
    assert isinstance(taken, CursorResult)  # an UPDATE answers with a cursor result
    return taken.rowcount == 1


def finish(
    session: Session, job: str, slot: datetime, owner: str, outcome: str, now: datetime
) -> bool:
    """Mark the slot done; False when ``owner`` no longer holds it (its lease was taken)."""
    table: Table = JobClaim.__table__  # type: ignore[attr-defined]
    done = session.execute(
        update(table)
        .where(table.c.job == job, table.c.slot == slot, table.c.owner == owner)
        .values(finished_at=now, outcome=outcome)
    )
    assert isinstance(done, CursorResult)  # an UPDATE answers with a cursor result
    return done.rowcount == 1


def first_slot(session: Session, job: str) -> datetime | None:
    """The job's earliest claimed slot: where its history in this store begins."""
    table: Table = JobClaim.__table__  # type: ignore[attr-defined]
    return session.execute(select(func.min(table.c.slot)).where(table.c.job == job)).scalar()


def finished_slots(session: Session, job: str, since: datetime) -> set[datetime]:
    """The job's slots from ``since`` on whose claim is finished (done, whatever the outcome)."""
    table: Table = JobClaim.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(table.c.slot).where(
            table.c.job == job, table.c.slot >= since, table.c.finished_at.is_not(None)
        )
    )
    return {row[0] for row in rows}
