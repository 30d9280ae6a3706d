"""A Mixpanel sandbox with a fixed clock in a project zone unlike the config's, and helpers that
compute expectations straight from the raw seeded events (plain Python, not the connector)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.mixpanel import MixpanelConnector, MixpanelSourceConfig
from connectors.mixpanel.data import Event, generate
from connectors.mixpanel.sandbox import MixpanelSandbox
from syncd.abc import ConnectorContext, RetryPolicy

SEED = 20261001
ZURICH = ZoneInfo("Europe/Zurich")  # the config's zone
PROJECT_ZONE = ZoneInfo("America/Los_Angeles")  # the Mixpanel project's
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
PROJECT_ID = 2195193
USER, SECRET = "syncd.test.mp-service-account", "mp-s3cr3t-secret"
RAW_EVENTS: tuple[Event, ...] = generate(SEED)


def make_sandbox(**options: Any) -> MixpanelSandbox:
    settings: dict[str, Any] = {
        "seed": SEED,
        "now": NOW,
        "project_id": PROJECT_ID,
        "username": USER,
        "secret": SECRET,
        "timezone": PROJECT_ZONE.key,
        "queries_per_hour": 100_000,
        "concurrency": 100,
    }
    return MixpanelSandbox(**(settings | options))


@pytest.fixture(scope="session")
def mixpanel_sandbox() -> Iterator[MixpanelSandbox]:
    with make_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[MixpanelSandbox]:
    """A sandbox of its own, for tests that arm faults or count requests."""
    with make_sandbox() as sandbox:
        yield sandbox


def fast_context() -> ConnectorContext:
    return ConnectorContext(
        source="product",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def source_config(url: str, **overrides: Any) -> MixpanelSourceConfig:
    raw = {
        "type": "mixpanel",
        "project_id": PROJECT_ID,
        "url": url,
        "username": USER,
        "secret": SECRET,
        "timezone": PROJECT_ZONE.key,
    }
    return MixpanelSourceConfig.model_validate(raw | overrides)


def connector_for(sandbox: MixpanelSandbox, **overrides: Any) -> MixpanelConnector:
    return MixpanelConnector(source_config(sandbox.url, **overrides), fast_context())


def happened(name: str, first: date, last: date, *, platform: str | None = None) -> list[Event]:
    """The raw events ``name`` on the project's local days ``first`` … ``last`` up to NOW."""
    return [
        e
        for e in RAW_EVENTS
        if e.name == name
        and e.time <= NOW
        and first <= e.time.astimezone(PROJECT_ZONE).date() <= last
        and (platform is None or e.properties["platform"] == platform)
    ]
