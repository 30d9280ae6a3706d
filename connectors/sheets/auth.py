"""Google credentials for a ``sheets`` source, from its ``auth`` settings."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from connectors.sheets.config import (
    AnonymousAuth,
    ApplicationDefaultAuth,
    ServiceAccountAuth,
    SheetsSourceConfig,
)
from connectors.sheets.wire import SCOPE
from syncd.errors import AuthError

if TYPE_CHECKING:  # google-auth loads when a source is first read, not with the config
    from google.auth.credentials import Credentials


def build_credentials(config: SheetsSourceConfig, *, source: str) -> Credentials | None:
    """The source's credentials (None: anonymous, for a sandbox); raises :class:`AuthError`
    without echoing a secret."""
    auth = config.effective_auth
    if isinstance(auth, AnonymousAuth):
        return None
    if isinstance(auth, ApplicationDefaultAuth):
        import google.auth
        from google.auth import exceptions as auth_errors

        try:
            credentials, _ = google.auth.default(scopes=[SCOPE])
        except auth_errors.DefaultCredentialsError as exc:
            raise AuthError(
                f"{source}: no application default credentials ({exc}); set "
                "GOOGLE_APPLICATION_CREDENTIALS or give a service account key",
                source=source,
            ) from None
        return credentials
    return _service_account(auth, source)


def _service_account(auth: ServiceAccountAuth, source: str) -> Credentials:
    """Service account credentials; tokens come from the key's own ``token_uri``."""
    from google.oauth2 import service_account

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
        # The exception's text may quote the key: name only the kind of problem.
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise AuthError(
            f"{source}: the service account key is not a valid key JSON ({detail}); download a "
            "new JSON key for the service account",
            source=source,
        ) from None
