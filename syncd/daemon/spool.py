"""A durable local spool for measurements the store could not take.

When the store is unreachable, each batch of measurements is appended to a small SQLite file on
local disk (committed before the pass reports success) and replayed, oldest first, once the store
answers again. Replays upsert on the measurements' natural key, so a batch written twice (the
store committed but the acknowledgement was lost) changes nothing: nothing is lost, nothing is
written twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from syncd.store.records import MeasurementIn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spooled_at TEXT NOT NULL,
    items TEXT NOT NULL
)
"""
_TIMES = ("window_start", "window_end", "collected_at")


def _encode(items: Sequence[MeasurementIn]) -> str:
    rows = []
    for item in items:
        row = dict(item.__dict__)
        for name in _TIMES:
            row[name] = row[name].isoformat()
        rows.append(row)
    return json.dumps(rows)


def _decode(text: str) -> list[MeasurementIn]:
    items = []
    for row in json.loads(text):
        for name in _TIMES:
            row[name] = datetime.fromisoformat(row[name])
        items.append(MeasurementIn(**row))
    return items


class Spool:
    """Batches of measurements on local disk, in the order they were spooled."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # spooled means on disk
        self._db.execute(_SCHEMA)

    def append(self, items: Sequence[MeasurementIn], now: datetime) -> None:
        """Keep a batch until the store takes it."""
        with self._lock:
            self._db.execute(
                "INSERT INTO spooled (spooled_at, items) VALUES (?, ?)",
                (now.isoformat(), _encode(items)),
            )

    def pending(self) -> int:
        """How many measurements wait in the spool."""
        with self._lock:
            rows = self._db.execute("SELECT items FROM spooled").fetchall()
        return sum(len(json.loads(row[0])) for row in rows)

    def replay(self, write: Callable[[list[MeasurementIn]], object]) -> int:
        """Hand every batch to ``write``, oldest first, deleting each once written. Stops at
        the first failure (which propagates), so order is kept. Returns measurements replayed."""
        replayed = 0
        with self._lock:
            rows = self._db.execute("SELECT id, items FROM spooled ORDER BY id").fetchall()
            for row_id, text in rows:
                batch = _decode(text)
                write(batch)
                self._db.execute("DELETE FROM spooled WHERE id = ?", (row_id,))
                replayed += len(batch)
        return replayed

    def close(self) -> None:
        with self._lock:
            self._db.close()
