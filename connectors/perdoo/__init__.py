"""The ``perdoo`` sink: measured KR values as commits on Perdoo key results (GraphQL)."""

from connectors.perdoo.config import PerdooSinkConfig, PerdooTarget
from connectors.perdoo.sink import PerdooSink

__all__ = ["PerdooSink", "PerdooSinkConfig", "PerdooTarget"]
