"""A Tability sandbox and a sink pointed at it, under the fixture names every sink's tests use
(the framework's sink conformance kit reads them too).

The sandbox pages check-ins 10 at a time; its first outcome holds 23 seeded weekly check-ins
(three pages), its third none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.tability import TabilitySink, TabilitySinkConfig
from connectors.tability.sandbox import TabilitySandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
TOKEN = "tab-pat-9f3c2e71d0b84a56"
SINK_NAME = "tability"
SECRET_VALUES = (TOKEN,)


@pytest.fixture
def sink_sandbox() -> Iterator[TabilitySandbox]:
    with TabilitySandbox(seed=7, token=TOKEN, per_page=10) as sandbox:
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: TabilitySandbox) -> dict[str, Any]:
    return {
        "type": "tability",
        "url": sink_sandbox.url,
        "token": TOKEN,
        "workspace": sink_sandbox.workspace_slug,
    }


@pytest.fixture
def target(sink_sandbox: TabilitySandbox) -> dict[str, Any]:
    """The outcome with no check-in yet, by its Nano ID."""
    return {"outcome": sink_sandbox.outcomes[2].nano_slug}


@pytest.fixture
def sleeps() -> list[float]:
    """What the sink's retries waited, in seconds (nobody really sleeps)."""
    return []


def context_for(config: TabilitySinkConfig, sleeps: list[float]) -> ConnectorContext:
    return ConnectorContext(
        source=SINK_NAME,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.02, max_retry_after=5.0),
        limiter=TabilitySink.limiter_for(config),
        sleep=sleeps.append,
    )


@pytest.fixture
def make_sink(
    sink_config: dict[str, Any], sleeps: list[float]
) -> Iterator[Callable[..., TabilitySink]]:
    made: list[TabilitySink] = []

    def make(**overrides: Any) -> TabilitySink:
        config = TabilitySinkConfig.model_validate(sink_config | overrides)
        sink = TabilitySink(config, context_for(config, sleeps))
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(
    sink_sandbox: TabilitySandbox,
) -> Callable[[dict[str, Any]], list[tuple[date, float]]]:
    return lambda target: sink_sandbox.checkins_of(target["outcome"])


@pytest.fixture
def revoke(sink_sandbox: TabilitySandbox) -> Callable[[], None]:
    return sink_sandbox.revoke
