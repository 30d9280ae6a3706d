"""Mapping Zendesk HTTP answers and transport failures onto syncd's error tree.

- 401, 403: :class:`~syncd.errors.AuthError` (bad token, or the user may not read this);
- 429, and 503 with ``Retry-After``: :class:`~syncd.errors.RateLimited` carrying the wait;
- other 5xx, timeouts, dropped connections, truncated or non-JSON bodies:
  :class:`~syncd.errors.TransientSourceError`;
- 400, 404, 422 (bad search, past the 1,000-result cap): :class:`~syncd.errors.QueryError`.

Messages name the status, Zendesk's ``error``/``description`` and the path, never a credential.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _zendesk_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:120].strip()
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    description = body.get("description")
    if isinstance(error, dict):  # some endpoints nest {"title", "message"}
        error, description = error.get("title"), error.get("message")
    return ": ".join(str(part) for part in (error, description) if part)


def from_response(response: httpx.Response, *, source: str) -> SourceError:
    """The error for a non-2xx answer."""
    status = response.status_code
    detail = _zendesk_detail(response)
    where = response.request.url.path
    message = f"{source}: Zendesk answered {status} to {where}" + (f" ({detail})" if detail else "")
    wait = retry_after_seconds(response.headers.get("Retry-After"))
    if status in (401, 403):
        hint = "check email/token or oauth_token" if status == 401 else "the user lacks access"
        return AuthError(f"{message}; {hint}", source=source)
    if status == 429 or (status == 503 and wait is not None):
        return RateLimited(message, retry_after=wait, source=source)
    if status >= 500:
        return TransientSourceError(message, source=source)
    return QueryError(message, source=source)


def from_transport(exc: httpx.HTTPError, *, source: str, what: str) -> SourceError:
    """The error for a request that got no complete answer (retryable)."""
    kind = type(exc).__name__
    return TransientSourceError(f"{source}: {what} failed ({kind}: {exc})", source=source)


def bad_body(*, source: str, what: str, problem: str) -> SourceError:
    """A 2xx answer whose body is not the JSON shape Zendesk documents (retryable: a proxy or
    a cut connection produces these)."""
    return TransientSourceError(f"{source}: {what} returned {problem}", source=source)
