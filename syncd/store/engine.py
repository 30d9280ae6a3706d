"""Parsing the store URL and building a configured SQLAlchemy engine for it.

SQLite gets WAL journaling (readers never wait for the writer), enforced foreign keys and a busy
timeout. Its transactions begin explicitly: ``BEGIN IMMEDIATE`` for writes, so two writers
queue on the busy timeout instead of failing to upgrade a read lock, and plain ``BEGIN`` for
reads (pysqlite's own transaction handling is switched off, as SQLAlchemy's docs recommend).

A connection that met a state that outlives the statement is dropped with the whole pool, so
the store recovers by itself once the state passes: SQLite silently opens a file it may not
write read-only and keeps it so, and a PostgreSQL session on a server turned read-only (a
standby after a failover) stays there. See :func:`leaves_connection_unusable`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from syncd.errors import StoreError
from syncd.paths import private_file
from syncd.store.failures import CONFIG_HINT, redact_url_text, store_error

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
URL_HINT = "use sqlite:///path/to/syncd.db or postgresql+psycopg://user@host/database"
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
WRITE_OPTION = "syncd_write"

# SQLite primary result codes after which a connection is not trusted again: READONLY, IOERR,
# CORRUPT, FULL, CANTOPEN (https://sqlite.org/rescode.html).
_SQLITE_UNUSABLE = frozenset({8, 10, 11, 13, 14})
_PG_READ_ONLY = "25006"  # read_only_sql_transaction


def leaves_connection_unusable(error: BaseException) -> bool:
    """Whether the driver ``error`` means its connection should be dropped, not reused."""
    sqlite_code = getattr(error, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return sqlite_code & 0xFF in _SQLITE_UNUSABLE
    return getattr(error, "sqlstate", None) == _PG_READ_ONLY


def parse_url(text: str) -> URL:
    """Parse a store URL; only SQLite and PostgreSQL are supported."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"cannot parse the store URL {redact_url_text(text)!r}\n    hint: {URL_HINT}"
        ) from exc
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise store_error(
            url,
            "opening",
            f"unsupported database {url.get_backend_name()!r} (syncd uses SQLite or PostgreSQL)",
            URL_HINT,
        )
    return url


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; a new SQLite file is created first, 0600 (its missing
    directories 0700)."""
    try:
        if url.get_backend_name() == "sqlite":
            return _recovering(_sqlite_engine(url))
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
        return _recovering(create_engine(url, pool_pre_ping=True, connect_args=connect_args))
    except (NoSuchModuleError, ImportError) as exc:
        raise store_error(
            url, "opening", f"database driver {url.drivername!r} is not available", URL_HINT
        ) from exc
    except OSError as exc:
        raise store_error(
            url, "opening", f"cannot create the SQLite file's directory: {exc}", CONFIG_HINT
        ) from exc


def writing(engine: Engine) -> Engine:
    """The same engine, marked so its SQLite transactions take the write lock up front."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _recovering(engine: Engine) -> Engine:
    @event.listens_for(engine, "handle_error")
    def _drop_unusable(context: ExceptionContext) -> None:
        if leaves_connection_unusable(context.original_exception):
            # Handled like a lost connection: this one is closed and the pool recycled.
            context.is_disconnect = True

    return engine


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if not in_memory:
        private_file(Path(database))  # 0600 in a 0700 directory when syncd creates them
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
