"""The ``manual`` source: values analysts check in by hand (``syncd checkin``), never pulled."""

from connectors.manual.config import ManualQuery, ManualSourceConfig
from connectors.manual.connector import ManualConnector

__all__ = ["ManualConnector", "ManualQuery", "ManualSourceConfig"]
