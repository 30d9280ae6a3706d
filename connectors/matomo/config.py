"""Settings of a ``matomo`` source and the query model of its metrics."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from connectors.matomo import wire
from syncd.abc import QueryModel, SourceConfig, ValueKind

Measure = Literal[
    "visits",
    "unique_visitors",
    "actions",
    "bounce_count",
    "bounce_rate",
    "conversions",
    "revenue",
    "events",
    "report",
]
EventColumn = Literal[
    "nb_events",
    "nb_visits",
    "nb_events_with_value",
    "sum_event_value",
    "avg_event_value",
    "min_event_value",
    "max_event_value",
]
RESERVED = frozenset(
    {"module", "method", "format", "format_metrics", "idsite", "period", "date", "segment"}
    | {"label", wire.TOKEN_PARAM.lower(), "urls", "filter_limit"}
)
"""Parameters syncd sets itself; a report's ``params`` may not override them."""


class MatomoSourceConfig(SourceConfig):
    """One website of a Matomo instance (self-hosted or Matomo Cloud): its ``url``, its
    ``site_id`` (idSite), its reporting ``site_timezone`` and an auth token (``token_auth``)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["matomo"]
    url: HttpUrl = Field(description="the instance, e.g. https://analytics.example.org")
    site_id: int = Field(ge=1, description="the website's idSite")
    site_timezone: str = Field(
        description="the website's time zone in Matomo (Administration → Websites → Manage), "
        "an IANA name such as Europe/Berlin: Matomo counts whole days in it"
    )
    token_auth: SecretStr = Field(
        description="an auth token (Administration → Personal → Security); sent in the POST body"
    )
    bulk_size: int = Field(
        20,
        ge=1,
        le=100,
        description="reports asked per API.getBulkRequest call (anonymous access allows 10)",
    )
    timeout_seconds: float = Field(
        120.0, gt=0, description="per call: Matomo archives a custom range on demand (slow)"
    )

    @field_validator("site_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: give an IANA name such as Europe/Berlin "
                "(for Matomo's UTC+2 style zones, Etc/GMT-2)"
            ) from None
        return value

    @property
    def base_url(self) -> str:
        """The instance's address without a trailing slash."""
        return str(self.url).rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)


class EventFilter(BaseModel):
    """Which events: one or two of ``category``, ``action``, ``name`` (Matomo's event reports
    have two levels; narrow further with a ``segment``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str | None = Field(None, min_length=1)
    action: str | None = Field(None, min_length=1)
    name: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_or_two(self) -> EventFilter:
        given = len(self.parts())
        if given == 0:
            raise ValueError("give the event's category, action or name (one or two of them)")
        if given == 3:
            raise ValueError(
                "Matomo's event reports have two levels: give two of category, action and "
                "name, and narrow by the third with a segment (e.g. eventName==Footer)"
            )
        return self

    def parts(self) -> list[tuple[str, str]]:
        """The given dimensions in report order: category, action, name."""
        return [
            (dimension, value)
            for dimension, value in (
                ("category", self.category),
                ("action", self.action),
                ("name", self.name),
            )
            if value is not None
        ]


class MatomoQuery(QueryModel):
    """What one metric asks of Matomo, over a ``period=range`` of the window's whole days in the
    site's time zone. ``measure`` picks the number (default ``visits``):

    - ``visits``, ``unique_visitors``, ``actions``, ``bounce_count``, ``bounce_rate`` (a share,
      Matomo's own rounding to two places): ``VisitsSummary.get``;
    - ``conversions``, ``revenue``: ``Goals.get`` of one ``goal`` (its id), or of all goals;
    - ``events``: ``event_metric`` (default ``nb_events``) of the events matching ``event``;
    - ``report``: the ``column`` of any report (``report: Module.method`` with its ``params``),
      the row ``label`` when the report has rows, declared as ``kind``.

    ``segment`` (Matomo's segment syntax, e.g. ``deviceType==smartphone``) applies to all.
    """

    measure: Measure = "visits"
    goal: int | None = Field(None, ge=1, description="conversions/revenue: the goal's id")
    event: EventFilter | None = None
    event_metric: EventColumn = "nb_events"
    report: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$", description="Module.method"
    )
    column: str | None = Field(None, min_length=1, description="report: the metric column")
    label: str | None = Field(None, min_length=1, description="report: the row's label")
    params: Annotated[
        tuple[tuple[str, str], ...],
        WithJsonSchema({"type": "object", "additionalProperties": {"type": ["string", "integer"]}}),
    ] = Field((), description="report: its own parameters, e.g. {idDimension: 3}")
    kind: ValueKind = Field(ValueKind.NUMBER, description="report: the kind of the column")
    segment: str | None = Field(None, min_length=1, description="e.g. deviceType==smartphone")

    @field_validator("params", mode="before")
    @classmethod
    def _params_from_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((str(key), str(item)) for key, item in value.items()))
        return value

    @model_validator(mode="after")
    def _fits_the_measure(self) -> MatomoQuery:
        measure = self.measure
        if self.goal is not None and measure not in ("conversions", "revenue"):
            raise ValueError("goal applies to measure conversions or revenue")
        if (self.event is None) == (measure == "events"):
            raise ValueError("measure events needs event: {category: …}; only it takes event")
        if self.event_metric != "nb_events" and measure != "events":
            raise ValueError("event_metric applies to measure events")
        report_only = {
            "column": self.column,
            "label": self.label,
            "params": self.params or None,
            "report": self.report,
        }
        if measure == "report":
            if self.report is None or self.column is None:
                raise ValueError("measure report needs report (Module.method) and column")
            clashing = sorted(k for k, _ in self.params if k.lower() in RESERVED)
            if clashing:
                raise ValueError(f"params may not set {', '.join(clashing)}: syncd sets them")
        else:
            given = sorted(k for k, v in report_only.items() if v is not None)
            if given:
                raise ValueError(f"{', '.join(given)} apply to measure report only")
            if self.kind is not ValueKind.NUMBER:
                raise ValueError("kind applies to measure report (the others know theirs)")
        return self
