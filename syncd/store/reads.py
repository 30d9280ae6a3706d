"""Queries over stored measurements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from syncd.store.tables import Measurement, MeasurementRevision


def history(
    session: Session, key_result_id: str, *, since: datetime | None, until: datetime | None
) -> list[Measurement]:
    """A KR's measurements with ``since <= window_end <= until``, by window end."""
    query = select(Measurement).where(Measurement.key_result_id == key_result_id)
    if since is not None:
        query = query.where(Measurement.window_end >= since)
    if until is not None:
        query = query.where(Measurement.window_end <= until)
    query = query.order_by(col(Measurement.window_end), col(Measurement.window_start))
    return list(session.exec(query))


IDS_PER_QUERY = 10_000
"""KR ids per ``IN`` list, below every database's bind parameter limit."""


def histories(
    session: Session,
    key_result_ids: Sequence[str],
    *,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, list[Measurement]]:
    """Per KR of ``key_result_ids``, its measurements with ``since <= window_end <= until`` by
    window end: one query per 10,000 KRs, never one per KR. KRs without any are left out."""
    found: dict[str, list[Measurement]] = {}
    wanted = sorted(set(key_result_ids))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        query = select(Measurement).where(
            col(Measurement.key_result_id).in_(wanted[start : start + IDS_PER_QUERY])
        )
        if since is not None:
            query = query.where(Measurement.window_end >= since)
        if until is not None:
            query = query.where(Measurement.window_end <= until)
        query = query.order_by(
            col(Measurement.key_result_id),
            col(Measurement.window_end),
            col(Measurement.window_start),
        )
        for row in session.exec(query):
            found.setdefault(row.key_result_id, []).append(row)
    return found


def latest(session: Session, key_result_ids: Sequence[str] | None) -> dict[str, Measurement]:
    """Per KR, the measurement with the latest window end (the latest collected on a tie)."""
    rank = (
        func.row_number()
        .over(
            partition_by=Measurement.key_result_id,
            order_by=(
                col(Measurement.window_end).desc(),
                col(Measurement.collected_at).desc(),
                col(Measurement.id).desc(),
            ),
        )
        .label("rank")
    )
    ranked: Select[str, int] = select(col(Measurement.id).label("id"), rank)
    if key_result_ids is not None:
        ranked = ranked.where(col(Measurement.key_result_id).in_(key_result_ids))
    subquery = ranked.subquery()
    query = (
        select(Measurement)
        .join(subquery, subquery.c.id == Measurement.id)
        .where(subquery.c.rank == 1)
    )
    return {row.key_result_id: row for row in session.exec(query)}


def revisions(session: Session, measurement_id: int) -> list[MeasurementRevision]:
    """Earlier values of one measurement, oldest first."""
    query = (
        select(MeasurementRevision)
        .where(MeasurementRevision.measurement_id == measurement_id)
        .order_by(col(MeasurementRevision.revision))
    )
    return list(session.exec(query))


def revisions_of(session: Session, key_result_id: str) -> dict[int, list[MeasurementRevision]]:
    """Earlier values of each of a KR's measurements (by measurement id), oldest first."""
    query = (
        select(MeasurementRevision)
        .join(Measurement, col(Measurement.id) == MeasurementRevision.measurement_id)
        .where(Measurement.key_result_id == key_result_id)
        .order_by(col(MeasurementRevision.measurement_id), col(MeasurementRevision.revision))
    )
    found: dict[int, list[MeasurementRevision]] = {}
    for row in session.exec(query):
        found.setdefault(row.measurement_id, []).append(row)
    return found
