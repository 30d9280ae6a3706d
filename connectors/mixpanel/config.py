"""Settings of a ``mixpanel`` source and the query model of its metrics."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, HttpUrl, SecretStr, field_validator, model_validator

from connectors.mixpanel.wire import HOSTS
from syncd.abc import QueryModel, SourceConfig

Measure = Literal["total", "unique", "sum", "report"]


class MixpanelSourceConfig(SourceConfig):
    """A Mixpanel project read through the Query API with a service account.

    ``timezone`` is the project's (Project Settings → Overview → Timezone): Mixpanel counts
    whole days of that zone, and syncd asks for exactly the days it means in it.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["mixpanel"]
    project_id: int = Field(gt=0, description="the project's id (Project Settings → Overview)")
    workspace_id: int | None = Field(
        None, gt=0, description="the global data view's id, for projects with data views"
    )
    region: Literal["us", "eu", "in"] = Field(
        "us", description="data residency: us (mixpanel.com), eu or in"
    )
    url: HttpUrl | None = Field(
        None, description="base URL instead of the region's host (a proxy, the sandbox)"
    )
    username: str = Field(min_length=1, description="the service account's username")
    secret: SecretStr = Field(description="the service account's secret")
    timezone: str = Field(description="the project's time zone, e.g. America/Los_Angeles")
    timeout_seconds: float = Field(60.0, gt=0, description="connect and read timeout per query")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @property
    def base_url(self) -> str:
        """Where the API lives, without a trailing slash."""
        if self.url is not None:
            return str(self.url).rstrip("/")
        return HOSTS[self.region]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class MixpanelQuery(QueryModel):
    """What one metric asks of Mixpanel. ``measure`` picks the kind (default ``total``):

    - ``total``: how many times ``event`` happened on the window's days (segmentation,
      type general);
    - ``unique``: how many distinct users did ``event`` on those days (segmentation, type
      unique, one bucket spanning the days);
    - ``sum``: the sum of the numeric ``property`` of ``event`` on those days
      (segmentation/sum);
    - ``report``: a saved Insights report (``bookmark_id``) as it stands now, over its own
      date range: the sum of its ``series`` (default: its only series).

    ``where`` filters the events with a Mixpanel segmentation expression, e.g.
    ``properties["platform"] == "ios"``.
    """

    measure: Measure = "total"
    event: str | None = Field(None, min_length=1, description="the event's name, e.g. Signed up")
    property: str | None = Field(None, min_length=1, description="sum: the numeric property")
    where: str | None = Field(None, min_length=1, description="a segmentation expression")
    bookmark_id: int | None = Field(None, gt=0, description="report: the Insights report's id")
    series: str | None = Field(None, min_length=1, description="report: which series to sum")

    @model_validator(mode="after")
    def _fits_the_measure(self) -> MixpanelQuery:
        if self.measure == "report":
            if self.bookmark_id is None:
                raise ValueError("measure report needs bookmark_id (the number in the report URL)")
            if self.event or self.property or self.where:
                raise ValueError(
                    "a report brings its own events and filters: drop event, property and where"
                )
            return self
        if self.event is None:
            raise ValueError(f"measure {self.measure} needs event, e.g. event: Signed up")
        if (self.property is None) == (self.measure == "sum"):
            raise ValueError("property applies to (and is needed by) measure sum")
        if self.bookmark_id is not None or self.series is not None:
            raise ValueError("bookmark_id and series apply to measure report")
        return self
