"""Settings of a ``jiraalign`` sink and where one KR's values go in Jira Align."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, HttpUrl, SecretStr

from syncd.abc import SinkConfig, TargetModel


class JiraAlignSinkConfig(SinkConfig):
    """A Jira Align instance (``url``, e.g. ``https://acme.jiraalign.com``) and an API token of
    a user allowed to edit the mapped key results (Profile › API Token; write it as a secret
    reference, e.g. ``${env:JIRAALIGN_TOKEN}``)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["jiraalign"]
    url: HttpUrl = Field(description="the instance, e.g. https://acme.jiraalign.com")
    token: SecretStr = Field(description="a Jira Align API token, sent as a Bearer token")
    timeout_seconds: float = Field(30.0, gt=0, description="connect and read timeout per call")

    @property
    def base_url(self) -> str:
        """The instance's address without a trailing slash."""
        return str(self.url).rstrip("/")


class JiraAlignTarget(TargetModel):
    """One KR's key result in Jira Align: its numeric id (``key_result: 3627``)."""

    key_result: int = Field(ge=1, description="the key result's id in Jira Align")
