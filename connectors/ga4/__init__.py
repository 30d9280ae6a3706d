"""The ``ga4`` source: KR metrics from Google Analytics 4 through the Data API."""

from connectors.ga4.config import Ga4Query, Ga4SourceConfig
from connectors.ga4.connector import Ga4Connector

__all__ = ["Ga4Connector", "Ga4Query", "Ga4SourceConfig"]
