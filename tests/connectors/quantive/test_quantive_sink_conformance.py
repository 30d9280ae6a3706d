"""The sink conformance kit (syncd.testing.SinkConformance) run against the Quantive sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from syncd.testing import SinkConformance
from tests.connectors.quantive.conftest import TOKEN


class TestQuantiveSinkConformance(SinkConformance):
    sink_name = "quantive"
    secret_values = (TOKEN,)
    append_only = True  # the tool only adds check-ins
