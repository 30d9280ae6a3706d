"""Mapping what the HubSpot client raises onto syncd's error tree.

Each API package of ``hubspot-api-client`` has its own ``ApiException`` (status, headers, body);
connection failures and truncated bodies surface as urllib3 errors, and a body that is not the
promised JSON as a ``ValueError`` from the client's deserialisation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3.exceptions
from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException
from hubspot.oauth.exceptions import ApiException as OAuthApiException

from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError

API_EXCEPTIONS: tuple[type[Exception], ...] = (
    ObjectsApiException,
    PipelinesApiException,
    OAuthApiException,
)

CLIENT_ERRORS: tuple[type[Exception], ...] = (
    *API_EXCEPTIONS,
    urllib3.exceptions.HTTPError,
    ValueError,
)
"""Everything a client call raises when the call (not syncd) failed."""

# Waits HubSpot implies by the policy it names when it sends no Retry-After.
_POLICY_WAIT = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}


class ExpiredToken(AuthError):
    """An OAuth access token expired: refreshing it (once) may fix the call."""


def _body(exc: Any) -> dict[str, Any]:
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _header(exc: Any, name: str) -> str | None:
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _seconds_to_utc_midnight(now: datetime | None = None) -> float:
    moment = now or datetime.now(UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - moment).total_seconds()


def _retry_after(exc: Any, policy: str | None) -> float | None:
    header = _header(exc, "Retry-After")
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    if policy == "DAILY":
        # The daily quota resets at midnight in the account's time zone, which we do not
        # know; UTC midnight is the right order of magnitude and stops retries at once.
        return _seconds_to_utc_midnight()
    return _POLICY_WAIT.get(policy or "")


def redact(message: str, secrets: list[str]) -> str:
    """``message`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


def classify(exc: BaseException, *, source: str, what: str, secrets: list[str]) -> SourceError:
    """The syncd error for a failed client call; the message names the call, never a secret."""
    if isinstance(exc, urllib3.exceptions.HTTPError):
        reason = redact(type(exc).__name__ + ": " + str(exc).split("\n")[0], secrets)
        return TransientSourceError(f"{source}: {what} failed: {reason}", source=source)
    if not isinstance(exc, API_EXCEPTIONS):
        return TransientSourceError(
            f"{source}: {what} returned an unreadable answer ({type(exc).__name__})",
            source=source,
        )
    status = int(getattr(exc, "status", 0) or 0)
    body = _body(exc)
    detail = redact(str(body.get("message") or getattr(exc, "reason", "") or ""), secrets)
    category = str(body.get("category") or body.get("errorType") or body.get("status") or "")
    text = f"{source}: {what}: HTTP {status} {category}: {detail}".rstrip(": ")
    if status == 0:
        return TransientSourceError(f"{source}: {what} failed: {detail}", source=source)
    if status == 401 and category == "EXPIRED_AUTHENTICATION":
        return ExpiredToken(text, source=source)
    if status in (401, 403):
        return AuthError(text, source=source)
    if status == 400 and what.startswith("OAuth"):
        return AuthError(text, source=source)
    if status == 429:
        policy = body.get("policyName")
        return RateLimited(
            f"{text} (policy {policy})" if policy else text,
            retry_after=_retry_after(exc, policy if isinstance(policy, str) else None),
            source=source,
        )
    if status >= 500 or status == 408:
        return TransientSourceError(text, source=source)
    return QueryError(text, source=source)
