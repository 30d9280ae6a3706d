"""Google credentials for a ``ga4`` source, from its ``auth`` settings."""

from __future__ import annotations

import json

import google.auth
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials, Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from connectors.ga4.config import (
    SCOPE,
    AnonymousAuth,
    ApplicationDefaultAuth,
    Ga4SourceConfig,
    OAuthRefreshTokenAuth,
    ServiceAccountAuth,
)
from syncd.errors import AuthError


def build_credentials(config: Ga4SourceConfig, *, source: str) -> Credentials:
    """Credentials for the source; raises :class:`AuthError` (never echoing a secret)."""
    auth = config.effective_auth
    if isinstance(auth, AnonymousAuth):
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if isinstance(auth, ApplicationDefaultAuth):
        try:
            credentials, _ = google.auth.default(scopes=[SCOPE])
        except auth_errors.DefaultCredentialsError as exc:
            raise AuthError(
                f"{source}: no application default credentials ({exc}); set "
                "GOOGLE_APPLICATION_CREDENTIALS or choose another auth method",
                source=source,
            ) from None
        return credentials
    if isinstance(auth, OAuthRefreshTokenAuth):
        return user_credentials.Credentials(  # type: ignore[no-untyped-call]
            None,
            refresh_token=auth.refresh_token.get_secret_value(),
            token_uri=auth.token_uri,
            client_id=auth.client_id,
            client_secret=auth.client_secret.get_secret_value(),
            scopes=[SCOPE],
        )
    return _service_account(auth, source)


def _service_account(auth: ServiceAccountAuth, source: str) -> Credentials:
    try:
        if auth.key_file is not None:
            return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call,no-any-return]
                str(auth.key_file), scopes=[SCOPE]
            )
        assert auth.key is not None
        info = json.loads(auth.key.get_secret_value())
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call,no-any-return]
            info, scopes=[SCOPE]
        )
    except FileNotFoundError:
        raise AuthError(
            f"{source}: the service account key file {auth.key_file} does not exist",
            source=source,
        ) from None
    except (ValueError, KeyError) as exc:
        # The exception text may quote the key; name only the kind of problem.
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise AuthError(
            f"{source}: the service account key is not a valid key JSON ({detail}); download a "
            "new JSON key for the service account",
            source=source,
        ) from None
