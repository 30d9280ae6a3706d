"""Dead letters: measurements the store refused, kept aside with their reason.

A refused item is keyed by its natural key (KR id and window, as given, so even an item with a
naive datetime has one). Seeing it refused again counts an attempt; storing a measurement of
the same window later resolves it (the row is deleted), so what remains is what is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, delete, func
from sqlmodel import Session, select

from syncd.store.dialect import upsert_insert
from syncd.store.records import MeasurementIn, Refusal, to_json
from syncd.store.tables import DeadLetter

_CHUNK = 500  # keys per DELETE, well below every backend's bind-parameter limit


def key_of(item: MeasurementIn) -> str:
    """The digest of the item's natural key."""

    def moment(value: object) -> str:
        if isinstance(value, datetime):
            return (value.astimezone(UTC) if value.utcoffset() is not None else value).isoformat()
        return repr(value)

    parts = [str(item.key_result_id), moment(item.window_start), moment(item.window_end)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def set_aside(session: Session, refusals: Sequence[Refusal], now: datetime) -> None:
    """Record each refusal, or count another attempt of one already set aside."""
    table: Table = DeadLetter.__table__  # type: ignore[attr-defined]
    for refusal in refusals:
        insert = upsert_insert(session, table).values(
            key=key_of(refusal.item),
            key_result_id=str(refusal.item.key_result_id),
            item=to_json(refusal.item),
            reason=refusal.reason,
            first_seen=now,
            last_seen=now,
            attempts=1,
        )
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "item": insert.excluded.item,
                    "reason": insert.excluded.reason,
                    "last_seen": insert.excluded.last_seen,
                    "attempts": table.c.attempts + 1,
                },
            )
        )


def resolve(session: Session, items: Iterable[MeasurementIn]) -> None:
    """Drop the dead letters of windows now stored."""
    table: Table = DeadLetter.__table__  # type: ignore[attr-defined]
    keys = sorted({key_of(item) for item in items})
    for start in range(0, len(keys), _CHUNK):
        session.execute(delete(table).where(table.c.key.in_(keys[start : start + _CHUNK])))


def count(session: Session) -> int:
    """How many refused measurements are set aside."""
    return int(session.exec(select(func.count()).select_from(DeadLetter)).one())


def recent(session: Session, limit: int | None) -> list[DeadLetter]:
    """Dead letters, most recently refused first."""
    table: Table = DeadLetter.__table__  # type: ignore[attr-defined]
    query = select(DeadLetter).order_by(table.c.last_seen.desc(), table.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())
