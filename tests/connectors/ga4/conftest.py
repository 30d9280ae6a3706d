"""Fixtures of the GA4 tests: a sandbox per test and connectors against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ga4_helpers import PROPERTY, fast_context

from connectors.ga4 import Ga4Connector, Ga4SourceConfig
from connectors.ga4.quota import clear_pauses
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import ConnectorContext


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
