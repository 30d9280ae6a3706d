"""Settings of a ``tability`` sink and where one KR's values go in Tability."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, HttpUrl, SecretStr

from connectors.tability import wire
from syncd.abc import SinkConfig, TargetModel

_IDENTIFIER = r"^[A-Za-z0-9_-]+$"
"""A UUID, a Nano ID or a workspace slug: it goes into a URL path as it is."""


class TabilitySinkConfig(SinkConfig):
    """One Tability workspace, written with one user's Personal API token.

    The workspace is the sink's, not each KR's: API access is enabled per user and workspace
    (Tability's authentication guide), so a token and the workspace it may write go together,
    ``check`` proves both at once, and a KR's mapping is just its outcome. Two workspaces are
    two sinks.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["tability"]
    url: HttpUrl = Field(
        HttpUrl(wire.BASE_URL), description="the API, https://api.tability.app (a sandbox in tests)"
    )
    token: SecretStr = Field(
        description="a Personal API token (tability.app/account), as a secret reference such "
        "as ${env:TABILITY_TOKEN}; its user needs API access to the workspace"
    )
    workspace: str = Field(
        min_length=1, pattern=_IDENTIFIER, description="the workspace's UUID or slug"
    )
    timeout_seconds: float = Field(30.0, gt=0, description="per call")

    @property
    def base_url(self) -> str:
        """The API's address without a trailing slash."""
        return str(self.url).rstrip("/")


class TabilityTarget(TargetModel):
    """Where one KR's values go: an outcome (Tability's key result), by UUID or Nano ID."""

    outcome: str = Field(
        min_length=1, pattern=_IDENTIFIER, description="the outcome's UUID or Nano ID"
    )
