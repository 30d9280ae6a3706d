"""Google credentials for a ``sheets`` source or sink, from its ``auth`` settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.google_auth import (
    AnonymousAuth,
    ApplicationDefaultAuth,
    application_default,
    service_account,
)
from connectors.sheets.config import SheetsAuth

if TYPE_CHECKING:  # google-auth loads when a source is first read, not with the config
    from google.auth.credentials import Credentials


def build_credentials(
    auth: SheetsAuth, scopes: Sequence[str], *, source: str
) -> Credentials | None:
    """Credentials for ``scopes`` (None: anonymous, for a sandbox); raises
    :class:`~syncd.errors.AuthError` without echoing a secret."""
    if isinstance(auth, AnonymousAuth):
        return None
    if isinstance(auth, ApplicationDefaultAuth):
        return application_default(scopes, source=source, hint="give a service account key")
    return service_account(auth, scopes, source=source)
