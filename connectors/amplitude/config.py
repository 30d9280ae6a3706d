"""Settings of an ``amplitude`` source and the query model of its metrics."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.amplitude import wire
from syncd.abc import QueryModel, SourceConfig

Measure = Literal["uniques", "totals", "sums", "average", "value_avg", "pct_dau", "formula"]
Operator = Literal[
    "is",
    "is not",
    "contains",
    "does not contain",
    "less",
    "less or equal",
    "greater",
    "greater or equal",
    "set is",
    "set is not",
]
PROPERTY_MEASURES = ("sums", "value_avg")


class AmplitudeSourceConfig(SourceConfig):
    """One Amplitude project: its API key and secret key (Basic auth), its data region (or a
    ``url``: a proxy, the sandbox) and its time zone, which the Dashboard REST API counts days
    in."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["amplitude"]
    api_key: SecretStr = Field(description="the project's API key (Settings → Projects)")
    secret_key: SecretStr = Field(description="the project's secret key")
    timezone: str = Field(
        description="the project's time zone as set in Amplitude (e.g. Europe/Zurich): the API "
        "counts whole days of this zone"
    )
    region: Literal["us", "eu"] = Field(
        "us", description="us: amplitude.com; eu: analytics.eu.amplitude.com (EU residency)"
    )
    url: str | None = Field(
        None,
        description="base URL instead of the region's (https://…, or a loopback "
        "http://127.0.0.1:PORT)",
    )
    cost_per_5_minutes: int = Field(
        wire.COST_PER_5_MINUTES,
        gt=0,
        description="the project's query-cost budget per five minutes; syncd spends below it",
    )
    cost_per_hour: int = Field(
        wire.COST_PER_HOUR, gt=0, description="the project's query-cost budget per hour"
    )
    timeout_seconds: float = Field(60.0, gt=0, description="connect and read timeout per call")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.path or parts.query:
            raise ValueError("give the URL without a path (syncd adds /api/2/…)")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("plain http is only allowed on a loopback address; use https")
        return value

    @property
    def base_url(self) -> str:
        """Where the API lives, without a trailing slash."""
        return self.url or wire.HOSTS[self.region]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _texts(value: Any) -> Any:
    """Filter values as the API takes them: strings (YAML may give 3 or true)."""
    if isinstance(value, list | tuple):
        return tuple(
            str(v).lower() if isinstance(v, bool) else str(v) if isinstance(v, int | float) else v
            for v in value
        )
    return value


class Filter(BaseModel):
    """A property filter on an event: ``property`` ``op`` one of ``values``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: str = Field(min_length=1, description="an event property, or gp:name of a user's")
    op: Operator = "is"
    values: tuple[str, ...] = Field(min_length=1)
    of: Literal["event", "user"] = Field("event", description="an event or a user property")

    values_as_texts = field_validator("values", mode="before")(_texts)


class Condition(BaseModel):
    """A segment condition on users: ``property`` ``op`` one of ``values`` (a cohort:
    ``property: userdata_cohort`` with the cohort id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: str = Field(min_length=1, description="country, platform, gp:plan, …")
    op: Operator = "is"
    values: tuple[str, ...] = Field(min_length=1)

    values_as_texts = field_validator("values", mode="before")(_texts)


class AmplitudeQuery(QueryModel):
    """What one metric asks of Amplitude: an event segmentation or a saved chart.

    Event segmentation over the window's whole days in the project's zone (one call):

    - ``event``: the event type (``_active``: any active event, ``_all``: any event), with
      ``where`` property filters and a user ``segment``;
    - ``measure``: ``uniques`` (users who did it, default), ``totals`` (times it was done),
      ``sums`` or ``value_avg`` of a numeric event ``property``, ``average`` (times per user),
      ``pct_dau`` (share of daily active users), or ``formula`` (e.g.
      ``UNIQUES(A)/UNIQUES(B)`` over ``event`` as A and ``second_event`` as B).

    Or ``chart``: a saved chart's id; its value over the chart's own saved range, read now
    (``series`` picks the chart's series, default the first).
    """

    event: str | None = Field(None, min_length=1, description="event type, e.g. 'Report Shared'")
    where: tuple[Filter, ...] = Field((), description="property filters on the event")
    measure: Measure = "uniques"
    property: str | None = Field(
        None, min_length=1, description="the numeric event property of sums and value_avg"
    )
    second_event: str | None = Field(None, min_length=1, description="event B of a formula")
    formula: str | None = Field(None, min_length=1, description="e.g. UNIQUES(A)/UNIQUES(B)")
    segment: tuple[Condition, ...] = Field((), description="only users matching all of these")
    chart: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]+$", description="a saved chart's id (from its URL)"
    )
    series: int = Field(0, ge=0, description="which of the chart's series (0: the first)")

    @model_validator(mode="after")
    def _fits(self) -> AmplitudeQuery:
        if self.chart is not None:
            asked = self.model_dump(exclude_defaults=True, exclude={"chart", "series"})
            if asked:
                raise ValueError(f"a chart query takes chart and series only, not {sorted(asked)}")
            return self
        if self.series:
            raise ValueError("series applies to chart queries")
        if self.event is None:
            raise ValueError("give an event (e.g. event: 'Report Shared') or a saved chart id")
        if (self.property is not None) != (self.measure in PROPERTY_MEASURES):
            raise ValueError("measures sums and value_avg need a property, and only they take one")
        if (self.formula is not None) != (self.measure == "formula"):
            raise ValueError("measure formula needs a formula, and only it takes one")
        if self.second_event is not None and self.measure != "formula":
            raise ValueError("second_event is event B of a formula")
        if self.formula is not None and "B)" in self.formula and self.second_event is None:
            raise ValueError("the formula reads event B: give second_event")
        return self
