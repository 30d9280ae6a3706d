"""Settings of a ``perdoo`` sink and where one KR's values go in Perdoo."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import ConfigDict, Field, HttpUrl, SecretStr

from connectors.perdoo import wire
from syncd.abc import SinkConfig, TargetModel


class PerdooSinkConfig(SinkConfig):
    """One Perdoo company, reached with a user's API token (Personal Settings › API Tokens;
    the commits are made in that user's name)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["perdoo"]
    url: HttpUrl = Field(
        HttpUrl(wire.DEFAULT_URL), description="the GraphQL endpoint (EU: the default)"
    )
    token: SecretStr = Field(description="a Perdoo API token, as a ${env:…} or ${file:…} reference")
    timeout_seconds: float = Field(30.0, gt=0, description="per call")

    @property
    def endpoint(self) -> str:
        """The GraphQL endpoint as configured (Perdoo's ends in a slash)."""
        return str(self.url)


class PerdooTarget(TargetModel):
    """A Perdoo key result, by its UUID (the last part of its address in Perdoo)."""

    key_result: UUID = Field(description="the key result's UUID")
