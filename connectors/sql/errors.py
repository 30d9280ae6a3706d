"""Mapping database driver errors onto syncd's error tree.

PostgreSQL reports a SQLSTATE once connected; before that (wrong role, wrong password, server
down) psycopg has only a message, so connection-time failures are read from the message.
SQLite names its result codes (``sqlite_errorname``).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError

_AUTH_MESSAGES = re.compile(
    r"password authentication failed|authentication failed|role \".*\" does not exist"
    r"|no pg_hba\.conf entry|permission denied for database|access denied",
    re.IGNORECASE,
)
_MISSING_DATABASE = re.compile(r"database \".*\" does not exist", re.IGNORECASE)
_UNREACHABLE_MESSAGES = re.compile(
    r"connection refused|could not connect|connection failed|timeout|timed out"
    r"|server closed the connection|could not translate host name|database is locked"
    r"|unable to open database file",
    re.IGNORECASE,
)
# SQLSTATE classes: 08 connection exception, 40 transaction rollback (serialization, deadlock),
# 53 insufficient resources, 57 operator intervention (incl. statement timeout), 58 system error.
_TRANSIENT_SQLSTATE_CLASSES = {"08", "40", "53", "57", "58"}
_TRANSIENT_SQLITE_CODES = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR"}


def _driver_message(exc: SQLAlchemyError) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return " ".join(str(exc.orig).split())
    return " ".join(str(exc).split("\n", 1)[0].split())


def redact(message: str, secrets: list[str]) -> str:
    """``message`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


def classify(exc: SQLAlchemyError, *, source: str, secrets: list[str]) -> SourceError:
    """The syncd error for a database failure; its message names the source, never a secret."""
    message = redact(_driver_message(exc), secrets)
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    sqlite_code = getattr(getattr(exc, "orig", None), "sqlite_errorname", None)

    if (sqlstate or "").startswith("28") or _AUTH_MESSAGES.search(message):
        return AuthError(
            f"{source}: the database rejected the credentials: {message}", source=source
        )
    if sqlstate == "3D000" or (sqlstate is None and _MISSING_DATABASE.search(message)):
        return AuthError(f"{source}: the database does not exist: {message}", source=source)
    if isinstance(exc, PoolTimeout) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return TransientSourceError(f"{source}: connection lost: {message}", source=source)
    if sqlstate is not None and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES:
        return TransientSourceError(f"{source}: {message} (SQLSTATE {sqlstate})", source=source)
    if sqlite_code in _TRANSIENT_SQLITE_CODES or (
        sqlstate is None
        and isinstance(exc, OperationalError)
        and _UNREACHABLE_MESSAGES.search(message)
    ):
        return TransientSourceError(f"{source}: database unreachable: {message}", source=source)
    if sqlite_code == "SQLITE_READONLY" or sqlstate == "25006":
        return QueryError(
            f"{source}: the query tried to write, but sql sources are read-only: {message}",
            source=source,
        )
    suffix = f" (SQLSTATE {sqlstate})" if sqlstate else ""
    return QueryError(f"{source}: the query failed: {message}{suffix}", source=source)
