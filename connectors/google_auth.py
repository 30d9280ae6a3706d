"""How every Google connector and sink signs in: the auth settings, the choice between them,
and the credentials they make.

A Google source or sink (``ga4``, ``sheets``) declares ``credentials`` (a shorthand for a
service account key's JSON text), ``auth`` (one of the models below, or a connector's own such
as GA4's OAuth refresh token) and ``endpoint``; :func:`check_auth_choice` and
:func:`effective_auth` are the one rule over them. google-auth loads only when credentials are
made, never with the config.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from syncd.errors import AuthError

if TYPE_CHECKING:  # google-auth loads when a source is first read, not with the config
    from google.auth.credentials import Credentials


class GoogleAuth(BaseModel):
    """Base of every Google auth method's settings (secrets never shown in errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


AuthT = TypeVar("AuthT", bound=GoogleAuth)


class ServiceAccountAuth(GoogleAuth):
    """A service account key: its JSON text (``key``, a ``${file:…}`` or ``${env:…}``
    reference) or the path of the JSON file (``key_file``). The key's ``token_uri`` is where
    syncd gets its access tokens."""

    method: Literal["service_account"]
    key: SecretStr | None = Field(None, description="the key's JSON text (use a reference)")
    key_file: Path | None = Field(None, description="path of the key's JSON file")

    @model_validator(mode="after")
    def _one_key(self) -> ServiceAccountAuth:
        if (self.key is None) == (self.key_file is None):
            raise ValueError("give exactly one of 'key' (the JSON text) or 'key_file' (its path)")
        return self


class ApplicationDefaultAuth(GoogleAuth):
    """Application default credentials: ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's login,
    or the metadata server of the machine syncd runs on."""

    method: Literal["application_default"]


class AnonymousAuth(GoogleAuth):
    """No credentials at all: only for a sandbox on a loopback ``http://`` endpoint."""

    method: Literal["anonymous"]


def is_loopback_http(endpoint: str) -> bool:
    """Whether ``endpoint`` is a plain-http URL on this machine (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def check_auth_choice(
    credentials: SecretStr | None, auth: GoogleAuth | None, endpoint: str | None
) -> None:
    """Refuse both ``credentials`` and ``auth``, and anonymous access anywhere but a loopback
    sandbox (``ValueError``, for a config model's validator)."""
    if credentials is not None and auth is not None:
        raise ValueError("give 'credentials' (service account JSON) or 'auth', not both")
    if isinstance(auth, AnonymousAuth) and not (endpoint and is_loopback_http(endpoint)):
        raise ValueError(
            "auth method 'anonymous' is only for a sandbox: set 'endpoint' to a loopback "
            "http://127.0.0.1:PORT"
        )


def effective_auth(
    credentials: SecretStr | None, auth: AuthT | None
) -> AuthT | ServiceAccountAuth | ApplicationDefaultAuth:
    """The auth settings with the shorthand and the default spelled out."""
    if credentials is not None:
        return ServiceAccountAuth(method="service_account", key=credentials)
    return auth or ApplicationDefaultAuth(method="application_default")


def application_default(
    scopes: Sequence[str], *, source: str, hint: str = "choose another auth method"
) -> Credentials:
    """Application default credentials for ``scopes``; :class:`AuthError` ending in ``hint``
    when there are none."""
    import google.auth
    from google.auth import exceptions as auth_errors

    try:
        credentials, _ = google.auth.default(scopes=list(scopes))
    except auth_errors.DefaultCredentialsError as exc:
        raise AuthError(
            f"{source}: no application default credentials ({exc}); set "
            f"GOOGLE_APPLICATION_CREDENTIALS or {hint}",
            source=source,
        ) from None
    return credentials


def service_account(auth: ServiceAccountAuth, scopes: Sequence[str], *, source: str) -> Credentials:
    """Service account credentials for ``scopes`` (tokens come from the key's own
    ``token_uri``); :class:`AuthError` without echoing the key when it cannot be loaded."""
    from google.oauth2 import service_account as accounts

    try:
        if auth.key_file is not None:
            return accounts.Credentials.from_service_account_file(  # type: ignore[no-untyped-call,no-any-return]
                str(auth.key_file), scopes=list(scopes)
            )
        assert auth.key is not None
        info = json.loads(auth.key.get_secret_value())
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        return accounts.Credentials.from_service_account_info(  # type: ignore[no-untyped-call,no-any-return]
            info, scopes=list(scopes)
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
