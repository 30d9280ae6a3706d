"""What is HubSpot's own in its errors; the rest goes through :func:`syncd.http.error_for_status`.

Each API package of ``hubspot-api-client`` raises its own ``ApiException`` (status, headers,
body); status 0 means no answer arrived (a TLS failure). HubSpot-specific:

- 401 ``EXPIRED_AUTHENTICATION``: an OAuth access token expired; refreshing it may fix the call
  (:class:`ExpiredToken`);
- a 400 from the OAuth token endpoint (``BAD_REFRESH_TOKEN``, ``BAD_CLIENT_ID``) is a credential
  problem, not a query problem;
- a 429 names its policy instead of sending ``Retry-After``: ``SECONDLY`` and
  ``TEN_SECONDLY_ROLLING`` pass within seconds, ``DAILY`` at midnight.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from syncd.errors import AuthError, SourceError, TransientSourceError
from syncd.http import error_for_status, error_for_transport, json_detail, retry_after

VENDOR = "HubSpot"
TOKEN_EXCHANGE = "OAuth token refresh"


@cache
def api_errors() -> tuple[type[Exception], ...]:
    """What the client's API packages raise for an answer that is not 2xx. Imported on first
    use: the client takes a while to load, and a config naming a hubspot source must not."""
    from hubspot.crm.objects import exceptions as objects
    from hubspot.crm.pipelines import exceptions as pipelines
    from hubspot.oauth import exceptions as oauth

    return (objects.ApiException, pipelines.ApiException, oauth.ApiException)


@cache
def client_errors() -> tuple[type[Exception], ...]:
    """Everything a client call raises that :func:`classify` maps: the API packages'
    exceptions and urllib3's transport errors."""
    import urllib3.exceptions

    return (*api_errors(), urllib3.exceptions.HTTPError)


# Waits HubSpot implies by the policy it names when it sends no Retry-After.
_POLICY_WAIT = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}


class ExpiredToken(AuthError):
    """An OAuth access token expired: refreshing it (once) may fix the call."""


class CallFailed(Exception):
    """A client call that raised ``cause``; ``what`` names the call for the error message."""

    def __init__(self, what: str, cause: Exception) -> None:
        super().__init__(f"{what}: {type(cause).__name__}")
        self.what = what
        self.cause = cause


def _body(exc: Exception) -> Any:
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


def _headers(exc: Exception) -> dict[str, str]:
    headers = getattr(exc, "headers", None) or {}
    # Header names are case-insensitive; syncd.http.retry_after looks them up capitalised.
    return {"-".join(p.capitalize() for p in str(k).split("-")): str(v) for k, v in headers.items()}


def _seconds_to_utc_midnight(now: datetime | None = None) -> float:
    moment = now or datetime.now(UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - moment).total_seconds()


def _wait(headers: Mapping[str, str], policy: str) -> float | None:
    said = retry_after(headers)
    if said is not None:
        return said
    if policy == "DAILY":
        # The daily quota resets at midnight in the account's time zone, which we do not
        # know; UTC midnight is the right order of magnitude and stops retries at once.
        return _seconds_to_utc_midnight()
    return _POLICY_WAIT.get(policy)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def classify(
    exc: Exception, *, source: str, what: str, secrets: Sequence[str]
) -> SourceError | None:
    """The syncd error for a failed client call; the message names the call, never a secret.
    None for an exception that is not the client's (a bug: the runner's catch-all)."""
    import urllib3.exceptions

    if isinstance(exc, urllib3.exceptions.HTTPError):
        error = error_for_transport(exc, source=source, vendor=VENDOR, what=what)
        error.args = (_redact(str(error), secrets),)
        return error
    if not isinstance(exc, api_errors()):
        return None
    status = int(getattr(exc, "status", 0) or 0)
    body = _body(exc)
    fields = body if isinstance(body, dict) else {}
    category = str(fields.get("category") or fields.get("errorType") or "")
    words = json_detail(body) if fields else str(body or getattr(exc, "reason", "") or "")
    detail = _redact(": ".join(part for part in (category, words) if part), secrets)
    if status == 0:
        return TransientSourceError(f"{source}: {VENDOR} {what} failed: {detail}", source=source)
    if status == 401 and category == "EXPIRED_AUTHENTICATION":
        return ExpiredToken(f"{source}: {VENDOR} answered 401 to {what} ({detail})", source=source)
    if status == 400 and what == TOKEN_EXCHANGE:
        oauth = str(fields.get("status") or "")
        return AuthError(
            f"{source}: {VENDOR} refused the OAuth refresh token ({oauth}: {detail}); "
            "check client_id, client_secret and refresh_token",
            source=source,
        )
    policy = str(fields.get("policyName") or "")
    error = error_for_status(
        status,
        source=source,
        vendor=VENDOR,
        where=what,
        detail=f"{detail} (policy {policy})" if policy else detail,
        wait=_wait(_headers(exc), policy) if status in (429, 503) else None,
    )
    return error
