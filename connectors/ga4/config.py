"""Settings of a ``ga4`` source (one Google Analytics 4 property) and its query model."""

from __future__ import annotations

import builtins
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.ga4.filters import to_filter_expression
from connectors.google_auth import (
    AnonymousAuth,
    ApplicationDefaultAuth,
    GoogleAuth,
    ServiceAccountAuth,
    check_auth_choice,
    effective_auth,
    is_loopback_http,
)
from syncd.abc import QueryModel, SourceConfig

SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
"""The only OAuth scope syncd asks for: reading reports."""

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_\-]+)?$")


class OAuthRefreshTokenAuth(GoogleAuth):
    """A user's OAuth refresh token, exchanged for access tokens at ``token_uri``."""

    method: Literal["oauth"]
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    token_uri: str = "https://oauth2.googleapis.com/token"


Ga4Auth = Annotated[
    ServiceAccountAuth | ApplicationDefaultAuth | OAuthRefreshTokenAuth | AnonymousAuth,
    Field(discriminator="method"),
]


def property_id(value: Any) -> Any:
    """``value`` as a bare numeric property id (``properties/`` prefix and ints accepted)."""
    text = str(value).strip() if isinstance(value, int | str) else value
    if isinstance(text, str):
        text = text.removeprefix("properties/")
        if not text.isdigit():
            raise ValueError(
                f"{value!r} is not a GA4 property id: use the number shown under Admin → "
                'Property details, e.g. "123456789"'
            )
    return text


class Ga4SourceConfig(SourceConfig):
    """One GA4 property read through the Data API (``google-analytics-data``).

    Credentials: ``auth`` picks the method; ``credentials`` is a shorthand for a service
    account key's JSON text; with neither, application default credentials are used.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["ga4"]
    property: str = Field(description='the numeric property id, e.g. "123456789"')
    credentials: SecretStr | None = Field(
        None, description="shorthand: a service account key's JSON text (use a reference)"
    )
    auth: Ga4Auth | None = None
    endpoint: str | None = Field(
        None,
        description="API endpoint override (proxy, sandbox): https://host[:port] or a loopback "
        "http://127.0.0.1:PORT",
    )
    timezone: str | None = Field(
        None,
        description="the property's reporting time zone (default: the config's); metrics count "
        "complete days of this zone",
    )
    timeout_seconds: float = Field(60.0, gt=0, description="per upstream call")
    quota_reserve_tokens: int = Field(
        4000,
        ge=0,
        description="hourly tokens kept in reserve (a standard property has 40,000 an hour): "
        "below it, calls are spaced out so the rest lasts the hour",
    )
    max_pace_seconds: float = Field(
        30.0, ge=0, description="the longest pause between two calls when pacing"
    )
    server_error_retries: int = Field(
        1,
        ge=0,
        le=5,
        description="5xx answers retried per property and hour: GA4 allows only 10 server "
        "errors per project and hour",
    )

    @field_validator("property", mode="before")
    @classmethod
    def _property_id(cls, value: Any) -> Any:
        return property_id(value)

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
            raise ValueError("give the endpoint without a path (the client adds /v1beta/…)")
        if parts.scheme == "http" and not is_loopback_http(value):
            raise ValueError("plain http is only allowed on a loopback address; use https")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _auth_choice(self) -> Ga4SourceConfig:
        check_auth_choice(self.credentials, self.auth, self.endpoint)
        return self

    @builtins.property
    def effective_auth(self) -> Ga4Auth:
        """The auth settings with the shorthand and the default spelled out."""
        return effective_auth(self.credentials, self.auth)


Aggregate = Literal["total", "minimum", "maximum", "count"]


class Ga4Query(QueryModel):
    """One number from a GA4 report.

    ``metric`` is a Data API name (``sessions``, ``keyEvents:booking_completed``, …). Without
    ``dimensions`` the value is the metric over the window; with them, ``aggregate`` folds
    the rows: ``total`` (GA4's own total, which de-duplicates users), ``minimum``,
    ``maximum``, or ``count`` (how many rows, e.g. distinct landing pages).
    """

    metric: str = Field(description="a GA4 Data API metric name, e.g. sessions")
    filter: dict[str, Any] | None = Field(
        None,
        description="dimension filter: {field: value}, {field: {in|contains|begins_with|"
        "ends_with|regex|partial_regex|gt|gte|lt|lte|between|empty: …}}, and/or/not",
    )
    dimensions: tuple[str, ...] = Field(
        (), max_length=9, description="break the metric down, then fold the rows (aggregate)"
    )
    aggregate: Aggregate = "total"
    property: str | None = Field(None, description="another property than the source's")

    def __hash__(self) -> int:
        # The filter is a mapping; the fingerprint is its stable, hashable digest.
        return hash(self.fingerprint())

    @field_validator("metric")
    @classmethod
    def _metric_name(cls, value: str) -> str:
        if not _API_NAME.match(value):
            raise ValueError(f"{value!r} is not a GA4 metric name (e.g. sessions, keyEvents:x)")
        return value

    @field_validator("dimensions")
    @classmethod
    def _dimension_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _API_NAME.match(name):
                raise ValueError(f"{name!r} is not a GA4 dimension name (e.g. landingPage)")
        if len(set(value)) != len(value):
            raise ValueError("a dimension is listed twice")
        return value

    @field_validator("filter")
    @classmethod
    def _filter_shape(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            to_filter_expression(value)
        return value

    @field_validator("property", mode="before")
    @classmethod
    def _property_id(cls, value: Any) -> Any:
        return None if value is None else property_id(value)
