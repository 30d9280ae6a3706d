"""Check-ins: what people said about a KR (value, confidence, note), newest last."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from syncd.store.tables import CheckIn


def add(
    session: Session,
    key_result_id: str,
    *,
    at: datetime,
    value: float | None,
    confidence: str | None,
    note: str | None,
    now: datetime,
) -> CheckIn:
    """Record one check-in; returns the stored row."""
    row = CheckIn(
        key_result_id=key_result_id,
        at=at,
        recorded_at=now,
        value=value,
        confidence=confidence,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, key_result_id: str) -> list[CheckIn]:
    """A KR's check-ins, oldest first."""
    query = (
        select(CheckIn)
        .where(CheckIn.key_result_id == key_result_id)
        .order_by(col(CheckIn.at), col(CheckIn.recorded_at), col(CheckIn.id))
    )
    return list(session.exec(query))


def latest(
    session: Session, key_result_ids: Sequence[str] | None, until: datetime | None = None
) -> dict[str, CheckIn]:
    """Per KR, the check-in with the latest ``at`` (up to ``until``; later recorded on a tie)."""
    rank = (
        func.row_number()
        .over(
            partition_by=CheckIn.key_result_id,
            order_by=(
                col(CheckIn.at).desc(),
                col(CheckIn.recorded_at).desc(),
                col(CheckIn.id).desc(),
            ),
        )
        .label("rank")
    )
    ranked = select(col(CheckIn.id).label("id"), rank)
    if key_result_ids is not None:
        ranked = ranked.where(col(CheckIn.key_result_id).in_(key_result_ids))
    if until is not None:
        ranked = ranked.where(col(CheckIn.at) <= until)
    subquery = ranked.subquery()
    query = select(CheckIn).join(subquery, subquery.c.id == CheckIn.id).where(subquery.c.rank == 1)
    return {row.key_result_id: row for row in session.exec(query)}
