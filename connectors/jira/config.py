"""Settings of a ``jira`` source and the query model of its metrics."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, HttpUrl, SecretStr, field_validator, model_validator

from syncd.abc import QueryModel, SourceConfig

Deployment = Literal["cloud", "data_center"]
Measure = Literal["count", "sum", "avg", "duration"]
_STAT = re.compile(r"^(median|mean|p(?:[1-9]|[1-9][0-9]))$")
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


class JiraSourceConfig(SourceConfig):
    """A Jira site: Cloud (``email`` + ``api_token``) or Data Center (``token``, a personal
    access token). ``timezone`` is the Jira profile time zone of that account: JQL reads dates
    in it, so syncd counts whole days of that zone."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["jira"]
    url: HttpUrl = Field(
        description="the site, e.g. https://acme.atlassian.net or https://jira.acme.example"
    )
    email: str | None = Field(None, description="Cloud: the account's email, with api_token")
    api_token: SecretStr | None = Field(None, description="Cloud: an Atlassian API token")
    token: SecretStr | None = Field(None, description="Data Center: a personal access token")
    timezone: str | None = Field(
        None,
        description="the account's Jira profile time zone (default: the config's timezone)",
    )
    page_size: int = Field(
        100, ge=1, le=1000, description="issues per page when fields are read (sum, avg, duration)"
    )
    timeout_seconds: float = Field(30.0, gt=0, description="connect and read timeout per call")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Zurich") from None
        return value

    @model_validator(mode="after")
    def _one_auth(self) -> JiraSourceConfig:
        cloud = self.email is not None or self.api_token is not None
        if cloud and self.token is not None:
            raise ValueError("give email + api_token (Cloud) or token (Data Center), not both")
        if cloud and (not self.email or self.api_token is None):
            raise ValueError("Jira Cloud needs both email and api_token")
        if not cloud and self.token is None:
            raise ValueError("give email + api_token (Cloud) or token (Data Center PAT)")
        return self

    @property
    def deployment(self) -> Deployment:
        """Which Jira the credentials are for: Cloud takes an API token, Data Center a PAT."""
        return "data_center" if self.token is not None else "cloud"

    @property
    def base_url(self) -> str:
        return str(self.url).rstrip("/")

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The zone JQL dates are read in."""
        return ZoneInfo(self.timezone) if self.timezone else default


class JiraQuery(QueryModel):
    """What one metric asks of Jira: issues matching ``jql``, with ``by`` (a date field:
    created, resolved, updated, due, or a custom date field by id or name) in the window.
    Without ``by`` the query reads the present state (e.g. open bugs now).

    ``measure`` (default ``count``):

    - ``count``: how many issues (exact; ``exact: false`` lets Jira Cloud answer with its
      approximate count, one call; Data Center's count is always exact);
    - ``sum`` / ``avg``: of the numeric ``field`` (story points, a custom number field, by id
      or name); issues where it is empty are left out of ``avg``;
    - ``duration``: ``stat`` (median, mean, p85 …) of the time from ``from_field`` to
      ``to_field`` (default created → resolved: cycle time) in ``unit``, over the issues that
      have both dates.
    """

    jql: str = Field(min_length=1, description="JQL without ORDER BY, e.g. 'project = ABC'")
    by: str | None = Field(None, min_length=1, description="date field bound to the window")
    measure: Measure = "count"
    exact: bool = Field(True, description="count: false allows Cloud's approximate count")
    field: str | None = Field(None, min_length=1, description="sum/avg: the numeric field")
    from_field: str = Field("created", min_length=1, description="duration: the start date")
    to_field: str = Field("resolved", min_length=1, description="duration: the end date")
    stat: str = Field("median", description="duration: median, mean or pNN (p50 … p99)")
    unit: Literal["days", "hours"] = "days"

    @model_validator(mode="after")
    def _fits_the_measure(self) -> JiraQuery:
        if _ORDER_BY.search(self.jql):
            raise ValueError("jql: leave out ORDER BY (syncd adds the window to the query)")
        if self.measure in ("sum", "avg") and self.field is None:
            raise ValueError(f"measure {self.measure} needs field, e.g. field: Story Points")
        if self.field is not None and self.measure not in ("sum", "avg"):
            raise ValueError("field applies to measure sum or avg")
        if not self.exact and self.measure != "count":
            raise ValueError("exact applies to measure count")
        if not _STAT.match(self.stat):
            raise ValueError(f"stat {self.stat!r}: use median, mean or p1 … p99")
        timing = (self.from_field, self.to_field, self.stat, self.unit)
        if self.measure != "duration" and timing != ("created", "resolved", "median", "days"):
            raise ValueError("from_field, to_field, stat and unit apply to measure duration")
        return self
