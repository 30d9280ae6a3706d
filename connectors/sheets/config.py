"""Settings of a ``sheets`` source: one Google spreadsheet, and how syncd signs in to it."""

from __future__ import annotations

import builtins
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.google_auth import (
    AnonymousAuth,
    ApplicationDefaultAuth,
    ServiceAccountAuth,
    check_auth_choice,
    effective_auth,
    is_loopback_http,
)
from connectors.spreadsheet.a1 import check_column
from syncd.abc import SinkConfig, SourceConfig

__all__ = [
    "AnonymousAuth",
    "ApplicationDefaultAuth",
    "ServiceAccountAuth",
    "SheetsAuth",
    "SheetsSinkConfig",
    "SheetsSourceConfig",
    "is_loopback_http",
]

_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_URL_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


SheetsAuth = Annotated[
    ServiceAccountAuth | ApplicationDefaultAuth | AnonymousAuth,
    Field(discriminator="method"),
]
"""How a ``sheets`` source or sink signs in. With a service account, share the spreadsheet with
the account's ``client_email`` (Viewer for a source, Editor for a sink)."""


def spreadsheet_id(value: Any) -> Any:
    """A spreadsheet's id from its id or its URL; a ValueError naming the mistake."""
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


def api_endpoint(value: str | None) -> str | None:
    """An API endpoint override without its trailing slash; https, or http on loopback."""
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
        return spreadsheet_id(value)

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
        return api_endpoint(value)

    @model_validator(mode="after")
    def _auth_choice(self) -> SheetsSourceConfig:
        check_auth_choice(self.credentials, self.auth, self.endpoint)
        return self

    @builtins.property
    def effective_auth(self) -> SheetsAuth:
        """The auth settings with the shorthand and the default spelled out."""
        return effective_auth(self.credentials, self.auth)

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The spreadsheet's declared zone, else ``default`` (the config's)."""
        return ZoneInfo(self.timezone) if self.timezone else default


class SheetsSinkConfig(SinkConfig):
    """One Google spreadsheet syncd writes KR values to (``spreadsheets.values`` update and
    append), one row per KR in ``sheet``: see :mod:`connectors.spreadsheet.kr_rows` for the
    columns. The service account needs Editor access to the spreadsheet. Credentials as for
    the ``sheets`` source (``credentials`` shorthand, ``auth``, else application default)."""

    model_config = ConfigDict(hide_input_in_errors=True, populate_by_name=True)

    type: Literal["sheets"]
    spreadsheet: str = Field(
        validation_alias=AliasChoices("spreadsheet", "spreadsheet_id"),
        description="the spreadsheet's id, or its URL (https://docs.google.com/spreadsheets/d/…)",
    )
    sheet: str = Field(min_length=1, description="the sheet (tab) holding one row per KR")
    key_column: str = Field("A", description="the column of the KRs' keys; the others follow it")
    header_row: int = Field(
        1, ge=0, description="the row naming the columns (0: none); KR rows start below it"
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
        return spreadsheet_id(value)

    @field_validator("key_column")
    @classmethod
    def _column(cls, value: str) -> str:
        return check_column(value)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return api_endpoint(value)

    @model_validator(mode="after")
    def _auth_choice(self) -> SheetsSinkConfig:
        check_auth_choice(self.credentials, self.auth, self.endpoint)
        return self

    @builtins.property
    def effective_auth(self) -> SheetsAuth:
        """The auth settings with the shorthand and the default spelled out."""
        return effective_auth(self.credentials, self.auth)
