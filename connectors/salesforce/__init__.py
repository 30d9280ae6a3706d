"""The ``salesforce`` source: SOQL through simple-salesforce, with a local TLS sandbox."""

from connectors.salesforce.config import SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.connector import SalesforceConnector
from syncd.registry import require

# The SDK is imported on the first call; a missing one is still reported when the config loads.
require("simple-salesforce")

__all__ = ["SalesforceConnector", "SalesforceQuery", "SalesforceSourceConfig"]
