"""The sink conformance kit (syncd.testing.SinkConformance) run against the Perdoo sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from syncd.testing import SinkConformance
from tests.connectors.perdoo.conftest import TOKEN


class TestPerdooSinkConformance(SinkConformance):
    sink_name = "perdoo"
    secret_values = (TOKEN,)
