"""The sink conformance kit (syncd.testing.SinkConformance) run against the Weekdone sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from syncd.testing import SinkConformance
from tests.connectors.weekdone.conftest import ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN


class TestWeekdoneSinkConformance(SinkConformance):
    sink_name = "weekdone"
    secret_values = (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN)
    current_value_only = True  # a key result's progress, no history by day
