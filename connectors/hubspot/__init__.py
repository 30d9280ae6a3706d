"""The ``hubspot`` source: CRM searches (deals, contacts, companies, tickets) as KR numbers."""

from connectors.hubspot.config import HubSpotQuery, HubSpotSourceConfig, OAuthSettings, SearchFilter
from connectors.hubspot.connector import HubSpotConnector
from syncd.registry import require

# The SDK is imported on the first call; a missing one is still reported when the config loads.
require("hubspot-api-client")

__all__ = [
    "HubSpotConnector",
    "HubSpotQuery",
    "HubSpotSourceConfig",
    "OAuthSettings",
    "SearchFilter",
]
