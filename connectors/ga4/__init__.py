"""The ``ga4`` source: KR metrics from Google Analytics 4 through the Data API."""

from connectors.ga4.config import Ga4Query, Ga4SourceConfig
from connectors.ga4.connector import Ga4Connector
from syncd.registry import require

# The SDK is imported on the first call; a missing one is still reported when the config loads.
require("google-analytics-data")

__all__ = ["Ga4Connector", "Ga4Query", "Ga4SourceConfig"]
