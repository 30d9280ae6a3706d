"""A Salesforce sandbox for the connector tests.

The ``sandbox`` fixture is shared by a module's tests (starting one costs a TLS certificate and
the record generation); tests that arm faults or change limits start their own with
``make_sandbox``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sf_support import TODAY, fast_context

from connectors.salesforce import SalesforceConnector, SalesforceSourceConfig
from connectors.salesforce.sandbox import SalesforceSandbox
from syncd.abc import ConnectorContext


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(today=TODAY) as running:
        yield running


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SalesforceSandbox]]:
    started: list[SalesforceSandbox] = []

    def make(**options: Any) -> SalesforceSandbox:
        started.append(SalesforceSandbox(today=TODAY, **options))
        started[-1].start()
        return started[-1]

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def connect() -> Iterator[Callable[..., SalesforceConnector]]:
    """``connect(raw_config, context=None)``: a connector closed at teardown."""
    made: list[SalesforceConnector] = []

    def make(raw: dict[str, Any], context: ConnectorContext | None = None) -> SalesforceConnector:
        config = SalesforceSourceConfig.model_validate(raw)
        made.append(SalesforceConnector(config, context or fast_context()))
        made[-1].quota.resume()
        return made[-1]

    yield make
    for connector in made:
        connector.close()
