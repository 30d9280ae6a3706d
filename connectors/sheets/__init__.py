"""The ``sheets`` source: KR numbers kept in a Google spreadsheet (cells, named ranges, dated
rows), read with google-api-python-client."""

from connectors.sheets.config import SheetsSourceConfig
from connectors.sheets.connector import SheetsConnector

__all__ = ["SheetsConnector", "SheetsSourceConfig"]
