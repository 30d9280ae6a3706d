"""The ``matomo`` source: web-analytics KRs (visits, goals, events, any report) from Matomo."""

from connectors.matomo.config import MatomoQuery, MatomoSourceConfig
from connectors.matomo.connector import MatomoConnector

__all__ = ["MatomoConnector", "MatomoQuery", "MatomoSourceConfig"]
