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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from numbers import Real

from sqlalchemy import Table
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError
from sqlmodel import Session, select

from syncd.store.dialect import upsert_insert
from syncd.store.failures import driver_reason
from syncd.store.records import MeasurementIn, Refusal, WriteResult
from syncd.store.tables import Measurement, MeasurementRevision

NATURAL_KEY = ("key_result_id", "window_start", "window_end")
INSERT_CHUNK = 500
"""Rows per multi-row insert: 10 bind parameters each, far below every database's limit."""
# Column widths (see tables.Measurement): SQLite would store longer text, PostgreSQL refuses it;
# checking here refuses the same items on both.
_TEXT_LIMITS = {"key_result_id": 100, "source": 200, "query_fingerprint": 64, "run_id": 32}


def judge(item: MeasurementIn) -> str | None:
    """Why the store cannot take ``item`` (one line), or None when it looks storable."""
    value = item.value
    if isinstance(value, bool) or not isinstance(value, Real):
        return f"value {value!r} is not a number"
    if not math.isfinite(value):
        # NaN never equals itself: it would be stored as a new revision on every sync.
        return f"value {value} is not a finite number"
    for name in ("window_start", "window_end", "collected_at"):
        moment = getattr(item, name)
        if not isinstance(moment, datetime):
            return f"{name} {moment!r} is not a datetime"
        if moment.utcoffset() is None:
            return f"{name} {moment.isoformat()} is a datetime without a time zone"
    if item.window_start > item.window_end:
        return (
            f"window starts ({item.window_start.isoformat()}) after it ends "
            f"({item.window_end.isoformat()})"
        )
    for name in ("key_result_id", "source", "query_fingerprint", "run_id", "note"):
        text = getattr(item, name)
        if text is None and name in ("run_id", "note"):
            continue
        if not isinstance(text, str):
            return f"{name} {text!r} is not text"
        if "\x00" in text:
            return f"{name} contains a NUL character"
        if (limit := _TEXT_LIMITS.get(name)) is not None and len(text) > limit:
            return f"{name} is {len(text)} characters long (at most {limit})"
    if not item.key_result_id:
        return "key_result_id is empty"
    return None


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
        return f"key result {item.key_result_id!r} is not defined in the store"
    return reason


def _order(item: MeasurementIn) -> tuple[str, float, float]:
    # Natural-key order, so concurrent batches lock rows in the same order.
    return (item.key_result_id, item.window_start.timestamp(), item.window_end.timestamp())


def record(session: Session, items: Sequence[MeasurementIn], now: datetime) -> WriteResult:
    """Write ``items`` in the session's transaction; ``now`` stamps superseded revisions."""
    table: Table = Measurement.__table__  # type: ignore[attr-defined]
    ordered = sorted(items, key=_order)
    inserted = updated = unchanged = 0
    # New windows (what a pass mostly measures) go in with one multi-row insert per chunk;
    # the keys already stored come back as conflicts and take the row-by-row path below.
    existing: list[MeasurementIn] = []
    for start in range(0, len(ordered), INSERT_CHUNK):
        chunk = ordered[start : start + INSERT_CHUNK]
        taken = _insert_new(session, table, chunk)
        inserted += len(taken)
        existing.extend(item for item in chunk if _key(item) not in taken)
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
