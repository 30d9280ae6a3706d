"""The sink conformance kit (syncd.testing.SinkConformance) run against the Sheets sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.testing import SinkConformance
from tests.connectors.sheets.conftest import sink_secret_values


class TestSheetsSinkConformance(SinkConformance):
    sink_name = "sheets"
    secret_values = sink_secret_values()
    current_value_only = True  # one row per KR

    @pytest.fixture
    def target(self) -> dict[str, Any]:
        """A KR new to the sheet (its row is appended): the sandbox's own rows hold a later
        day, which the sink never rolls back."""
        return {"row_key": "conformance-kr"}
