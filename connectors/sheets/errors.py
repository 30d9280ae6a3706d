"""What the Sheets client raises, fed to the shared table (``syncd.http.error_for_status``).

``googleapiclient.errors.HttpError`` carries the answer's status, headers and body; the token
endpoint's refusals arrive as ``google.auth`` ``RefreshError``; a connection that breaks
surfaces from httplib2 or the socket.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import unquote, urlsplit

from connectors.sheets.wire import error_words
from syncd.errors import AuthError, QueryError, SourceError
from syncd.http import error_for_status, error_for_transport, retry_after

VENDOR = "Google Sheets"


def _detail(content: bytes) -> str:
    text = content.decode("utf-8", "replace").strip()
    if text[:1] == "<":
        return "an HTML page"
    try:
        return error_words(json.loads(text)) or text[:120]
    except ValueError:
        return text[:120]


def classify(exc: Exception, *, source: str) -> SourceError | None:
    """The error for an exception of the Sheets client; None when it is not one of its."""
    # Loaded with the client, not the config.
    import httplib2
    from google.auth import exceptions as auth_errors
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        wait = exc.resp.get("retry-after")  # httplib2 lower-cases header names
        where = unquote(urlsplit(exc.uri or "").path) or "the Sheets API"
        error = error_for_status(
            status,
            source=source,
            vendor=VENDOR,
            where=where,
            detail=_detail(exc.content or b""),
            wait=retry_after({"Retry-After": wait}) if wait is not None else None,
        )
        if status == 403 and isinstance(error, AuthError):
            error.args = (f"{error}; share the spreadsheet with the service account's e-mail",)
        elif status == 404 and isinstance(error, QueryError):
            error.args = (f"{error}; check the spreadsheet id and that it is shared with syncd",)
        return error
    if isinstance(exc, auth_errors.RefreshError) and not getattr(exc, "retryable", False):
        return AuthError(
            f"{source}: {VENDOR} could not obtain an access token: {exc}", source=source
        )
    if isinstance(exc, auth_errors.DefaultCredentialsError):
        return AuthError(f"{source}: {VENDOR} credentials: {exc}", source=source)
    if isinstance(
        exc,
        httplib2.HttpLib2Error
        | http.client.HTTPException
        | auth_errors.TransportError
        | auth_errors.RefreshError
        | TimeoutError
        | ConnectionError,
    ):
        return error_for_transport(exc, source=source, vendor=VENDOR, what="API call")
    return None
