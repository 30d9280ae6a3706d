"""Settings of a ``zendesk`` source and the query model of its metrics."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator

from syncd.abc import QueryModel, SourceConfig

Measure = Literal[
    "count",
    "backlog",
    "solved_created_ratio",
    "csat",
    "first_reply_time",
    "full_resolution_time",
    "tickets",
]
_STAT = re.compile(r"^(median|mean|p(?:[1-9]|[1-9][0-9]))$")


class ZendeskSourceConfig(SourceConfig):
    """A Zendesk Support account: ``subdomain`` (``acme`` → https://acme.zendesk.com) or a
    full ``url`` (a proxy, a sandbox), with an API token (``email`` + ``token``) or an OAuth
    ``oauth_token``."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["zendesk"]
    subdomain: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="acme for https://acme.zendesk.com"
    )
    url: HttpUrl | None = Field(
        None, description="base URL instead of the subdomain, e.g. http://127.0.0.1:8704"
    )
    email: str | None = Field(None, description="the agent's email, with an API token")
    token: SecretStr | None = Field(None, description="API token (Admin Center → Apps and …)")
    oauth_token: SecretStr | None = Field(None, description="OAuth access token (bearer)")
    requests_per_minute: int = Field(
        200,
        gt=0,
        description="the plan's API budget (Team 200, Growth/Professional 400, Enterprise 700); "
        "syncd paces its own calls below it",
    )
    export_requests_per_minute: int = Field(
        10, gt=0, description="the incremental export's own limit (10 per minute at Zendesk)"
    )
    timeout_seconds: float = Field(30.0, gt=0, description="connect and read timeout per call")

    @model_validator(mode="after")
    def _one_address_one_auth(self) -> ZendeskSourceConfig:
        if (self.subdomain is None) == (self.url is None):
            raise ValueError("give either subdomain (acme) or url (https://…), not both or none")
        if self.oauth_token is not None:
            if self.token is not None:
                raise ValueError("give either token (with email) or oauth_token, not both")
        elif self.token is None or not self.email:
            raise ValueError("give email and token (API token), or oauth_token")
        return self

    @property
    def base_url(self) -> str:
        """Where the API lives, without a trailing slash."""
        if self.url is not None:
            return str(self.url).rstrip("/")
        return f"https://{self.subdomain}.zendesk.com"


class Where(BaseModel):
    """Ticket filters for the measures computed from the incremental export."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tags: tuple[str, ...] = Field((), description="every one of these tags")
    group_id: int | None = None
    brand_id: int | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None


class ZendeskQuery(QueryModel):
    """What one metric asks of Zendesk. ``measure`` picks the kind (default ``count``):

    - ``count``: tickets matching the Zendesk ``search`` whose ``by`` time (created, solved,
      updated) falls in the window; a snapshot window counts them now (search count API);
    - ``backlog``: tickets open or pending now (``search`` narrows it; snapshot windows only);
    - ``solved_created_ratio``: solved ÷ created in the window (two search counts);
    - ``csat``: share of good among the satisfaction ratings received in the window;
    - ``first_reply_time`` / ``full_resolution_time``: ``stat`` (median, mean, p90 …) of the
      tickets' minutes (``hours``: calendar or business) for tickets ``by`` created or solved
      in the window (ticket metrics, from the incremental export);
    - ``tickets``: tickets created in the window matching ``where`` (tag, group, brand,
      priority), or their ``share`` of all tickets created in it (incremental export).
    """

    measure: Measure = "count"
    search: str | None = Field(
        None, min_length=1, description="a Zendesk search, e.g. 'type:ticket tags:onboarding'"
    )
    by: Literal["created", "solved", "updated"] | None = Field(
        None, description="which time must fall in the window (default: created)"
    )
    stat: str = Field("median", description="median, mean or pNN (p90, p95 …)")
    hours: Literal["calendar", "business"] = "calendar"
    where: Where = Field(default_factory=Where)
    share: bool = Field(False, description="tickets: the share of all tickets, not a count")

    @model_validator(mode="after")
    def _fits_the_measure(self) -> ZendeskQuery:
        measure = self.measure
        if measure == "count" and self.search is None:
            raise ValueError("measure count needs a search, e.g. search: 'type:ticket tags:vip'")
        search_based = ("count", "backlog", "solved_created_ratio")
        if self.search is not None and measure not in search_based:
            raise ValueError(
                f"search applies to {', '.join(search_based)}; {measure} filters with where"
            )
        timed = ("count", "first_reply_time", "full_resolution_time")
        if self.by is not None and measure not in timed:
            raise ValueError(f"by applies to {', '.join(timed)}")
        if self.by == "updated" and measure != "count":
            raise ValueError("reply and resolution times go by created or solved")
        if not _STAT.match(self.stat):
            raise ValueError(f"stat {self.stat!r}: use median, mean or p1 … p99")
        times = ("first_reply_time", "full_resolution_time")
        if (self.stat != "median" or self.hours != "calendar") and measure not in times:
            raise ValueError("stat and hours apply to first_reply_time/full_resolution_time")
        if self.where != Where() and measure not in (
            "tickets",
            "first_reply_time",
            "full_resolution_time",
        ):
            raise ValueError("where applies to tickets and the time measures")
        if self.share and measure != "tickets":
            raise ValueError("share applies to measure tickets")
        return self
