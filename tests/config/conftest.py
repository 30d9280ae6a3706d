"""Registers the fake connectors of ``config_helpers`` for every config test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from config_helpers import CheckinConnector, FakeConnector

from syncd import registry


@pytest.fixture(autouse=True)
def fake_connectors() -> Iterator[None]:
    registry.register_connector("fake", FakeConnector, replace=True)
    registry.register_connector("checkin", CheckinConnector, replace=True)
    yield
    registry.unregister_connector("fake")
    registry.unregister_connector("checkin")
