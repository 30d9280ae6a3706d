"""The ``amplitude`` source: product-analytics KRs (event segmentation, saved charts)."""

from connectors.amplitude.config import AmplitudeQuery, AmplitudeSourceConfig
from connectors.amplitude.connector import AmplitudeConnector

__all__ = ["AmplitudeConnector", "AmplitudeQuery", "AmplitudeSourceConfig"]
