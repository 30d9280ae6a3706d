"""Mapping Data API and transport failures onto syncd's error tree.

GA4 answers 429 ``RESOURCE_EXHAUSTED`` when a property quota runs out: an hourly one refreshes
at the next hour, a daily one at midnight Pacific time. 5xx answers count against the
property's 10 server errors per project and hour, so they are retried sparingly.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth_errors
from google.protobuf.json_format import ParseError

from syncd.errors import (
    AuthError,
    QueryError,
    RateLimited,
    SourceError,
    TransientSourceError,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
QuotaScope = Literal["hour", "day"]


class QuotaExhausted(RateLimited):
    """A property quota is used up: wait until ``until`` (the next hour, or tomorrow)."""

    def __init__(
        self,
        message: str,
        *,
        scope: QuotaScope,
        until: datetime,
        now: datetime,
        source: str | None = None,
    ) -> None:
        self.scope = scope
        self.until = until
        super().__init__(
            message, retry_after=max(0.0, (until - now).total_seconds()), source=source
        )


class ServerErrorBudgetSpent(TransientSourceError):
    """A 5xx after this sync's few retries: not retried, to spare the hourly error quota."""

    retryable = False


def next_hour(now: datetime) -> datetime:
    """The start of the next UTC hour after ``now``."""
    now = now.astimezone(UTC)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def next_pacific_midnight(now: datetime) -> datetime:
    """When GA4's daily quotas refresh next: midnight in America/Los_Angeles."""
    local = now.astimezone(PACIFIC)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)


def _retry_after(exc: api.GoogleAPICallError) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def quota_scope(message: str) -> QuotaScope | None:
    """Which property quota a 429 message names, if any."""
    text = message.lower()
    if "per day" in text or "daily" in text:
        return "day"
    if "per hour" in text or "hourly" in text:
        return "hour"
    return None


def classify(exc: BaseException, *, source: str, prop: str, now: datetime) -> SourceError:
    """The syncd error for a failed Data API call on property ``prop``."""
    where = f"{source}: GA4 property {prop}"
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, api.GoogleAPICallError):
        message = exc.message or str(exc)
        code = exc.code
        if code in (401,) or isinstance(exc, api.Unauthenticated):
            return AuthError(f"{where}: the credentials were rejected: {message}", source=source)
        if code == 403 or isinstance(exc, api.PermissionDenied):
            return AuthError(
                f"{where}: access denied ({message}); add the service account or user as a "
                "Viewer of the property",
                source=source,
            )
        if code == 429 or isinstance(exc, api.ResourceExhausted):
            scope = quota_scope(message)
            if scope is not None:
                until = next_hour(now) if scope == "hour" else next_pacific_midnight(now)
                return QuotaExhausted(
                    f"{where}: the {'hourly' if scope == 'hour' else 'daily'} token quota is "
                    f"used up ({message}); paused until {until.isoformat()}",
                    scope=scope,
                    until=until,
                    now=now,
                    source=source,
                )
            return RateLimited(
                f"{where}: rate limited: {message}", retry_after=_retry_after(exc), source=source
            )
        if code is not None and int(code) >= 500:
            return TransientSourceError(f"{where}: server error {code}: {message}", source=source)
        if code == 400 or isinstance(exc, api.InvalidArgument):
            return QueryError(f"{where}: the request was refused: {message}", source=source)
        return QueryError(f"{where}: {code} {message}", source=source)
    if isinstance(exc, auth_errors.RefreshError | auth_errors.DefaultCredentialsError):
        return AuthError(f"{where}: could not obtain an access token: {exc}", source=source)
    if isinstance(exc, requests.exceptions.RequestException | auth_errors.TransportError):
        return TransientSourceError(f"{where}: connection failed: {exc}", source=source)
    if isinstance(exc, ParseError):
        return TransientSourceError(f"{where}: truncated or malformed response", source=source)
    return TransientSourceError(f"{where}: {type(exc).__name__}: {exc}", source=source)
