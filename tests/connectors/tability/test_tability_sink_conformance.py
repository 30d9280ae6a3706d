"""The sink conformance kit (syncd.testing.SinkConformance) run against the Tability sink and
its sandbox (fixtures in this folder's conftest)."""

from __future__ import annotations

from syncd.testing import SinkConformance
from tests.connectors.tability.conftest import SECRET_VALUES


class TestTabilitySinkConformance(SinkConformance):
    sink_name = "tability"
    secret_values = SECRET_VALUES
    append_only = True  # the tool only adds check-ins
