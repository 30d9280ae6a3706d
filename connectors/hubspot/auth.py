"""Access tokens: a private app's fixed token, or OAuth tokens syncd refreshes itself.

``hubspot-api-client`` never refreshes an OAuth token; syncd exchanges the refresh token at
``POST /oauth/v1/token`` before the access token expires, and once more when HubSpot reports it
expired (``EXPIRED_AUTHENTICATION``). The exchange itself is the connector's (an upstream call
like any other); this module only keeps the tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.hubspot.config import HubSpotSourceConfig

# Refresh this long before the announced expiry, so a token never dies mid-paging.
_EARLY_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Grant:
    """What the token endpoint answered."""

    access_token: str
    expires_in: float
    refresh_token: str | None = None


Exchange = Callable[[str], Grant]
"""Trades a refresh token for a :class:`Grant` (one upstream call)."""


class AccessTokens:
    """The current access token of a source, refreshed when it is (about to be) stale."""

    def __init__(
        self,
        config: HubSpotSourceConfig,
        exchange: Exchange,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._exchange = exchange
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_token = (
            config.oauth.refresh_token.get_secret_value() if config.oauth is not None else None
        )
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def can_refresh(self) -> bool:
        return self.config.oauth is not None

    def secrets(self) -> list[str]:
        """Every secret value in play, for redacting messages."""
        values = [self._token, self._refresh_token]
        if self.config.token is not None:
            values.append(self.config.token.get_secret_value())
        if self.config.oauth is not None:
            values.append(self.config.oauth.client_secret.get_secret_value())
        return [value for value in values if value]

    def current(self) -> str:
        """A valid access token, refreshing the OAuth one when needed."""
        if self.config.token is not None:
            return self.config.token.get_secret_value()
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - _EARLY_REFRESH_SECONDS:
                assert self._refresh_token is not None
                grant = self._exchange(self._refresh_token)
                self._token = grant.access_token
                self._expires_at = self._clock() + grant.expires_in
                self._refresh_token = grant.refresh_token or self._refresh_token
                self.refreshes += 1
            return self._token

    def invalidate(self) -> None:
        """Forget the access token: HubSpot said it expired."""
        with self._lock:
            self._token = None
