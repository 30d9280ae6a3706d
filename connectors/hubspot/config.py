"""Settings of a ``hubspot`` source and the query model of its metrics."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from syncd.abc import QueryModel, SourceConfig

ObjectType = Literal["deals", "contacts", "companies", "tickets"]
Operator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]
Aggregate = Literal["count", "sum", "avg", "min", "max"]
FilterValue = str | int | float | bool

# HubSpot's search limits (changelog of August 2024).
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25

PIPELINE_PROPERTIES: dict[str, tuple[str, str]] = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
}
"""The (pipeline, stage) properties of the object types that have pipelines."""


class OAuthSettings(BaseModel):
    """An OAuth app installed in the account: syncd refreshes its access token itself."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr


class HubSpotSourceConfig(SourceConfig):
    """A HubSpot account, reached with a private-app token or an OAuth refresh token."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["hubspot"]
    token: SecretStr | None = Field(None, description="private-app access token")
    oauth: OAuthSettings | None = Field(
        None, description="OAuth app: client_id, client_secret, refresh_token"
    )
    endpoint: str = Field(
        "https://api.hubapi.com",
        description="API base URL; override for a proxy or the local sandbox",
    )
    timeout_seconds: float = Field(30.0, gt=0, description="connect and read timeout per call")
    search_requests_per_second: float | None = Field(
        4.0,
        gt=0,
        description="space the source's calls below HubSpot's 5 searches per second per "
        "account (null: no pacing; a framework rate_limit, when set, replaces it)",
    )

    scan_max_pages: int = Field(
        10,
        ge=0,
        description="answer many requests over one object type from one shared search of at "
        "most this many pages of 200 records, evaluated locally, when that is fewer calls "
        "than a search each (0: always a search each)",
    )

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("endpoint must be an http(s) URL such as https://api.hubapi.com")
        return endpoint.rstrip("/")

    @model_validator(mode="after")
    def _one_credential(self) -> HubSpotSourceConfig:
        if (self.token is None) == (self.oauth is None):
            raise ValueError("give exactly one of 'token' (private app) or 'oauth'")
        return self


class SearchFilter(BaseModel):
    """One filter of a CRM search, as HubSpot defines it (values are sent as strings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: str = Field(min_length=1)
    operator: Operator = "EQ"
    value: FilterValue | None = None
    values: tuple[FilterValue, ...] | None = None
    high_value: FilterValue | None = None

    @model_validator(mode="after")
    def _operands_fit_the_operator(self) -> SearchFilter:
        op = self.operator
        given = {
            name
            for name, item in (
                ("value", self.value),
                ("values", self.values),
                ("high_value", self.high_value),
            )
            if item is not None
        }
        needed: set[str]
        if op in ("IN", "NOT_IN"):
            needed = {"values"}
        elif op == "BETWEEN":
            needed = {"value", "high_value"}
        elif op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            needed = set()
        else:
            needed = {"value"}
        if given != needed:
            wanted = " and ".join(sorted(needed)) or "no operand"
            raise ValueError(f"{op} on {self.property!r} takes {wanted}")
        if self.values is not None and not self.values:
            raise ValueError(f"{op} on {self.property!r} needs at least one value")
        return self

    def to_api(self) -> dict[str, Any]:
        """The filter as the search request's JSON."""
        out: dict[str, Any] = {"propertyName": self.property, "operator": self.operator}
        if self.value is not None:
            out["value"] = api_value(self.value)
        if self.high_value is not None:
            out["highValue"] = api_value(self.high_value)
        if self.values is not None:
            out["values"] = [api_value(item) for item in self.values]
        return out


def api_value(value: FilterValue) -> str:
    """A filter operand as HubSpot reads it: booleans lowercase, numbers in plain notation."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class HubSpotQuery(QueryModel):
    """A CRM search whose result is one number.

    ``filters`` apply to every record; ``any_of`` adds alternatives (filter groups, OR-ed).
    The request's window applies to ``date_property`` (start inclusive, end exclusive); a
    ``date_type: date`` property counts the whole UTC days the planner sets. Without
    ``date_property`` the search reads the records as they are now, so it is never asked for
    a past slot. ``pipeline`` and ``stages``
    take labels or ids. ``aggregate`` is ``count`` (HubSpot's ``total``, one call) or
    ``sum``/``avg``/``min``/``max`` of ``property`` over the records that have it.
    """

    object: ObjectType
    aggregate: Aggregate = "count"
    property: str | None = Field(None, description="the number property sum/avg/min/max read")
    date_property: str | None = Field(
        None, description="the property the KR window applies to, e.g. closedate or createdate"
    )
    date_type: Literal["datetime", "date"] = Field(
        "datetime",
        description="date: a date-only property (stored as UTC midnight); the query counts "
        "whole UTC days",
    )
    filters: tuple[SearchFilter, ...] = ()
    any_of: tuple[tuple[SearchFilter, ...], ...] = ()
    pipeline: str | None = Field(None, description="pipeline label or id (deals, tickets)")
    stages: tuple[str, ...] = Field((), description="stage labels or ids (deals, tickets)")

    @model_validator(mode="after")
    def _consistent(self) -> HubSpotQuery:
        if self.aggregate == "count" and self.property is not None:
            raise ValueError("'property' is only for sum, avg, min and max; count needs none")
        if self.aggregate != "count" and self.property is None:
            raise ValueError(f"aggregate {self.aggregate} needs 'property' (e.g. amount)")
        if (self.pipeline is not None or self.stages) and self.object not in PIPELINE_PROPERTIES:
            raise ValueError(f"{self.object} have no pipelines; use a filter instead")
        if any(not group for group in self.any_of):
            raise ValueError("every 'any_of' alternative needs at least one filter")
        groups = max(1, len(self.any_of))
        if groups > MAX_FILTER_GROUPS:
            raise ValueError(f"HubSpot allows at most {MAX_FILTER_GROUPS} alternatives (any_of)")
        added = self.implicit_filter_count()
        sizes = [len(self.filters) + len(g) + added for g in self.any_of] or [
            len(self.filters) + added
        ]
        if max(sizes) > MAX_FILTERS_PER_GROUP:
            raise ValueError(
                f"a filter group would hold {max(sizes)} filters (window, pipeline and stage "
                f"filters included); HubSpot allows {MAX_FILTERS_PER_GROUP}"
            )
        if sum(sizes) > MAX_FILTERS:
            raise ValueError(
                f"the search would hold {sum(sizes)} filters; HubSpot allows {MAX_FILTERS}"
            )
        return self

    def implicit_filter_count(self) -> int:
        """Filters syncd adds to each group: window bounds, pipeline, stages, HAS_PROPERTY."""
        return (
            (2 if self.date_property else 0)
            + (1 if self.pipeline is not None else 0)
            + (1 if self.stages else 0)
            + (1 if self.property is not None else 0)
        )
