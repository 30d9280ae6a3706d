"""The ``tability`` sink: measured KR values as check-ins of Tability outcomes (API v2)."""

from connectors.tability.config import TabilitySinkConfig, TabilityTarget
from connectors.tability.sink import TabilitySink

__all__ = ["TabilitySink", "TabilitySinkConfig", "TabilityTarget"]
