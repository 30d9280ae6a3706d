"""The sink conformance kit (syncd.testing.SinkConformance) run against the JiraAlign sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from syncd.testing import SinkConformance
from tests.connectors.jiraalign.conftest import TOKEN


class TestJiraAlignSinkConformance(SinkConformance):
    sink_name = "jiraalign"
    secret_values = (TOKEN,)
