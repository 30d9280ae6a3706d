"""What is GA4's own in its failures, fed to the shared table (``syncd.http``).

GA4 answers 429 ``RESOURCE_EXHAUSTED`` when a property quota runs out: an hourly one refreshes
at the next hour, a daily one at midnight Pacific time (:class:`QuotaExhausted`). 5xx answers
count against the property's 10 server errors per project and hour, so only a few of them an
hour are retried (:class:`ServerErrorBudgetSpent`, see ``quota.ServerErrorLedger``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from syncd.errors import AuthError, RateLimited, SourceError, TransientSourceError
from syncd.http import bad_body, error_for_status, error_for_transport, retry_after

if TYPE_CHECKING:  # the SDK loads when an exception of its is classified, not before
    from google.api_core import exceptions as api

PACIFIC = ZoneInfo("America/Los_Angeles")
VENDOR = "GA4"
QuotaScope = Literal["hour", "day"]
_PROPERTY = re.compile(r"properties/([^/:?]+)")


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
    """A 5xx beyond the property's retry budget for this hour: not retried, to spare GA4's
    hourly server-error quota."""

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


def quota_scope(message: str) -> QuotaScope | None:
    """Which property quota a 429 message names, if any."""
    text = message.lower()
    if "per day" in text or "daily" in text:
        return "day"
    if "per hour" in text or "hourly" in text:
        return "hour"
    return None


def property_of(exc: api.GoogleAPICallError) -> str | None:
    """The property a failed call was about, from its URL."""
    response = exc.response
    request = getattr(response, "request", None)
    match = _PROPERTY.search(str(getattr(request, "url", "") or ""))
    return match.group(1) if match else None


def classify(exc: Exception, *, source: str, now: datetime) -> SourceError | None:
    """The error for an exception of the Data API client; None when it is not one of its."""
    import requests
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth_errors
    from google.protobuf.json_format import ParseError

    if isinstance(exc, api.GoogleAPICallError) and exc.code is not None:
        response = exc.response
        headers = getattr(response, "headers", None) or {}
        request = getattr(response, "request", None)
        where = urlsplit(str(getattr(request, "url", "") or "")).path or "the Data API"
        # The client prefixes "POST <url>: " to GA4's own words.
        message = (exc.message or "").split(": ", 1)[-1] if exc.message else ""
        detail = "an HTML page" if message.lstrip()[:1] == "<" else message
        error = error_for_status(
            int(exc.code),
            source=source,
            vendor=VENDOR,
            where=where,
            detail=detail,
            wait=retry_after(headers),
        )
        if isinstance(error, AuthError) and int(exc.code) == 403:
            error.args = (f"{error}; add the service account or user as a Viewer of the property",)
        if isinstance(error, RateLimited) and (scope := quota_scope(message)) is not None:
            until = next_hour(now) if scope == "hour" else next_pacific_midnight(now)
            quota = "hourly" if scope == "hour" else "daily"
            return QuotaExhausted(
                f"{error}: the {quota} token quota is used up; paused until {until.isoformat()}",
                scope=scope,
                until=until,
                now=now,
                source=source,
            )
        return error
    if isinstance(exc, auth_errors.RefreshError) and not getattr(exc, "retryable", False):
        return AuthError(
            f"{source}: {VENDOR} could not obtain an access token: {exc}", source=source
        )
    if isinstance(exc, auth_errors.DefaultCredentialsError):
        return AuthError(f"{source}: {VENDOR} credentials: {exc}", source=source)
    if isinstance(
        exc,
        requests.exceptions.RequestException
        | auth_errors.TransportError
        | auth_errors.RefreshError,
    ):
        return error_for_transport(exc, source=source, vendor=VENDOR, what="Data API call")
    if isinstance(exc, ParseError):
        return bad_body(
            source=source,
            vendor=VENDOR,
            what="Data API call",
            problem="a truncated or malformed body",
        )
    return None
