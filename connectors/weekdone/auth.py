"""Weekdone's OAuth tokens: exchanging a code or a refresh token, and keeping the current one.

Weekdone supports the authorization-code grant only: a person approves the app once in a
browser (``python -m connectors.weekdone.authorize``), and the refresh token from that exchange
lets the sink mint access tokens itself (``grant_type=refresh_token`` at the same endpoint).
Every token this module sees is registered with :func:`syncd.logs.register_secrets`, so it is
masked in every log line and error message even though it travels in the query string.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.weekdone import wire
from connectors.weekdone.config import WeekdoneSinkConfig
from syncd.errors import AuthError, QueryError
from syncd.http import RestClient, bad_body
from syncd.logs import register_secrets

# Refresh this long before the announced expiry, so a token never dies between read and write.
_EARLY_REFRESH_SECONDS = 60.0
REAUTHORIZE_HINT = "authorize again with `python -m connectors.weekdone.authorize`"


@dataclass(frozen=True)
class Grant:
    """What the token endpoint answered (``expires_in`` None when it did not say)."""

    access_token: str
    refresh_token: str | None = None
    expires_in: float | None = None


def code_form(client_id: str, client_secret: str, redirect_uri: str, code: str) -> dict[str, str]:
    """The token request trading an authorization code (the one-time step)."""
    return {
        wire.GRANT_TYPE: wire.GRANT_AUTHORIZATION_CODE,
        wire.TOKEN_CODE: code,
        wire.TOKEN_REDIRECT_URI: redirect_uri,
        wire.TOKEN_CLIENT_ID: client_id,
        wire.TOKEN_CLIENT_SECRET: client_secret,
    }


def refresh_form(client_id: str, client_secret: str, refresh_token: str) -> dict[str, str]:
    """The token request trading a refresh token for a new access token."""
    return {
        wire.GRANT_TYPE: wire.GRANT_REFRESH_TOKEN,
        wire.TOKEN_REFRESH_TOKEN: refresh_token,
        wire.TOKEN_CLIENT_ID: client_id,
        wire.TOKEN_CLIENT_SECRET: client_secret,
    }


def request_token(
    client: RestClient, form: Mapping[str, str], *, what: str, vendor: str = "Weekdone"
) -> Grant:
    """One call to the token endpoint. A refused grant or client (4xx) is an ``AuthError``
    telling how to authorize again; the tokens of the answer are registered as secrets."""
    try:
        body = client.post(wire.TOKEN_PATH, what=what, data=dict(form))
    except QueryError as error:
        raise AuthError(f"{error}; {REAUTHORIZE_HINT}", source=client.source) from None
    grant = parse_grant(body, source=client.source, vendor=vendor, what=what)
    register_secrets(value for value in (grant.access_token, grant.refresh_token) if value)
    return grant


def parse_grant(body: Any, *, source: str, vendor: str, what: str) -> Grant:
    """The token endpoint's JSON as a :class:`Grant`."""
    token = body.get(wire.GRANT_ACCESS_TOKEN) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise bad_body(source=source, vendor=vendor, what=what, problem="no access_token")
    refresh = body.get(wire.GRANT_REFRESH)
    expires = body.get(wire.GRANT_EXPIRES_IN)
    return Grant(
        access_token=token,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=float(expires) if isinstance(expires, int | float | str) and expires else None,
    )


class AccessTokens:
    """The sink's current access token, refreshed when it is about to expire or was refused.

    ``refresh`` trades a refresh token for a :class:`Grant` (one upstream call). A refresh token
    Weekdone rotates is kept in memory only: after a restart the configured one is used again.
    """

    def __init__(
        self,
        config: WeekdoneSinkConfig,
        refresh: Callable[[str], Grant],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refresh = refresh
        self._clock = clock
        self._token = config.access_token.get_secret_value() if config.access_token else None
        self._refresh_token = (
            config.refresh_token.get_secret_value() if config.refresh_token else None
        )
        self._expires_at: float | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def can_refresh(self) -> bool:
        return self._refresh_token is not None

    def current(self) -> str:
        """A token to call with: the one held, unless it is missing or about to expire."""
        with self._lock:
            if self._token is None or self._expiring():
                self._renew()
            assert self._token is not None
            return self._token

    def replace(self, refused: str) -> str:
        """A fresh token after Weekdone refused ``refused`` (once: when another thread already
        replaced it, that newer token is returned without a second exchange)."""
        with self._lock:
            if self._token == refused:
                self._renew()
            assert self._token is not None
            return self._token

    def _expiring(self) -> bool:
        return (
            self._expires_at is not None
            and self._clock() >= self._expires_at - _EARLY_REFRESH_SECONDS
        )

    def _renew(self) -> None:
        if self._refresh_token is None:
            raise AuthError(
                "Weekdone refused the configured access_token (expired or revoked); renew it, "
                f"or configure refresh_token: {REAUTHORIZE_HINT}"
            )
        grant = self._refresh(self._refresh_token)
        self._token = grant.access_token
        self._refresh_token = grant.refresh_token or self._refresh_token
        self._expires_at = None if grant.expires_in is None else self._clock() + grant.expires_in
        self.refreshes += 1
