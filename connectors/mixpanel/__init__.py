"""The ``mixpanel`` source: product-analytics KRs (event counts, uniques, sums, saved reports)."""

from connectors.mixpanel.config import MixpanelQuery, MixpanelSourceConfig
from connectors.mixpanel.connector import MixpanelConnector

__all__ = ["MixpanelConnector", "MixpanelQuery", "MixpanelSourceConfig"]
