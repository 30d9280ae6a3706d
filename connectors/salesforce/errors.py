"""Mapping simple-salesforce and transport failures onto syncd's error tree.

Salesforce REST errors arrive as ``[{"message": …, "errorCode": …}]`` with an HTTP status;
simple-salesforce raises one exception class per status and keeps the decoded body in
``content``. OAuth failures are ``{"error": …, "error_description": …}`` and arrive as
``SalesforceAuthenticationFailed``.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError

QUERY_ERROR_CODES = {
    "MALFORMED_QUERY",
    "INVALID_FIELD",
    "INVALID_TYPE",
    "INVALID_QUERY_FILTER_OPERATOR",
    "INVALID_QUERY_LOCATOR",
    "QUERY_TIMEOUT",
    "EXCEEDED_ID_LIMIT",
}


class ApiAllocationExhausted(RateLimited):
    """The org's daily API allocation is used up (``REQUEST_LIMIT_EXCEEDED``) or past the share
    syncd may use: the source pauses for ``retry_after`` seconds. Retrying now cannot help."""

    retryable = False


def error_code(exc: SalesforceError) -> str | None:
    """The ``errorCode`` of a REST error body, if it has one."""
    content: Any = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        code = content[0].get("errorCode")
        return str(code) if code is not None else None
    return None


def error_message(exc: SalesforceError) -> str:
    """The ``message`` of a REST error body (first line block), or the raw body."""
    content: Any = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return " ".join(str(content[0].get("message", "")).split())
    if isinstance(content, bytes):
        content = content.decode(errors="replace")
    return " ".join(str(content).split())[:300]


def classify(exc: Exception, *, source: str, retry_after: float | None = None) -> SourceError:
    """The syncd error for a failed Salesforce call. ``retry_after`` is the response's
    ``Retry-After`` header, when it had one."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthError(
            f"{source}: Salesforce login failed ({exc.code}): {exc.auth_message}", source=source
        )
    if isinstance(exc, SalesforceError):
        code = error_code(exc) or "no error code"
        text = f"{source}: Salesforce answered {exc.status} {code}: {error_message(exc)}"
        if isinstance(exc, SalesforceExpiredSession):
            return AuthError(text, source=source)
        if isinstance(exc, SalesforceRefusedRequest):
            return AuthError(text, source=source)
        if isinstance(exc, SalesforceMalformedRequest) or code in QUERY_ERROR_CODES:
            if code == "INVALID_QUERY_FILTER_OPERATOR" and "dateTime" in text:
                text += " (use {window_start:datetime}/{window_end:datetime} for datetime fields)"
            return QueryError(text, source=source)
        if isinstance(exc, SalesforceResourceNotFound):
            return SourceError(text + " (check api_version and instance_url)", source=source)
        if exc.status == 429:
            return RateLimited(text, retry_after=retry_after, source=source)
        if exc.status >= 500:
            return TransientSourceError(text, source=source)
        return SourceError(text, source=source)
    if isinstance(exc, requests.exceptions.SSLError):
        return SourceError(
            f"{source}: TLS verification failed ({_first_line(exc)}); "
            "point 'ca_bundle' at the CA that signed the server's certificate",
            source=source,
        )
    if isinstance(exc, requests.exceptions.RequestException | ValueError):
        # ValueError: a body cut short is not JSON (requests' JSONDecodeError is one).
        return TransientSourceError(
            f"{source}: Salesforce unreachable or answer cut short: {_first_line(exc)}",
            source=source,
        )
    return SourceError(f"{source}: {type(exc).__name__}: {_first_line(exc)}", source=source)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
