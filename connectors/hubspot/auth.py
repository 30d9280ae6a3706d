"""Access tokens: a private app's fixed token, or OAuth tokens syncd refreshes itself.

``hubspot-api-client`` never refreshes an OAuth token; syncd exchanges the refresh token at
``POST /oauth/v1/token`` before the access token expires, and once more when HubSpot reports it
expired (``EXPIRED_AUTHENTICATION``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connectors.hubspot.client import build_tokens_api
from connectors.hubspot.config import HubSpotSourceConfig
from connectors.hubspot.errors import CLIENT_ERRORS, classify
from syncd.abc import ConnectorContext
from syncd.errors import AuthError
from syncd.retry import call_upstream

# Refresh this long before the announced expiry, so a token never dies mid-paging.
_EARLY_REFRESH_SECONDS = 60.0


class AccessTokens:
    """The current access token of a source, refreshed when it is (about to be) stale."""

    def __init__(
        self,
        config: HubSpotSourceConfig,
        context: ConnectorContext,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.context = context
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
                self._refresh()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the access token: HubSpot said it expired."""
        with self._lock:
            self._token = None

    def _refresh(self) -> None:
        oauth = self.config.oauth
        assert oauth is not None and self._refresh_token is not None
        api = build_tokens_api(self.config.endpoint)
        refresh_token = self._refresh_token
        source = self.context.source

        def exchange() -> object:
            try:
                return api.create(
                    grant_type="refresh_token",
                    client_id=oauth.client_id,
                    client_secret=oauth.client_secret.get_secret_value(),
                    refresh_token=refresh_token,
                    _request_timeout=self.config.timeout_seconds,
                )
            except CLIENT_ERRORS as exc:
                raise classify(
                    exc, source=source, what="OAuth token refresh", secrets=self.secrets()
                ) from None

        try:
            answer = call_upstream(exchange, self.context, what="OAuth token refresh")
        finally:
            api.api_client.rest_client.pool_manager.clear()
        token = getattr(answer, "access_token", None)
        if not token:
            raise AuthError(f"{source}: the OAuth token endpoint returned no access token")
        self._token = str(token)
        self._expires_at = self._clock() + float(getattr(answer, "expires_in", 0) or 0)
        self._refresh_token = str(getattr(answer, "refresh_token", None) or refresh_token)
        self.refreshes += 1
