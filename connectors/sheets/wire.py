"""Google Sheets API v4 as syncd uses it: every path, parameter and field name in one place.

Checked against the Sheets API reference (spreadsheets.values.get, spreadsheets.get,
ValueRange, SpreadsheetProperties, DateTimeRenderOption, usage limits) and the discovery
document shipped in google-api-python-client (``discovery_cache/documents/sheets.v4.json``,
which the tests compare the sandbox with). Assumed, not published: the exact words of the
429 message (the status RESOURCE_EXHAUSTED is Google's documented code for quota errors).

The sink's writes, verified the same way (discovery document: methods, paths, parameters,
enums, schemas; reference pages developers.google.com/sheets/api/reference/rest/v4/
spreadsheets.values/update and /append):

- ``values.update``: ``PUT v4/spreadsheets/{spreadsheetId}/values/{range}``, query
  ``valueInputOption`` (``RAW``: stored as given, never parsed as a date or formula), body a
  ValueRange; answer an UpdateValuesResponse ``{spreadsheetId, updatedRange, updatedRows,
  updatedColumns, updatedCells}``.
- ``values.append``: ``POST v4/spreadsheets/{spreadsheetId}/values/{range}:append``, query
  ``valueInputOption`` and ``insertDataOption`` (``INSERT_ROWS``), body a ValueRange; appended
  "after the last row of the table" found in the range; answer an AppendValuesResponse
  ``{spreadsheetId, tableRange, updates: UpdateValuesResponse}``.
- Both need the scope ``…/auth/spreadsheets`` (or a Drive scope); ``values.get`` accepts it.

Assumed: exactly how Google detects "the table" in an append's range (the sandbox appends
below the last non-empty row of the range's columns); that ``updatedRange`` names the sheet
as the request did; the 403 words for a token without the write scope ("Request had
insufficient authentication scopes."); the 429 words for writes.
"""

from __future__ import annotations

from typing import Any

SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
"""The only OAuth scope the source asks for: reading spreadsheets."""
WRITE_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
"""The sink's scope: reading and writing the spreadsheets shared with the account."""

API_ROOT = "https://sheets.googleapis.com/"
VERSION = "v4"
VALUES_PATH = "/v4/spreadsheets/{spreadsheetId}/values/{range}"
METADATA_PATH = "/v4/spreadsheets/{spreadsheetId}"

VALUE_RENDER = "UNFORMATTED_VALUE"
"""Numbers as JSON numbers, text as strings, booleans as booleans, whatever the format."""
DATE_RENDER = "SERIAL_NUMBER"
"""Dates as days since 1899-12-30 (the default for unformatted values; sent explicitly)."""
MAJOR_DIMENSION = "ROWS"
METADATA_FIELDS = "properties(title,timeZone)"
"""A field mask: the spreadsheet's title and time zone, not its sheets or cells."""

# ValueRange: {"range": "Sheet1!A1:C3", "majorDimension": "ROWS", "values": [[…], …]};
# "values" is left out when every cell is empty, and each row's trailing empty cells too.
RANGE = "range"
VALUES = "values"
PROPERTIES = "properties"
TITLE = "title"
TIME_ZONE = "timeZone"

VALUE_INPUT = "RAW"
"""Written values are stored as sent: ``2026-12-20`` stays text, ``=1+1`` is not a formula."""
INSERT_DATA = "INSERT_ROWS"
"""An appended row is inserted, never written over what lies below the table."""

# UpdateValuesResponse, and AppendValuesResponse = {spreadsheetId, tableRange, updates}.
UPDATED_RANGE = "updatedRange"
UPDATES = "updates"

# Google's JSON error body: {"error": {"code": 429, "message": "…", "status": "RESOURCE_EXHAUSTED"}}
ERROR = "error"
ERROR_MESSAGE = "message"
ERROR_STATUS = "status"


def resources(service: Any) -> tuple[Any, Any]:
    """The client's ``spreadsheets`` and ``spreadsheets.values`` resources. Build them once:
    the client makes a new resource, with every method's documentation, on each access."""
    spreadsheets = service.spreadsheets()
    return spreadsheets, spreadsheets.values()


def values_get(values: Any, spreadsheet_id: str, a1_range: str) -> Any:
    """The client's request for the cells of ``a1_range`` (a range or a named range)."""
    return values.get(
        spreadsheetId=spreadsheet_id,
        range=a1_range,
        valueRenderOption=VALUE_RENDER,
        dateTimeRenderOption=DATE_RENDER,
        majorDimension=MAJOR_DIMENSION,
    )


def values_update(values: Any, spreadsheet_id: str, a1_range: str, row: list[Any]) -> Any:
    """The client's request writing ``row`` over the one-row ``a1_range``."""
    return values.update(
        spreadsheetId=spreadsheet_id,
        range=a1_range,
        valueInputOption=VALUE_INPUT,
        body={RANGE: a1_range, "majorDimension": MAJOR_DIMENSION, VALUES: [row]},
    )


def values_append(values: Any, spreadsheet_id: str, table_range: str, row: list[Any]) -> Any:
    """The client's request adding ``row`` below the table in ``table_range``."""
    return values.append(
        spreadsheetId=spreadsheet_id,
        range=table_range,
        valueInputOption=VALUE_INPUT,
        insertDataOption=INSERT_DATA,
        body={"majorDimension": MAJOR_DIMENSION, VALUES: [row]},
    )


def metadata_get(spreadsheets: Any, spreadsheet_id: str) -> Any:
    """The client's request for the spreadsheet's title and time zone."""
    return spreadsheets.get(spreadsheetId=spreadsheet_id, fields=METADATA_FIELDS)


def error_words(body: Any) -> str:
    """``STATUS: message`` from a Google JSON error body; "" when it is not one."""
    error = body.get(ERROR) if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    parts = [str(error[key]) for key in (ERROR_STATUS, ERROR_MESSAGE) if error.get(key)]
    return ": ".join(parts)
