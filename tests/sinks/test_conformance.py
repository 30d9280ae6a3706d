"""The sink conformance kit, run against the recording tool (tests/sinks/recording.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import ConnectorContext, RetryPolicy, Sink
from syncd.testing import SinkConformance
from tests.sinks.recording import TOKEN, RecordingConfig, RecordingSandbox, RecordingSink


@pytest.fixture
def sink_sandbox() -> Iterator[RecordingSandbox]:
    with RecordingSandbox({"g-1": "Signups"}) as sandbox:
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: RecordingSandbox) -> dict[str, Any]:
    return {"type": "recording", "url": sink_sandbox.url, "token": TOKEN}


@pytest.fixture
def target() -> dict[str, Any]:
    return {"goal": "g-1"}


@pytest.fixture
def unknown_target() -> dict[str, Any]:
    return {"goal": "no-such-goal"}


@pytest.fixture
def make_sink(sink_config: dict[str, Any]) -> Iterator[Callable[..., Sink[Any, Any]]]:
    made: list[Sink[Any, Any]] = []

    def make(**overrides: Any) -> Sink[Any, Any]:
        config = RecordingConfig.model_validate({**sink_config, **overrides})
        context = ConnectorContext(
            source="tool",
            timezone=ZoneInfo("Europe/Zurich"),
            limiter=RecordingSink.limiter_for(config),
            retry=RetryPolicy(initial_wait=0.01, max_wait=0.02, max_retry_after=5),
            sleep=lambda _seconds: None,
        )
        sink = RecordingSink(config, context)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(
    sink_sandbox: RecordingSandbox,
) -> Callable[[dict[str, Any]], list[tuple[date, float]]]:
    return lambda target: sink_sandbox.checkins(target["goal"])


@pytest.fixture
def revoke(sink_sandbox: RecordingSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke


class TestRecordingSinkConformance(SinkConformance):
    sink_name = "recording"
    secret_values = (TOKEN,)
