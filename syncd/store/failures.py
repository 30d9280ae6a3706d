"""Turning database and migration failures into ``StoreError`` messages people can act on.

Every message names the store URL with the password hidden, says what went wrong in one line
and gives a hint. The password is also scrubbed from the driver's own text, in case a driver
ever echoes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from syncd.errors import StoreError

CONFIG_HINT = "check `store:` in your config"
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")

# (pattern searched in the lower-cased driver message, hint), first match wins.
_HINTS: tuple[tuple[str, str], ...] = (
    ("password authentication failed", f"check the user and password; {CONFIG_HINT}"),
    (r"database \S+ does not exist", f"create the database (`createdb <name>`) or {CONFIG_HINT}"),
    (
        r"no such table|relation \S+ does not exist",
        "the store is not migrated: open it with upgrade (the default) or run the migrations",
    ),
    ("connection refused", f"is PostgreSQL running? {CONFIG_HINT}"),
    ("could not translate host name", f"is the host name right? {CONFIG_HINT}"),
    ("name or service not known", f"is the host name right? {CONFIG_HINT}"),
    ("timeout", f"is PostgreSQL running and reachable from here? {CONFIG_HINT}"),
    ("connection failed", f"is PostgreSQL running? {CONFIG_HINT}"),
    ("unable to open database file", f"check the SQLite file's path and rights; {CONFIG_HINT}"),
    ("database is locked", "another process held the SQLite write lock too long; retry later"),
    (
        "readonly database|read-only transaction",
        "syncd cannot write the store (file or directory rights, a read-only disk or server); "
        "it reconnects by itself once it can",
    ),
    ("disk is full|no space left", "free disk space for the store; syncd retries by itself"),
    ("disk i/o error", "the store's disk failed a write; check it; syncd retries by itself"),
    ("foreign key", "the key result is unknown to the store: sync the definitions first"),
    ("without a time zone", "pass timezone-aware datetimes (e.g. datetime.now(UTC))"),
)


def redact_url_text(text: str) -> str:
    """Hide the password of any URL inside ``text`` (for strings that did not parse as URLs)."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def safe_url(url: URL) -> str:
    """The URL as text with its password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def store_error(url: URL, action: str, reason: str, hint: str | None = None) -> StoreError:
    """A ``StoreError`` for ``action`` on the store at ``url``, without its password."""
    if url.password:
        reason = reason.replace(str(url.password), "***")
    reason = redact_url_text(reason)
    text = f"{action} failed for store {safe_url(url)}: {reason}"
    return StoreError(f"{text}\n    hint: {hint}" if hint else text)


def _reason(exc: BaseException) -> str:
    """The driver's own message, first line, without SQLAlchemy's statement dump."""
    origin = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    if isinstance(origin, ValueError) and "must have timezone" in str(origin):
        # The column type's own text advises on model annotations, which is not the caller's fix.
        return "a datetime without a time zone was given; the store only takes tz-aware ones"
    lines = [line.strip() for line in str(origin).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(origin).__name__


def _hint(reason: str, exc: BaseException) -> str | None:
    lowered = reason.lower()
    for pattern, hint in _HINTS:
        if re.search(pattern, lowered):
            return hint
    if isinstance(exc, IntegrityError):
        return "the write broke a constraint of the store; nothing of it was saved"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"the connection to the store dropped; {CONFIG_HINT}"
    return None


def translate(exc: BaseException, url: URL, action: str) -> StoreError:
    """The ``StoreError`` that explains ``exc`` (raised while doing ``action``)."""
    reason = _reason(exc)
    return store_error(url, action, reason, _hint(reason, exc))


@contextmanager
def guarded(url: URL, action: str) -> Iterator[None]:
    """Re-raise database failures inside the block as ``StoreError``."""
    try:
        yield
    except StoreError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise translate(exc, url, action) from exc
