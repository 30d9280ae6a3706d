"""What every part of the SQL store shares: the engine, the URL, sessions, and the store's
own checks (reachable, writable, migrated)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from syncd.store import migrate
from syncd.store.engine import SQLITE_BUSY_TIMEOUT_MS, writing
from syncd.store.failures import guarded, safe_url
from syncd.store.liveness import instance_id

WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")
WRITE_CHECK_WAIT_MS = 100


def utcnow() -> datetime:
    """The current instant, tz-aware in UTC."""
    return datetime.now(UTC)


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


class SqlBase:
    """A store on SQLite or PostgreSQL: its engine and sessions. Every failure surfaces as
    :class:`~syncd.errors.StoreError` naming the store URL (password hidden) and a hint."""

    def __init__(self, engine: Engine, url: URL, *, owner: str | None = None) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self._url = url
        self.owner = owner or instance_id()

    @property
    def url(self) -> str:
        """The store URL with its password hidden."""
        return safe_url(self._url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def upgrade(self) -> str:
        """Apply pending migrations (``alembic upgrade head``); returns the head revision."""
        return migrate.upgrade(self._engine, self._url)

    def is_current(self) -> bool:
        """Whether the store is migrated to the newest revision this code knows."""
        return migrate.is_current(self._engine, self._url)

    def close(self) -> None:
        """Release all connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers a trivial query."""
        with guarded(self._url, "checking the store"), self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def check_writable(self) -> None:
        """Raise ``StoreError`` unless the store takes a write right now.

        A write in a transaction that is rolled back: nothing is kept, but a read-only file,
        disk or server refuses it. On SQLite another writer holding the lock means the store
        is writable; this check does not wait for it.
        """
        sqlite = self.dialect == "sqlite"
        with guarded(self._url, "checking the store can write"), self._writer.connect() as c:
            if sqlite:
                _driver(c).execute(f"PRAGMA busy_timeout={WRITE_CHECK_WAIT_MS}")
            try:
                with c.begin() as transaction:
                    if not sqlite:
                        c.execute(text(f"SET LOCAL lock_timeout = {WRITE_CHECK_WAIT_MS * 10}"))
                    c.execute(WRITE_PROBE)
                    transaction.rollback()
            except OperationalError as exc:
                if not (sqlite and "database is locked" in str(exc.orig)):
                    raise
            finally:
                if sqlite and not c.invalidated:
                    _driver(c).execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    @contextmanager
    def _writing(self, action: str) -> Iterator[Session]:
        """A session whose work commits as one transaction, or not at all."""
        with (
            guarded(self._url, action),
            Session(self._writer, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def _reading(self, action: str) -> Iterator[Session]:
        with guarded(self._url, action), Session(self._engine, expire_on_commit=False) as session:
            yield session
