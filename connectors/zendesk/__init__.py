"""The ``zendesk`` source: support KRs (counts, backlog, CSAT, reply and resolution times)."""

from connectors.zendesk.config import ZendeskQuery, ZendeskSourceConfig
from connectors.zendesk.connector import ZendeskConnector

__all__ = ["ZendeskConnector", "ZendeskQuery", "ZendeskSourceConfig"]
