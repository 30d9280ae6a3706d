"""Queries over stored measurements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from syncd.store.records import SeriesSummary, StoredPoint
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


def summaries(
    session: Session,
    key_result_ids: Sequence[str],
    *,
    since: datetime,
    until: datetime,
    origin: datetime,
) -> dict[str, SeriesSummary]:
    """Per KR of ``key_result_ids`` with measurements whose ``since <= window_end <= until``,
    their :class:`SeriesSummary` (``x`` in days since ``origin``): one grouped query per 10,000
    KRs through the (KR, window end) index; no measurement row leaves the database."""
    table = Measurement.__table__  # type: ignore[attr-defined]
    days = _days_since(session, table.c.window_end, origin)
    found: dict[str, SeriesSummary] = {}
    wanted = sorted(set(key_result_ids))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        spans = (
            sa_select(
                table.c.key_result_id.label("kr"),
                days.label("x"),
                table.c.window_end,
                table.c.collected_at,
                table.c.value,
            )
            .where(
                table.c.key_result_id.in_(wanted[start : start + IDS_PER_QUERY]),
                table.c.window_end >= since,
                table.c.window_end <= until,
            )
            .subquery()
        )
        grouped = sa_select(
            spans.c.kr,
            func.count().label("points"),
            func.count(spans.c.window_end.distinct()).label("slots"),
            func.max(spans.c.window_end).label("last_end"),
            func.max(spans.c.collected_at).label("newest"),
            func.sum(spans.c.x).label("sx"),
            func.sum(spans.c.value).label("sy"),
            func.sum(spans.c.x * spans.c.x).label("sxx"),
            func.sum(spans.c.x * spans.c.value).label("sxy"),
        ).group_by(spans.c.kr)
        totals = grouped.subquery()
        query = sa_select(
            totals,
            table.c.value,
            table.c.window_start,
            table.c.collected_at,
            table.c.source,
        ).join(
            table,
            (table.c.key_result_id == totals.c.kr) & (table.c.window_end == totals.c.last_end),
        )
        latest: dict[str, Any] = {}
        for row in session.execute(query):
            held = latest.get(row.kr)
            # Several windows may end at the latest slot: the last collected counts.
            if held is None or (row.collected_at, row.window_start) > (
                held.collected_at,
                held.window_start,
            ):
                latest[row.kr] = row
        for kr_id, row in latest.items():
            found[kr_id] = SeriesSummary(
                key_result_id=kr_id,
                points=row.points,
                slots=row.slots,
                latest_value=row.value,
                latest_at=row.last_end,
                latest_source=row.source,
                latest_collected=row.collected_at,
                newest_collected=row.newest,
                sum_x=float(row.sx),
                sum_y=float(row.sy),
                sum_xx=float(row.sxx),
                sum_xy=float(row.sxy),
            )
    return found


_JULIAN_UNIX_EPOCH = 2440587.5
"""The Julian day number of 1970-01-01 00:00 UTC."""


def _days_since(session: Session, column: Any, origin: datetime) -> Any:
    """``column - origin`` in days, as a float, computed by the database."""
    seconds = origin.timestamp()
    if session.get_bind().dialect.name == "sqlite":
        # Datetimes are text there; julianday() reads them as stored (UTC).
        return func.julianday(column) - (seconds / 86400 + _JULIAN_UNIX_EPOCH)
    epoch = cast(func.extract("epoch", column), Float)
    return (epoch - seconds) / 86400.0


def points(
    session: Session,
    key_result_ids: Sequence[str],
    *,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, list[StoredPoint]]:
    """:func:`histories` as plain records read column by column (no ORM object per row): one
    query per 10,000 KRs, by KR then window end."""
    table = Measurement.__table__  # type: ignore[attr-defined]
    found: dict[str, list[StoredPoint]] = {}
    wanted = sorted(set(key_result_ids))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        query = sa_select(
            table.c.id,
            table.c.key_result_id,
            table.c.window_start,
            table.c.window_end,
            table.c.value,
            table.c.collected_at,
            table.c.source,
            table.c.revision,
        ).where(table.c.key_result_id.in_(wanted[start : start + IDS_PER_QUERY]))
        if since is not None:
            query = query.where(table.c.window_end >= since)
        if until is not None:
            query = query.where(table.c.window_end <= until)
        query = query.order_by(table.c.key_result_id, table.c.window_end, table.c.window_start)
        for row in session.execute(query):
            found.setdefault(row[1], []).append(StoredPoint(*row))
    return found
