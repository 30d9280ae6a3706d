"""The ``salesforce`` source: SOQL through simple-salesforce, with a local TLS sandbox."""

from connectors.salesforce.config import SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesforceConnector", "SalesforceQuery", "SalesforceSourceConfig"]
