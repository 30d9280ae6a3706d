"""The ``sheets`` source: KR numbers kept in a Google spreadsheet (cells, named ranges, dated
rows), read with google-api-python-client."""

from connectors.sheets.config import SheetsSourceConfig
from connectors.sheets.connector import SheetsConnector
from syncd.registry import require

# The client is imported on the first call; a missing one is still reported when the config loads.
for _package in ("google-api-python-client", "google-auth-httplib2", "google-auth"):
    require(_package)

__all__ = ["SheetsConnector", "SheetsSourceConfig"]
