"""Check-ins: what people said about a KR (value, confidence, note), newest last."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func
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
    """Record one check-in; returns the stored row. The same check-in again (same KR, moment,
    value, confidence and note: a retried command, a re-run demo) is the row already stored."""
    same = select(CheckIn).where(
        CheckIn.key_result_id == key_result_id,
        CheckIn.at == at,
        _equal(CheckIn.value, value),
        _equal(CheckIn.confidence, confidence),
        _equal(CheckIn.note, note),
    )
    existing = session.exec(same).first()
    if existing is not None:
        return existing
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


def _equal(column: Any, value: object) -> Any:
    return col(column).is_(None) if value is None else col(column) == value


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
    conditions: list[ColumnElement[bool]] = []
    if key_result_ids is not None:
        conditions.append(col(CheckIn.key_result_id).in_(key_result_ids))
    if until is not None:
        conditions.append(col(CheckIn.at) <= until)
    subquery = select(col(CheckIn.id).label("id"), rank).where(*conditions).subquery()
    query = select(CheckIn).join(subquery, subquery.c.id == CheckIn.id).where(subquery.c.rank == 1)
    return {row.key_result_id: row for row in session.exec(query)}
