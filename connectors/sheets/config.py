"""Settings of a ``sheets`` source: one Google spreadsheet, and how syncd signs in to it."""

from __future__ import annotations

import builtins
import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from syncd.abc import SourceConfig

_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_URL_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class ServiceAccountAuth(_Auth):
    """A service account key: its JSON text (``key``, a ``${file:…}`` or ``${env:…}``
    reference) or the path of the JSON file (``key_file``). Share the spreadsheet with the
    account's ``client_email`` (Viewer is enough). The key's ``token_uri`` is where syncd
    gets its access tokens."""

    method: Literal["service_account"]
    key: SecretStr | None = Field(None, description="the key's JSON text (use a reference)")
    key_file: Path | None = Field(None, description="path of the key's JSON file")

    @model_validator(mode="after")
    def _one_key(self) -> ServiceAccountAuth:
        if (self.key is None) == (self.key_file is None):
            raise ValueError("give exactly one of 'key' (the JSON text) or 'key_file' (its path)")
        return self


class ApplicationDefaultAuth(_Auth):
    """Application default credentials: ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's login,
    or the metadata server of the machine syncd runs on."""

    method: Literal["application_default"]


class AnonymousAuth(_Auth):
    """No credentials: only for a sandbox on a loopback ``http://`` endpoint."""

    method: Literal["anonymous"]


SheetsAuth = Annotated[
    ServiceAccountAuth | ApplicationDefaultAuth | AnonymousAuth,
    Field(discriminator="method"),
]


def is_loopback_http(endpoint: str) -> bool:
    """Whether ``endpoint`` is a plain-http URL on this machine."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class SheetsSourceConfig(SourceConfig):
    """One Google spreadsheet read through the Sheets API (``google-api-python-client``).

    ``timezone`` is the spreadsheet's own (File → Settings → Time zone): dated rows count whole
    days of it. syncd must know it before asking, so it is declared here (default: the
    config's zone) and ``syncd check-sources`` and the first dated read compare it with the
    spreadsheet's. Credentials: ``credentials`` is a shorthand for a service account key's JSON
    text; ``auth`` picks another method; with neither, application default credentials.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["sheets"]
    spreadsheet: str = Field(
        description="the spreadsheet's id, or its URL (https://docs.google.com/spreadsheets/d/…)"
    )
    timezone: str | None = Field(
        None, description="the spreadsheet's time zone (default: the config's), IANA name"
    )
    credentials: SecretStr | None = Field(
        None, description="shorthand: a service account key's JSON text (use a reference)"
    )
    auth: SheetsAuth | None = None
    endpoint: str | None = Field(
        None,
        description="API endpoint override (proxy, sandbox): https://host[:port] or a loopback "
        "http://127.0.0.1:PORT",
    )
    timeout_seconds: float = Field(30.0, gt=0, description="per upstream call")

    @field_validator("spreadsheet", mode="before")
    @classmethod
    def _spreadsheet_id(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if "://" in text:
            match = _URL_ID.search(text)
            if match is None:
                raise ValueError(f"{value!r} is not a spreadsheet URL (…/spreadsheets/d/ID/…)")
            text = match.group(1)
        if not _ID.match(text):
            raise ValueError(
                f"{value!r} is not a spreadsheet id: copy the part of its URL between /d/ and /edit"
            )
        return text

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.path or parts.query:
            raise ValueError("give the endpoint without a path (the client adds /v4/…)")
        if parts.scheme == "http" and not is_loopback_http(value):
            raise ValueError("plain http is only allowed on a loopback address; use https")
        return value

    @model_validator(mode="after")
    def _auth_choice(self) -> SheetsSourceConfig:
        if self.credentials is not None and self.auth is not None:
            raise ValueError("give 'credentials' (service account JSON) or 'auth', not both")
        if isinstance(self.auth, AnonymousAuth) and not (
            self.endpoint and is_loopback_http(self.endpoint)
        ):
            raise ValueError(
                "auth method 'anonymous' is only for a sandbox: set 'endpoint' to a loopback "
                "http://127.0.0.1:PORT"
            )
        return self

    @builtins.property
    def effective_auth(self) -> SheetsAuth:
        """The auth settings with the shorthand and the default spelled out."""
        if self.credentials is not None:
            return ServiceAccountAuth(method="service_account", key=self.credentials)
        return self.auth or ApplicationDefaultAuth(method="application_default")

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The spreadsheet's declared zone, else ``default`` (the config's)."""
        return ZoneInfo(self.timezone) if self.timezone else default
