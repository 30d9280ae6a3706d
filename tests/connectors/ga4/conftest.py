"""A GA4 sandbox per test, connectors against it, and sums over its raw facts.

Expected values are computed here from ``sandbox.facts`` with plain Python, never through the
connector or the sandbox's report engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.ga4 import Ga4Connector, Ga4Query, Ga4SourceConfig
from connectors.ga4.data import DailyFact
from connectors.ga4.quota import clear_pauses
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import ConnectorContext, MetricRequest, RetryPolicy, Window

ZURICH = ZoneInfo("Europe/Zurich")
PROPERTY = "123456789"


def local(year: int, month: int, day: int, hour: int = 0, tz: ZoneInfo = ZURICH) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


def window(start: date, end: date, tz: ZoneInfo = ZURICH) -> Window:
    """Local midnight of ``start`` to local midnight of ``end`` (exclusive)."""
    return Window(
        local(start.year, start.month, start.day, tz=tz), local(end.year, end.month, end.day, tz=tz)
    )


def request(metric: str, win: Window, source: str = "web", **query: Any) -> MetricRequest:
    return MetricRequest(source, Ga4Query(metric=metric, **query), win)


def fast_context(source: str = "web", attempts: int = 3) -> ConnectorContext:
    return ConnectorContext(
        source=source,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=attempts, initial_wait=0.001, max_wait=0.01, max_retry_after=5),
    )


def facts_between(sandbox: Ga4Sandbox, first: date, last: date) -> list[DailyFact]:
    """Facts of the days ``first``..``last`` inclusive."""
    return [fact for fact in sandbox.facts if first <= fact.day <= last]


@pytest.fixture(autouse=True)
def _no_quota_pauses() -> Iterator[None]:
    clear_pauses()
    yield
    clear_pauses()


@pytest.fixture
def sandbox() -> Iterator[Ga4Sandbox]:
    with Ga4Sandbox() as running:
        yield running


MakeConnector = Callable[..., Ga4Connector]


@pytest.fixture
def make_connector(sandbox: Ga4Sandbox) -> Iterator[MakeConnector]:
    made: list[Ga4Connector] = []

    def make(context: ConnectorContext | None = None, **overrides: Any) -> Ga4Connector:
        raw = {
            "type": "ga4",
            "property": PROPERTY,
            "endpoint": sandbox.url,
            "auth": {"method": "anonymous"},
            **overrides,
        }
        connector = Ga4Connector(Ga4SourceConfig.model_validate(raw), context or fast_context())
        connector.sleep = lambda seconds: None
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
