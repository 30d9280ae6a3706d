"""One daemon per SQLite store: a second would race the first on the same file."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from syncd.errors import StoreError
from syncd.paths import private_file


class InstanceLock:
    """An exclusive ``flock`` beside a SQLite store, held for the daemon's life."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @classmethod
    def for_store(cls, store_url: str) -> InstanceLock | None:
        """The lock a store needs: one for a SQLite file, none for PostgreSQL."""
        url = make_url(store_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return cls(Path(f"{url.database}.daemon.lock"))

    def acquire(self) -> None:
        private_file(self.path)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(
                f"another syncd daemon (pid {holder}) already runs on the SQLite store "
                f"{self.path.with_suffix('').with_suffix('')}\n"
                "    hint: SQLite stores are single-instance; stop the other daemon, or use "
                "PostgreSQL to run several"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
