"""The Jira Align sink against its sandbox over real HTTP: the fixtures every sink's tests
provide (``sink_sandbox``, ``sink_config``, ``target``, ``make_sink``, ``tool_checkins``,
``revoke``) and a delivery maker with hand-written values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.jiraalign import JiraAlignSink, JiraAlignSinkConfig, JiraAlignTarget
from connectors.jiraalign.sandbox import JiraAlignSandbox
from syncd.abc import ConnectorContext, Delivery, RetryPolicy, Window

ZURICH = ZoneInfo("Europe/Zurich")
TOKEN = "user:4242|ja-s3cr3t/t0ken~xyz"
SEED = 20261201
DAY = date(2026, 12, 3)
NOTE = "product-db: weekly active teams, 2026-11-27..2026-12-03 (Europe/Zurich)"


@pytest.fixture
def sink_sandbox() -> Iterator[JiraAlignSandbox]:
    with JiraAlignSandbox(seed=SEED, token=TOKEN) as sandbox:
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: JiraAlignSandbox) -> dict[str, Any]:
    return {"type": "jiraalign", "url": sink_sandbox.url, "token": TOKEN}


@pytest.fixture
def target(sink_sandbox: JiraAlignSandbox) -> dict[str, Any]:
    return {"key_result": min(sink_sandbox.key_results)}


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the retries asked for (not slept: the tests stay fast)."""
    return []


@pytest.fixture
def make_sink(
    sink_config: dict[str, Any], sleeps: list[float]
) -> Iterator[Callable[..., JiraAlignSink]]:
    made: list[JiraAlignSink] = []

    def make(**overrides: Any) -> JiraAlignSink:
        config = JiraAlignSinkConfig.model_validate(sink_config | overrides)
        context = ConnectorContext(
            source="align",
            timezone=ZURICH,
            retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=5.0),
            limiter=JiraAlignSink.limiter_for(config),
            sleep=sleeps.append,
        )
        sink = JiraAlignSink(config, context)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(
    sink_sandbox: JiraAlignSandbox,
) -> Callable[[dict[str, Any]], list[tuple[date, float]]]:
    return lambda target: sink_sandbox.checkins(target["key_result"])


@pytest.fixture
def revoke(sink_sandbox: JiraAlignSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke


def delivery(
    target: dict[str, Any], value: float, day: date = DAY, note: str = NOTE
) -> Delivery[JiraAlignTarget]:
    """One measured value of the KR "weekly active teams" for ``day``."""
    end = datetime(day.year, day.month, day.day, tzinfo=ZURICH) + timedelta(days=1)
    return Delivery(
        kr_id="active-teams",
        kr_title="Raise weekly active teams to 120",
        target=JiraAlignTarget.model_validate(target),
        key=f"active-teams:{day.isoformat()}",
        value=value,
        unit="teams",
        day=day,
        window=Window(end - timedelta(days=7), end),
        measured_at=datetime(2026, 12, 4, 5, 0, tzinfo=UTC),
        source="product-db",
        status="on_track",
        note=note,
    )
