"""The ``hubspot`` source: CRM searches (deals, contacts, companies, tickets) as KR numbers."""

from connectors.hubspot.config import HubSpotQuery, HubSpotSourceConfig, OAuthSettings, SearchFilter
from connectors.hubspot.connector import HubSpotConnector

__all__ = [
    "HubSpotConnector",
    "HubSpotQuery",
    "HubSpotSourceConfig",
    "OAuthSettings",
    "SearchFilter",
]
