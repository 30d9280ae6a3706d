"""An Amplitude sandbox with a fixed clock, and expectations computed from its raw events.

The helpers here read ``sandbox.dataset.events`` (the seeded records) with plain Python: they
convert each instant to the project's zone themselves and count by hand, never through the
sandbox's or the connector's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.amplitude import AmplitudeConnector, AmplitudeSourceConfig
from connectors.amplitude.data import Event
from connectors.amplitude.sandbox import AmplitudeSandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
API_KEY, SECRET_KEY = "amp-k3y-0123456789", "amp-s3cr3t-9876543210"


def make_sandbox(**options: Any) -> AmplitudeSandbox:
    settings: dict[str, Any] = {"now": NOW, "api_key": API_KEY, "secret_key": SECRET_KEY}
    return AmplitudeSandbox(**(settings | options))


@pytest.fixture(scope="session")
def amplitude_sandbox() -> Iterator[AmplitudeSandbox]:
    with make_sandbox(cost_per_5_minutes=10**9, cost_per_hour=10**9) as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[AmplitudeSandbox]:
    """A sandbox of its own, for tests that arm faults, spend its budget or count requests."""
    with make_sandbox() as sandbox:
        yield sandbox


def fast_context(**retry: Any) -> ConnectorContext:
    policy = {"attempts": 3, "initial_wait": 0.01, "max_wait": 0.02, "max_retry_after": 2.0}
    return ConnectorContext(
        source="product", timezone=ZURICH, retry=RetryPolicy(**(policy | retry))
    )


def config_for(sandbox: AmplitudeSandbox, **overrides: Any) -> AmplitudeSourceConfig:
    raw = {
        "type": "amplitude",
        "url": sandbox.url,
        "api_key": API_KEY,
        "secret_key": SECRET_KEY,
        "timezone": sandbox.zone.key,
    }
    return AmplitudeSourceConfig.model_validate(raw | overrides)


def connector_for(
    sandbox: AmplitudeSandbox, context: ConnectorContext | None = None, **overrides: Any
) -> AmplitudeConnector:
    return AmplitudeConnector(config_for(sandbox, **overrides), context or fast_context())


def events_between(
    sandbox: AmplitudeSandbox,
    first: date,
    last: date,
    wanted: Callable[[Event], bool] = lambda e: True,
) -> list[Event]:
    """The raw events of the project-zone days ``first``..``last`` that exist at ``NOW``."""
    zone = sandbox.zone
    return [
        e
        for e in sandbox.dataset.events
        if e.time <= NOW and first <= e.time.astimezone(zone).date() <= last and wanted(e)
    ]


def of_type(name: str) -> Callable[[Event], bool]:
    return lambda e: e.type == name


def uniques(events: list[Event]) -> int:
    return len({e.user.id for e in events})
