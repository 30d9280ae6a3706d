"""What a number in a spreadsheet means, shared by the ``sheets`` and ``excel`` connectors.

Both read the same three kinds of query (:class:`SpreadsheetQuery`): one cell, one named
range, or a sheet of dated rows. This package holds the query model, the A1 notation, the
serial-number dates and the row selection (``cells``); each connector is a thin I/O layer
that reads a :data:`~connectors.spreadsheet.cells.GridRead` into a
:class:`~connectors.spreadsheet.cells.Grid` its own way.
"""

from connectors.spreadsheet.cells import Grid, GridRead, answer, read_of
from connectors.spreadsheet.query import DatedRows, Pick, SpreadsheetQuery, spreadsheet_traits

__all__ = [
    "DatedRows",
    "Grid",
    "GridRead",
    "Pick",
    "SpreadsheetQuery",
    "answer",
    "read_of",
    "spreadsheet_traits",
]
