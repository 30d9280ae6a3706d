"""Google credentials for a ``ga4`` source, from its ``auth`` settings."""

from __future__ import annotations

from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as user_credentials

from connectors.ga4.config import SCOPE, Ga4SourceConfig, OAuthRefreshTokenAuth
from connectors.google_auth import (
    AnonymousAuth,
    ApplicationDefaultAuth,
    application_default,
    service_account,
)


def build_credentials(config: Ga4SourceConfig, *, source: str) -> Credentials:
    """Credentials for the source; raises :class:`AuthError` (never echoing a secret)."""
    auth = config.effective_auth
    if isinstance(auth, AnonymousAuth):
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if isinstance(auth, ApplicationDefaultAuth):
        return application_default([SCOPE], source=source)
    if isinstance(auth, OAuthRefreshTokenAuth):
        return user_credentials.Credentials(  # type: ignore[no-untyped-call]
            None,
            refresh_token=auth.refresh_token.get_secret_value(),
            token_uri=auth.token_uri,
            client_id=auth.client_id,
            client_secret=auth.client_secret.get_secret_value(),
            scopes=[SCOPE],
        )
    return service_account(auth, [SCOPE], source=source)
