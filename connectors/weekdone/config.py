"""Settings of a ``weekdone`` sink and the mapping of one KR to a Weekdone key result."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, HttpUrl, SecretStr, model_validator

from connectors.weekdone import wire
from syncd.abc import SinkConfig, TargetModel


class WeekdoneSinkConfig(SinkConfig):
    """A Weekdone company reached through an OAuth app (Company Settings → Applications).

    ``client_id``/``client_secret`` name the app; ``refresh_token`` (from ``python -m
    connectors.weekdone.authorize``, once) lets syncd mint access tokens itself. Without it, give
    ``access_token`` and renew it by hand when Weekdone stops accepting it. ``url`` and
    ``auth_url`` point elsewhere only for a sandbox.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["weekdone"]
    url: HttpUrl = Field(HttpUrl(wire.API_URL), description="the API, https://api.weekdone.com")
    auth_url: HttpUrl = Field(
        HttpUrl(wire.AUTH_URL), description="the OAuth endpoints' host, https://weekdone.com"
    )
    client_id: str = Field(min_length=1, description="the OAuth app's Client ID")
    client_secret: SecretStr = Field(description="the OAuth app's Client Secret")
    refresh_token: SecretStr | None = Field(
        None,
        description="from the one-time authorization (python -m connectors.weekdone.authorize)",
    )
    access_token: SecretStr | None = Field(
        None, description="a current access token; optional when refresh_token is given"
    )
    timeout_seconds: float = Field(30.0, gt=0, description="per call")

    @model_validator(mode="after")
    def _some_token(self) -> WeekdoneSinkConfig:
        if self.refresh_token is None and self.access_token is None:
            raise ValueError(
                "give refresh_token (run `python -m connectors.weekdone.authorize` once) "
                "or access_token"
            )
        return self

    @property
    def api_base(self) -> str:
        return str(self.url).rstrip("/")

    @property
    def auth_base(self) -> str:
        return str(self.auth_url).rstrip("/")

    def secret_values(self) -> list[str]:
        """Every secret the config holds, for redacting messages."""
        values = [self.client_secret, self.refresh_token, self.access_token]
        return [value.get_secret_value() for value in values if value is not None]


class WeekdoneTarget(TargetModel):
    """One key result: the numeric id of its ``objective`` and its own ``result`` id (both in
    the key result's URL in Weekdone, and in ``GET /1/objective``)."""

    objective: int = Field(ge=1, description="the objective's id")
    result: int = Field(ge=1, description="the key result's id within the objective")

    @property
    def remote_id(self) -> str:
        return f"{self.objective}/{self.result}"
