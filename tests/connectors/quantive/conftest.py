"""The Quantive sandbox and the sink fixtures every vendor sink's tests provide (see the sink
conformance kit): ``sink_sandbox``, ``sink_config``, ``target``, ``make_sink``,
``tool_checkins`` and ``revoke``. Each test gets a sandbox of its own (its check-ins change)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.quantive import QuantiveSink, QuantiveSinkConfig
from connectors.quantive.sandbox import QuantiveSandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
TOKEN = "qv-s3cr3t-api-token-7f1d"
ACCOUNT = "65a1b2c3d4e5f60718293a4b"
SEED = 20261201


@pytest.fixture
def sink_sandbox() -> Iterator[QuantiveSandbox]:
    with QuantiveSandbox(seed=SEED, token=TOKEN, account_id=ACCOUNT) as sandbox:
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: QuantiveSandbox) -> dict[str, Any]:
    return {
        "type": "quantive",
        "url": sink_sandbox.api_url,
        "account_id": ACCOUNT,
        "token": TOKEN,
    }


@pytest.fixture
def target(sink_sandbox: QuantiveSandbox) -> dict[str, Any]:
    """The sandbox's first key result, which has no check-in yet."""
    return {"metric": sink_sandbox.metric_ids[0]}


def context_for(config: QuantiveSinkConfig) -> ConnectorContext:
    return ConnectorContext(
        source="quantive",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=5.0),
        limiter=QuantiveSink.limiter_for(config),
        sleep=lambda seconds: None,
    )


@pytest.fixture
def make_sink(sink_config: dict[str, Any]) -> Iterator[Callable[..., QuantiveSink]]:
    made: list[QuantiveSink] = []

    def make(**overrides: Any) -> QuantiveSink:
        config = QuantiveSinkConfig.model_validate(sink_config | overrides)
        sink = QuantiveSink(config, context_for(config))
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(
    sink_sandbox: QuantiveSandbox,
) -> Callable[[dict[str, Any]], list[tuple[date, float]]]:
    return lambda target: sink_sandbox.checkins(target["metric"], ZURICH)


@pytest.fixture
def revoke(sink_sandbox: QuantiveSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke
