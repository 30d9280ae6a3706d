"""Recording measurements: insert new windows, revise changed ones, refresh unchanged ones.

The store judges items one by one: an item it cannot take (not a finite number, a datetime
without a time zone, a window that ends before it starts, a text too long for its column, an
unknown key result) is refused with its reason and the others are written. Plain checks run up
front; the batch is then written in one savepoint, and only when the database itself rejects an
item (a constraint or a value it cannot hold) is the batch written again item by item, each in
its own savepoint, to find which. Either way the written items commit in one transaction.

Items are first inserted ``ON CONFLICT DO NOTHING``, many rows per statement (new windows are
what a pass mostly writes); for each item whose natural key already exists, the row is read
``FOR UPDATE``. On PostgreSQL a concurrent writer of the same key therefore
waits for the first one's commit and then sees its row, instead of failing on the unique
constraint. Items are handled in natural-key order so two batches lock rows in the same order
and cannot deadlock.

Every new window and every changed value appends a
:class:`~syncd.events.MeasurementRecorded` to the outbox in the same transaction (and the same
savepoint: a refused item publishes nothing); an item that changes nothing publishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError
from sqlmodel import Session, select

from syncd.events import MeasurementRecorded
from syncd.store import outbox
from syncd.store.dialect import upsert_insert
from syncd.store.failures import driver_reason
from syncd.store.records import MeasurementIn, Refusal, WriteResult
from syncd.store.rules import judge, unknown_key_result
from syncd.store.tables import Measurement, MeasurementRevision

NATURAL_KEY = ("key_result_id", "window_start", "window_end")
INSERT_CHUNK = 500
"""Rows per multi-row insert: 10 bind parameters each, far below every database's limit."""


def is_item_fault(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` is the database refusing an item (a constraint, a value it cannot hold),
    as opposed to the store failing (connection lost, disk full, locked, not migrated)."""
    if isinstance(exc, IntegrityError | DataError):
        return True
    # A StatementError that is no DBAPIError failed while binding a value, before the database.
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


def record_judged(session: Session, items: Sequence[MeasurementIn], now: datetime) -> WriteResult:
    """Write every storable item of ``items`` in the session's transaction; report the rest.

    Raises what is not an item's fault (the store's own failures) so the caller can tell an
    outage from a refusal.
    """
    refused: list[Refusal] = []
    storable: list[MeasurementIn] = []
    for item in items:
        if (reason := judge(item)) is not None:
            refused.append(Refusal(item, reason))
        else:
            storable.append(item)
    if not storable:
        return WriteResult(0, 0, 0, tuple(refused))
    try:
        with session.begin_nested():
            counts = record(session, storable, now)
    except SQLAlchemyError as exc:
        if not is_item_fault(exc):
            raise
        counts = WriteResult(0, 0, 0)
        for item in sorted(storable, key=_order):
            try:
                with session.begin_nested():
                    counts += record(session, [item], now)
            except SQLAlchemyError as item_exc:
                if not is_item_fault(item_exc):
                    raise
                refused.append(Refusal(item, _fault_reason(item, item_exc)))
    return counts + WriteResult(0, 0, 0, tuple(refused))


def _fault_reason(item: MeasurementIn, exc: SQLAlchemyError) -> str:
    reason = driver_reason(exc)
    if "foreign key" in reason.lower():
        return unknown_key_result(item)
    return reason


def _order(item: MeasurementIn) -> tuple[str, float, float]:
    # Natural-key order, so concurrent batches lock rows in the same order.
    return (item.key_result_id, item.window_start.timestamp(), item.window_end.timestamp())


def record(session: Session, items: Sequence[MeasurementIn], now: datetime) -> WriteResult:
    """Write ``items`` in the session's transaction; ``now`` stamps superseded revisions."""
    table: Table = Measurement.__table__  # type: ignore[attr-defined]
    ordered = sorted(items, key=_order)
    inserted = updated = unchanged = 0
    events: list[MeasurementRecorded] = []
    # New windows (what a pass mostly measures) go in with one multi-row insert per chunk;
    # the keys already stored come back as conflicts and take the row-by-row path below.
    existing: list[MeasurementIn] = []
    for start in range(0, len(ordered), INSERT_CHUNK):
        chunk = ordered[start : start + INSERT_CHUNK]
        taken = _insert_new(session, table, chunk)
        inserted += len(taken)
        existing.extend(item for item in chunk if _key(item) not in taken)
        events.extend(recorded_event(item) for item in chunk if _key(item) in taken)
    for item in existing:
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
            events.append(recorded_event(item))
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
            previous = row.value
            _revise(session, row, item, now)
            updated += 1
            events.append(recorded_event(item, revision=row.revision, previous=previous))
        row.collected_at = item.collected_at
        row.run_id = item.run_id
        session.flush()
    outbox.append_many(session, events, now)
    return WriteResult(inserted=inserted, updated=updated, unchanged=unchanged)


def recorded_event(
    item: MeasurementIn, *, revision: int = 1, previous: float | None = None
) -> MeasurementRecorded:
    return MeasurementRecorded(
        kr_id=item.key_result_id,
        window_start=item.window_start,
        window_end=item.window_end,
        value=float(item.value),
        measured_at=item.collected_at,
        source=item.source,
        run_id=item.run_id,
        revision=revision,
        previous=previous,
    )


def _key(item: MeasurementIn) -> tuple[str, datetime, datetime]:
    return (item.key_result_id, item.window_start.astimezone(UTC), item.window_end.astimezone(UTC))


def _insert_new(
    session: Session, table: Table, items: Sequence[MeasurementIn]
) -> set[tuple[str, datetime, datetime]]:
    """Insert ``items`` whose natural key is new, in one batched statement; the keys inserted.

    The rows go as parameters of one cached statement (SQLAlchemy batches them into multi-row
    inserts): a statement with the rows inlined would be compiled anew for every chunk."""
    statement = (
        upsert_insert(session, table)
        .on_conflict_do_nothing(index_elements=list(NATURAL_KEY))
        .returning(table.c.key_result_id, table.c.window_start, table.c.window_end)
    )
    rows = [
        {
            "key_result_id": item.key_result_id,
            "window_start": item.window_start,
            "window_end": item.window_end,
            "value": item.value,
            "collected_at": item.collected_at,
            "source": item.source,
            "query_fingerprint": item.query_fingerprint,
            "run_id": item.run_id,
            "note": item.note,
            "revision": 1,
        }
        for item in items
    ]
    return {
        (kr_id, start.astimezone(UTC), end.astimezone(UTC))
        for kr_id, start, end in session.execute(statement, rows)
    }


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
