"""Claims on (job, slot): several instances share one store without doing a slot twice.

``INSERT … ON CONFLICT DO NOTHING`` decides the first claim atomically. A claim is taken over
by a conditional ``UPDATE`` (only one taker can match its ``WHERE``) in two cases: it was never
finished and its lease ran out (its instance died), or it failed and its ``retry_at`` has come.
Each take-over counts an attempt; a failed attempt waits longer before the next one
(:class:`Backoff`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Table, and_, func, or_, select, update
from sqlmodel import Session

from syncd.store.dialect import upsert_insert
from syncd.store.records import Backoff
from syncd.store.tables import JobClaim

RETRIED_OUTCOMES = ("failed",)
"""Outcomes whose slot is tried again; a ``partial`` slot measured some KRs and stays done."""


def _table() -> Table:
    return JobClaim.__table__  # type: ignore[attr-defined,no-any-return]


def claim(
    session: Session, job: str, slot: datetime, owner: str, lease: timedelta, now: datetime
) -> bool:
    """Whether ``owner`` now holds the slot: a new claim, a dead instance's taken over, or a
    failed one whose retry time has come."""
    table = _table()
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
            or_(
                and_(table.c.finished_at.is_(None), table.c.lease_until < now),
                and_(table.c.outcome.in_(RETRIED_OUTCOMES), table.c.retry_at <= now),
            ),
        )
        .values(
            owner=owner,
            claimed_at=now,
            lease_until=now + lease,
            finished_at=None,
            outcome=None,
            retry_at=None,
            attempts=table.c.attempts + 1,
        )
    )
    assert isinstance(taken, CursorResult)  # an UPDATE answers with a cursor result
    return taken.rowcount == 1


def finish(
    session: Session,
    job: str,
    slot: datetime,
    owner: str,
    outcome: str,
    now: datetime,
    retry: Backoff | None = None,
) -> bool:
    """Mark the slot done; False when ``owner`` no longer holds it (its lease was taken).

    A failed slot with a ``retry`` policy is due again after :meth:`Backoff.after` its
    attempts; without one it stays done.
    """
    table = _table()
    held = (
        table.c.job == job,
        table.c.slot == slot,
        table.c.owner == owner,
        table.c.finished_at.is_(None),
    )
    attempts = session.execute(select(table.c.attempts).where(*held)).scalar()
    if attempts is None:
        return False
    retry_at = None
    if retry is not None and outcome in RETRIED_OUTCOMES:
        retry_at = now + retry.after(attempts)
    done = session.execute(
        update(table).where(*held).values(finished_at=now, outcome=outcome, retry_at=retry_at)
    )
    assert isinstance(done, CursorResult)  # an UPDATE answers with a cursor result
    return done.rowcount == 1


def first_slot(session: Session, job: str) -> datetime | None:
    """The job's earliest claimed slot: where its history in this store begins."""
    table = _table()
    return session.execute(select(func.min(table.c.slot)).where(table.c.job == job)).scalar()


def settled_slots(session: Session, job: str, since: datetime, now: datetime) -> set[datetime]:
    """The job's slots from ``since`` on that need no run now: finished, and not failed with
    a retry time that has come. (A failed slot waiting for its retry time counts as settled
    until then.)"""
    table = _table()
    retry_due = and_(
        table.c.outcome.in_(RETRIED_OUTCOMES),
        table.c.retry_at.is_not(None),
        table.c.retry_at <= now,
    )
    rows = session.execute(
        select(table.c.slot).where(
            table.c.job == job,
            table.c.slot >= since,
            table.c.finished_at.is_not(None),
            ~retry_due,
        )
    )
    return {row[0] for row in rows}


def next_change(session: Session, now: datetime) -> datetime | None:
    """The earliest lease end of an unfinished claim, or retry time of a failed one, after
    ``now`` (any job)."""
    table = _table()
    lease_ends = session.execute(
        select(func.min(table.c.lease_until)).where(
            table.c.finished_at.is_(None), table.c.lease_until > now
        )
    ).scalar()
    retries = session.execute(
        select(func.min(table.c.retry_at)).where(
            table.c.outcome.in_(RETRIED_OUTCOMES), table.c.retry_at > now
        )
    ).scalar()
    moments = [moment for moment in (lease_ends, retries) if moment is not None]
    return min(moments) if moments else None


def attempts(session: Session, job: str) -> dict[datetime, tuple[int, str | None]]:
    """Each claimed slot of ``job``: its attempts and last outcome (``None`` while running)."""
    table = _table()
    rows = session.execute(
        select(table.c.slot, table.c.attempts, table.c.outcome).where(table.c.job == job)
    )
    return {row[0]: (row[1], row[2]) for row in rows}
