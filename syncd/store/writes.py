"""Recording measurements: insert new windows, revise changed ones, refresh unchanged ones.

Each item first tries ``INSERT … ON CONFLICT DO NOTHING``; when the natural key already exists,
the row is read ``FOR UPDATE``. On PostgreSQL a concurrent writer of the same key therefore
waits for the first one's commit and then sees its row, instead of failing on the unique
constraint. Items are handled in natural-key order so two batches lock rows in the same order
and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlmodel import Session, select

from syncd.store.dialect import upsert_insert
from syncd.store.records import MeasurementIn, WriteResult
from syncd.store.tables import Measurement, MeasurementRevision

NATURAL_KEY = ("key_result_id", "window_start", "window_end")


def _order(item: MeasurementIn) -> tuple[str, float, float]:
    # Timestamps rather than datetimes: a naive datetime must reach the column type, which
    # rejects it with a clear message, instead of failing the sort against aware ones.
    return (item.key_result_id, item.window_start.timestamp(), item.window_end.timestamp())


def record(session: Session, items: Sequence[MeasurementIn], now: datetime) -> WriteResult:
    """Write ``items`` in the session's transaction; ``now`` stamps superseded revisions."""
    table: Table = Measurement.__table__  # type: ignore[attr-defined]
    inserted = updated = unchanged = 0
    for item in sorted(items, key=_order):
        statement = (
            upsert_insert(session, table)
            .values(
                key_result_id=item.key_result_id,
                window_start=item.window_start,
                window_end=item.window_end,
                value=item.value,
                collected_at=item.collected_at,
                source=item.source,
                query_fingerprint=item.query_fingerprint,
                run_id=item.run_id,
                note=item.note,
                revision=1,
            )
            .on_conflict_do_nothing(index_elements=list(NATURAL_KEY))
            .returning(table.c.id)
        )
        if session.execute(statement).first() is not None:
            inserted += 1
            continue
        row = session.exec(
            select(Measurement)
            .where(
                Measurement.key_result_id == item.key_result_id,
                Measurement.window_start == item.window_start,
                Measurement.window_end == item.window_end,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if row.value == item.value:
            unchanged += 1
        else:
            _revise(session, row, item, now)
            updated += 1
        row.collected_at = item.collected_at
        row.run_id = item.run_id
        session.flush()
    return WriteResult(inserted=inserted, updated=updated, unchanged=unchanged)


def _revise(session: Session, row: Measurement, item: MeasurementIn, now: datetime) -> None:
    """Keep the row's current value as a revision, then give it the new value."""
    assert row.id is not None
    session.add(
        MeasurementRevision(
            measurement_id=row.id,
            revision=row.revision,
            value=row.value,
            collected_at=row.collected_at,
            source=row.source,
            query_fingerprint=row.query_fingerprint,
            run_id=row.run_id,
            note=row.note,
            superseded_at=now.astimezone(UTC),
        )
    )
    row.revision += 1
    row.value = item.value
    row.source = item.source
    row.query_fingerprint = item.query_fingerprint
    row.note = item.note
