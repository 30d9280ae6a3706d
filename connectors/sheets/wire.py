"""Google Sheets API v4 as syncd uses it: every path, parameter and field name in one place.

Checked against the Sheets API reference (spreadsheets.values.get, spreadsheets.get,
ValueRange, SpreadsheetProperties, DateTimeRenderOption, usage limits) and the discovery
document shipped in google-api-python-client (``discovery_cache/documents/sheets.v4.json``,
which the tests compare the sandbox with). Assumed, not published: the exact words of the
429 message (the status RESOURCE_EXHAUSTED is Google's documented code for quota errors).
"""

from __future__ import annotations

from typing import Any

SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
"""The only OAuth scope syncd asks for: reading spreadsheets."""

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
