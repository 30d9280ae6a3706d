"""What reading or writing a workbook file raises, as syncd's errors: shared by the ``excel``
source and sink.

A file that is missing, unreadable or cut short (being saved right now, a share that dropped)
is a :class:`~syncd.errors.TransientSourceError`, retried; a file the daemon's user may not
read or write is an :class:`~syncd.errors.AuthError`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError


def classify(
    exc: Exception, *, source: str, path: Path, access: str = "read"
) -> SourceError | None:
    """The error for ``exc`` met while using the workbook at ``path``; None when it is not a
    file or workbook problem. ``access`` says what syncd must be allowed to do (read, write)."""
    # openpyxl loads when a workbook is first used, not with the config.
    from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

    if isinstance(exc, IllegalCharacterError):
        return QueryError(
            f"{source}: a value for {path} holds a control character a workbook cannot store",
            source=source,
        )
    if isinstance(exc, PermissionError):
        return AuthError(
            f"{source}: syncd may not {access} {path}; give its user {access} access",
            source=source,
        )
    if isinstance(exc, FileNotFoundError):
        return TransientSourceError(
            f"{source}: the workbook {path} does not exist (or its share is not mounted)",
            source=source,
        )
    if isinstance(exc, zipfile.BadZipFile | InvalidFileException | KeyError | EOFError):
        return TransientSourceError(
            f"{source}: {path} is not a readable .xlsx workbook (being saved right now, or "
            f"not a workbook: {type(exc).__name__})",
            source=source,
        )
    if isinstance(exc, OSError):
        return TransientSourceError(
            f"{source}: cannot {access} {path}: {exc.strerror or exc}", source=source
        )
    return None
