"""A durable local spool for measurements the store could not take.

When the store is unreachable, each batch of measurements is appended to a small SQLite file on
local disk (committed before the pass reports success) and replayed, oldest first, once the store
answers again. Replays upsert on the measurements' natural key, so a batch written twice (the
store committed but the acknowledgement was lost) changes nothing: nothing is lost, nothing is
written twice.

A spool that cannot write (its disk is full, its file unwritable) raises ``StoreError``: the
batch is then not kept, and the caller must not count it as stored.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from syncd.errors import StoreError
from syncd.store.records import MeasurementIn, from_json, to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spooled_at TEXT NOT NULL,
    items TEXT NOT NULL
)
"""


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "disk is full" in str(exc)
        )
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class Spool:
    """Batches of measurements on local disk, in the order they were spooled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._guarded("opening the spool"):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # spooled means on disk
            self._db.execute(_SCHEMA)

    def append(self, items: Sequence[MeasurementIn], now: datetime) -> None:
        """Keep a batch until the store takes it; ``StoreError`` when the spool cannot."""
        lost = "they are neither stored nor spooled"
        with self._lock, self._guarded(f"spooling {len(items)} measurements", lost):
            self._db.execute(
                "INSERT INTO spooled (spooled_at, items) VALUES (?, ?)",
                (now.isoformat(), to_json(list(items))),
            )

    def pending(self) -> int:
        """How many measurements wait in the spool."""
        with self._lock, self._guarded("reading the spool"):
            rows = self._db.execute("SELECT items FROM spooled").fetchall()
        return sum(len(json.loads(row[0])) for row in rows)

    def replay(self, write: Callable[[list[MeasurementIn]], object]) -> int:
        """Hand every batch to ``write``, oldest first, deleting each once written. Stops at
        the first failure (which propagates), so order is kept. Returns measurements replayed."""
        replayed = 0
        with self._lock:
            with self._guarded("reading the spool"):
                rows = self._db.execute("SELECT id, items FROM spooled ORDER BY id").fetchall()
            for row_id, text in rows:
                batch = from_json(text)
                write(batch)
                # Should this fail, the batch is replayed again later: the upsert makes that
                # harmless.
                with self._guarded("removing a replayed batch from the spool"):
                    self._db.execute("DELETE FROM spooled WHERE id = ?", (row_id,))
                replayed += len(batch)
        return replayed

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _guarded(self, action: str, consequence: str = "") -> Iterator[None]:
        """Re-raise SQLite and file-system failures as ``StoreError`` naming the spool file."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            if _is_full(exc):
                reason = f"the disk holding {self.path} is full"
                hint = "free space there; the daemon spools again as soon as it can"
            else:
                reason = f"{self.path}: {str(exc).strip() or type(exc).__name__}"
                hint = "check the spool file's directory, rights and free space (`daemon.spool`)"
            text = f"{action} failed: {reason}" + (f"; {consequence}" if consequence else "")
            raise StoreError(f"{text}\n    hint: {hint}") from exc
