"""Fake connectors for the config tests, and helpers to write and load config files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Literal

import pytest
from pydantic import SecretStr, field_validator

from syncd.abc import (
    CheckinSource,
    Connector,
    MetricRequest,
    QueryModel,
    RawValue,
    SourceConfig,
)
from syncd.config import LoadedConfig, load_config
from syncd.errors import ConfigError, ConfigIssue


class FakeConfig(SourceConfig):
    type: Literal["fake"]
    token: SecretStr
    retries: int = 3

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr) -> SecretStr:
        # Deliberately careless: echoes the value, as a third-party connector might.
        value = token.get_secret_value()
        if len(value) < 8:
            raise ValueError(f"token {value} is shorter than 8 characters")
        return token


class FakeQuery(QueryModel):
    count: str


class FakeConnector(Connector[FakeConfig, FakeQuery]):
    config_model = FakeConfig
    query_model = FakeQuery

    def fetch(self, request: MetricRequest[FakeQuery]) -> RawValue:
        return 0


class CheckinConfig(SourceConfig):
    type: Literal["checkin"]


class CheckinQuery(QueryModel):
    max: float | None = None


class CheckinConnector(CheckinSource[CheckinConfig, CheckinQuery]):
    config_model = CheckinConfig
    query_model = CheckinQuery


def write(directory: Path, name: str, text: str) -> Path:
    """Write dedented YAML; the first line of ``text`` after the opening newline is line 1."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


ENV = {"FAKE_TOKEN": "tok-0123456789"}


def load(path: Path, env: dict[str, str] | None = None) -> LoadedConfig:
    return load_config(path, environ=ENV if env is None else env)


def issues_of(path: Path, env: dict[str, str] | None = None) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load(path, env)
    return caught.value.issues


# A valid base: sources, a cycle, metrics and one balanced objective (lines counted in tests).
BASE = """
sources:
  crm: {type: fake, token: "${env:FAKE_TOKEN}"}
  survey: {type: checkin}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
metrics:
  deals: {source: crm, query: {count: deals}}
  leads: {source: crm, query: {count: leads}}
  nps: {source: survey, query: {max: 100}}
"""
