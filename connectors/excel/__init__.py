"""The ``excel`` source: KR numbers kept in an Excel workbook on a path or share (cells, named
ranges, dated rows), read with openpyxl; the same semantics as the ``sheets`` source."""

from connectors.excel.config import ExcelSourceConfig
from connectors.excel.connector import ExcelConnector

__all__ = ["ExcelConnector", "ExcelSourceConfig"]
