"""The sink conformance kit (syncd.testing.SinkConformance) run against the Excel sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.testing import SinkConformance


class TestExcelSinkConformance(SinkConformance):
    sink_name = "excel"
    secret_values = ()
    current_value_only = True  # one row per KR

    @pytest.fixture
    def target(self) -> dict[str, Any]:
        """A KR new to the workbook (its row is appended): the workbook's own rows hold a later
        day, which the sink never rolls back."""
        return {"row_key": "conformance-kr"}
