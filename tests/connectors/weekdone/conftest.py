"""A Weekdone sandbox per test, and a sink built against it through real HTTP.

The fixture names are the ones every vendor sink's tests provide (the framework's conformance
kit uses them): ``sink_sandbox``, ``sink_config``, ``target``, ``make_sink``,
``tool_checkins``, ``revoke``. Weekdone keeps one value per key result and no date, so
``tool_checkins`` answers one entry: the day the sandbox last wrote the value, and the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.weekdone import WeekdoneSink, WeekdoneSinkConfig
from connectors.weekdone.sandbox import CLIENT_ID, CLIENT_SECRET, WeekdoneSandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
SEED = 20261201
WRITE_DAY = date(2026, 12, 4)
# The sandbox mints tokens in order: the fixture's pair is its first two.
ACCESS_TOKEN = f"wdsbx-access-{SEED}-000001"
REFRESH_TOKEN = f"wdsbx-refresh-{SEED}-000002"

sink_name = "weekdone"
secret_values = (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN)


def new_sandbox(**options: Any) -> WeekdoneSandbox:
    return WeekdoneSandbox(seed=SEED, today=lambda: WRITE_DAY, **options)


@pytest.fixture
def sink_sandbox() -> Iterator[WeekdoneSandbox]:
    with new_sandbox() as sandbox:
        assert sandbox.issue_tokens() == (ACCESS_TOKEN, REFRESH_TOKEN)
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: WeekdoneSandbox) -> dict[str, Any]:
    return {
        "type": "weekdone",
        "url": sink_sandbox.url,
        "auth_url": sink_sandbox.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }


@pytest.fixture
def target(sink_sandbox: WeekdoneSandbox) -> dict[str, int]:
    objective = min(sink_sandbox.objectives.values(), key=lambda o: o.id)
    return {"objective": objective.id, "result": min(objective.results)}


class Sleeps(list[float]):
    """The retry waits asked for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_sink(sink_config: dict[str, Any], sleeps: Sleeps) -> Iterator[Callable[..., WeekdoneSink]]:
    made: list[WeekdoneSink] = []

    def make(**overrides: Any) -> WeekdoneSink:
        raw = {k: v for k, v in (sink_config | overrides).items() if v is not None}
        config = WeekdoneSinkConfig.model_validate(raw)
        context = ConnectorContext(
            source="weekdone",
            timezone=ZURICH,
            retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.02, max_retry_after=5),
            limiter=WeekdoneSink.limiter_for(config),
            sleep=sleeps,
        )
        sink = WeekdoneSink(config, context)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(sink_sandbox: WeekdoneSandbox) -> Callable[[dict[str, int]], list]:
    def held(target: dict[str, int]) -> list[tuple[date, float]]:
        result = sink_sandbox.key_result(target["objective"], target["result"])
        return [(result.updated, result.progress)]

    return held


@pytest.fixture
def revoke(sink_sandbox: WeekdoneSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke
