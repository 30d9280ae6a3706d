"""Settings of a ``quantive`` sink and where one KR's values go in Quantive."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, HttpUrl, SecretStr, field_validator

from syncd.abc import SinkConfig, TargetModel

OBJECT_ID = r"^[0-9a-fA-F]{24}$"
"""Quantive's ids (accounts, key results) are 24 hexadecimal digits."""


class QuantiveSinkConfig(SinkConfig):
    """One Quantive Results account: its API ``url``, its ``account_id`` and an API ``token``.

    ``url`` is the account's data centre with the ``/results`` prefix and without ``/api/v1``:
    ``https://app.quantive.com/results`` (EU, the default), ``https://app.us.quantive.com/results``
    (US; the docs also name ``as.`` and ``sa.`` hosts). Accounts still on the Gtmhub hosts use
    ``https://app.gtmhub.com`` or ``https://app.us.gtmhub.com`` (no ``/results``). The token is
    issued under Settings → API tokens, which also shows the account id.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["quantive"]
    url: HttpUrl = Field(
        HttpUrl("https://app.quantive.com/results"),
        description="the data centre's API root, e.g. https://app.us.quantive.com/results",
    )
    account_id: str = Field(
        pattern=OBJECT_ID, description="the account id (24 hex digits), sent as gtmhub-accountId"
    )
    token: SecretStr = Field(description="an API token (Settings → API tokens), sent as Bearer")
    timeout_seconds: float = Field(30.0, gt=0, description="per call")

    @property
    def base_url(self) -> str:
        """The API root without a trailing slash."""
        return str(self.url).rstrip("/")


class QuantiveTarget(TargetModel):
    """Where one KR's values go: the Quantive key result (``metric``, its 24-hex id, shown in
    the key result's URL)."""

    metric: str = Field(pattern=OBJECT_ID, description="the key result's id (24 hex digits)")

    @field_validator("metric")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()
