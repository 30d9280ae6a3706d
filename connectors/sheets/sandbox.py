"""A local Google Sheets API for tests and the demo: real HTTP, Google's wire shapes.

Endpoints, shapes as in the Sheets API v4 reference:

- ``GET /v4/spreadsheets/{id}/values/{range}``: a ValueRange ``{range, majorDimension,
  values}``; ``range`` in A1 notation (``Sheet!B2``, ``'Q4 survey'!A2:C``, ``A1``, a sheet
  name, a named range), the answer's ``range`` the whole block asked (open ends filled in
  from the sheet's size); each row's trailing empty cells and the trailing empty rows left
  out, ``values`` missing when nothing is left. ``valueRenderOption`` UNFORMATTED_VALUE sends
  numbers, text and booleans as JSON; FORMATTED_VALUE (the default) sends text.
  ``dateTimeRenderOption`` SERIAL_NUMBER (default) or FORMATTED_STRING for date columns.
- ``GET /v4/spreadsheets/{id}``: ``{spreadsheetId, properties{title, locale, timeZone…},
  sheets[], namedRanges[], spreadsheetUrl}``; ``fields=properties(…)`` keeps only those.
- ``PUT /v4/spreadsheets/{id}/values/{range}?valueInputOption=RAW|USER_ENTERED`` (values.update)
  with a ValueRange body: writes its rows from the range's top-left cell (a JSON null leaves a
  cell as it is, ``""`` empties it), answers an UpdateValuesResponse ``{spreadsheetId,
  updatedRange, updatedRows, updatedColumns, updatedCells}``; rows wider or longer than the
  range, or a body ``range`` other than the URL's, are 400 INVALID_ARGUMENT.
- ``POST /v4/spreadsheets/{id}/values/{range}:append?valueInputOption=…&insertDataOption=…``
  (values.append): the rows go below the last non-empty row of the range's columns (from the
  range's first row on), ``INSERT_ROWS`` shifting the rows below down; answers an
  AppendValuesResponse ``{spreadsheetId, tableRange, updates: {…UpdateValuesResponse}}``.
  Writes need a token with the scope ``…/auth/spreadsheets`` (a read-only token gets 403
  PERMISSION_DENIED) and count against ``writes_per_minute``. ``sandbox.received`` records
  every write applied (method, path, params, JSON body); ``USER_ENTERED`` is stored as RAW.
- ``POST /token``: the OAuth 2.0 token endpoint of a service account key (JWT bearer grant,
  RFC 7523), checking the assertion's signature, issuer, audience and scope; it answers
  ``{access_token, expires_in, token_type}`` or 400 ``{"error": "invalid_grant", …}``.

Every API call needs ``Authorization: Bearer`` with an issued token (unless ``anonymous``);
errors are Google's JSON ``{"error": {code, message, status}}``: 401 UNAUTHENTICATED, 403
PERMISSION_DENIED (``shared=False``: the spreadsheet is not shared with the account), 404
NOT_FOUND, 400 INVALID_ARGUMENT (a range that does not parse), and past ``reads_per_minute``
429 RESOURCE_EXHAUSTED. ``sandbox.revoke()`` forgets every issued token and stops accepting
the service account key (401, then ``invalid_grant`` at the token endpoint). Faults are armed
by path substring: ``sandbox.faults.add("/values/", status=503, times=2)``; ``status=200``
with a ``body`` string sends that page; ``truncate=True`` cuts the body short (a write is
applied first: its answer is what gets lost). ``sandbox.override("Summary!B2", "1e400")``
sends a raw value text for a cell. ``sandbox.requests`` logs every request.

Run it in the foreground with ``python -m connectors.sheets.sandbox --port 8706``; it writes a
service account key for itself (``--key-file``) whose ``token_uri`` points at it.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from connectors.sheets.data import EPOCH, SheetData, Value, Workbook, generate
from syncd.testing.sandbox import Faults, LocalServer

SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
WRITE_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
Json = dict[str, Any]

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
    "per user' of service 'sheets.googleapis.com' for consumer 'project_number:100000000001'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}
_WRITE_QUOTA = (
    "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per "
    "user' of service 'sheets.googleapis.com' for consumer 'project_number:100000000001'."
)
_NO_WRITE_SCOPE = "Request had insufficient authentication scopes."
_INPUT_OPTIONS = ("RAW", "USER_ENTERED")
_INSERT_OPTIONS = ("OVERWRITE", "INSERT_ROWS")
_RANGE = re.compile(
    r"^(?:(?:'(?P<quoted>(?:[^']|'')+)'|(?P<bare>[^!']+))!)?"
    r"(?P<c1>[A-Z]{1,3})(?P<r1>[0-9]+)?(?::(?P<c2>[A-Z]{1,3})(?P<r2>[0-9]+)?)?$"
)


def google_error(status: int, message: str | None = None) -> Json:
    """Google's JSON error body."""
    return {
        "error": {
            "code": status,
            "message": message or _MESSAGES.get(status, HTTPStatus(status).phrase),
            "status": _STATUS.get(status, "UNKNOWN"),
        }
    }


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _letters(number: int) -> str:
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


def _sheet_name(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


@dataclass
class RecordedRequest:
    """One request the sandbox received."""

    method: str
    path: str
    params: dict[str, str]
    authorization: str | None


@dataclass
class ReceivedWrite:
    """One write the sandbox applied: ``json`` is the request's ValueRange."""

    method: str
    path: str
    params: dict[str, str]
    json: Any


class _Raw(str):
    """A value token sent as it is (``1e400``, ``NaN``), not as a JSON string."""


class _MinuteBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._opened = float("-inf")
        self._used = 0

    def take(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._opened >= 60:
                self._opened, self._used = now, 0
            if self._used >= self.limit:
                return False
            self._used += 1
            return True


class SheetsSandbox(LocalServer):
    """The sandbox server over :func:`~connectors.sheets.data.generate`'s spreadsheet.

    ``now`` fixes its clock (rows dated after its day in the spreadsheet's zone are hidden);
    ``clock`` is a callable giving it instead. ``client_email`` and ``public_key_pem`` are the
    service account whose JWTs the token endpoint accepts (see :meth:`write_key`);
    ``anonymous`` lets requests without a token through.
    """

    thread_name = "sheets-sandbox"
    poll_interval = 0.1

    def __init__(
        self,
        *,
        seed: int = 20261001,
        host: str = "127.0.0.1",
        port: int = 0,
        now: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
        time_zone: str = "Europe/Zurich",
        client_email: str = "syncd-reader@syncd-sandbox.iam.gserviceaccount.com",
        public_key_pem: str | None = None,
        anonymous: bool = False,
        shared: bool = True,
        reads_per_minute: int = 60,
        writes_per_minute: int = 60,
        key_file: Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.workbook: Workbook = generate(seed, time_zone=time_zone)
        self.clock = clock or ((lambda: now) if now is not None else (lambda: datetime.now(UTC)))
        self.client_email = client_email
        self.public_key_pem = public_key_pem
        self.anonymous = anonymous
        self.shared = shared
        self.faults = Faults(default_status=500)
        self.requests: list[RecordedRequest] = []
        self.received: list[ReceivedWrite] = []
        self.overrides: dict[tuple[str, int, int], str] = {}
        self.key_file = key_file
        self._tokens: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._budget = _MinuteBudget(reads_per_minute)
        self._write_budget = _MinuteBudget(writes_per_minute)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(_Handler):
            owner = sandbox

        return Handler

    def start(self) -> str:
        url = super().start()
        if self.key_file is not None:
            self.write_key(self.key_file)
        return url

    # ---- credentials ------------------------------------------------------------------------

    def write_key(self, path: Path) -> Path:
        """Make a fresh service account key whose ``token_uri`` is this sandbox's token
        endpoint, accept its JWTs, and write its JSON to ``path`` (mode 600)."""
        info = self.service_account_info()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info, indent=2))
        path.chmod(0o600)
        return path

    def service_account_info(self) -> Json:
        """A fresh service account key (JSON fields of a Google key file) for this sandbox."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_key_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return {
            "type": "service_account",
            "project_id": "syncd-sandbox",
            "private_key_id": secrets.token_hex(20),
            "private_key": private,
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": f"{self.url}/auth",
            "token_uri": f"{self.url}/token",
        }

    def grant(self, form: dict[str, str]) -> tuple[int, Json]:
        """The token endpoint: a JWT bearer grant signed by the accepted key."""
        from google.auth import exceptions as auth_errors
        from google.auth import jwt

        if form.get("grant_type") != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant"}
        if self.public_key_pem is None:
            return 400, {"error": "invalid_grant", "error_description": "No key accepted."}
        try:
            claims = jwt.decode(  # type: ignore[no-untyped-call]
                form.get("assertion", ""),
                certs=self.public_key_pem,
                # google-auth always addresses the assertion to Google's token endpoint, even
                # when it posts it to the key's own token_uri.
                audience=[GOOGLE_TOKEN_AUDIENCE, f"{self.url}/token"],
            )
        except (auth_errors.GoogleAuthError, ValueError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("iss") != self.client_email:
            return 401, {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
        scopes = frozenset(str(claims.get("scope", "")).split()) & {SCOPE, WRITE_SCOPE}
        if not scopes:
            return 400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."}
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = scopes
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def authorized(self, authorization: str | None) -> bool:
        if authorization is None:
            return self.anonymous
        return self.scopes_of(authorization) is not None

    def scopes_of(self, authorization: str | None) -> frozenset[str] | None:
        """The scopes of the request's token (all of them when anonymous); None: no token."""
        if authorization is None:
            return frozenset({SCOPE, WRITE_SCOPE}) if self.anonymous else None
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            return self._tokens.get(token) if scheme.lower() == "bearer" else None

    def revoke(self) -> None:
        """Reject the current credentials from now on: issued tokens are forgotten, the
        service account key is no longer accepted, anonymous access ends."""
        with self._lock:
            self._tokens.clear()
            self.public_key_pem = None
            self.anonymous = False

    # ---- data --------------------------------------------------------------------------------

    def override(self, cell: str, raw: str) -> None:
        """Send ``raw`` (a value text such as ``1e400`` or ``NaN``) for ``cell``, e.g.
        ``Survey!C12``, until :meth:`clear_overrides`."""
        match = _RANGE.match(cell)
        if match is None or match.group("r1") is None:
            raise ValueError(f"{cell!r} is not one cell")
        sheet = (match.group("quoted") or "").replace("''", "'") or match.group("bare")
        key = (sheet, int(match.group("r1")), _column_number(match.group("c1")))
        with self._lock:
            self.overrides[key] = raw

    def clear_overrides(self) -> None:
        with self._lock:
            self.overrides.clear()

    def today(self) -> date:
        """The sandbox's day in the spreadsheet's zone."""
        return self.clock().astimezone(ZoneInfo(self.workbook.time_zone)).date()

    def visible(self, sheet: SheetData, row: int) -> bool:
        """Whether a row is filled in yet (dated rows appear on their day)."""
        if sheet.dated_by is None:
            return True
        when = sheet.cells.get((row, sheet.dated_by))
        if not isinstance(when, int | float) or isinstance(when, bool):
            return True
        return EPOCH + timedelta(days=int(when)) <= self.today()

    def value_at(self, sheet: SheetData, row: int, column: int) -> Value | _Raw:
        with self._lock:
            raw = self.overrides.get((sheet.title, row, column))
        if raw is not None:
            return _Raw(raw)
        if not self.visible(sheet, row):
            return None
        return sheet.cells.get((row, column))

    # ---- endpoints ---------------------------------------------------------------------------

    def route(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        form: dict[str, str],
        payload: Any = None,
    ) -> tuple[int, Json | str]:
        if method == "POST" and path == "/token":
            return self.grant(form)
        match = re.fullmatch(r"/v4/spreadsheets/([^/]+)(?:/values/(.+?)(:append)?)?", path)
        writes = {"PUT": False, "POST": True}
        if match is None or not (
            (method == "GET" and match.group(3) is None)
            or (method in writes and match.group(2) and writes[method] == bool(match.group(3)))
        ):
            return 404, google_error(404, f"Method not found: {method} {path}")
        if match.group(1) != self.workbook.spreadsheet_id:
            return 404, google_error(404)
        if not self.shared:
            return 403, google_error(403)
        if match.group(2) is None:
            return 200, self.metadata(params.get("fields"))
        a1 = unquote(match.group(2))
        if method == "GET":
            return self.values(a1, params)
        write = self.append if method == "POST" else self.update
        status, body = write(a1, params, payload)
        if status == 200:
            with self._lock:
                self.received.append(ReceivedWrite(method, path, dict(params), payload))
        return status, body

    # ---- writes ------------------------------------------------------------------------------

    def _rows_of(self, payload: Any, a1: str) -> list[list[Any]] | str:
        """The rows of a ValueRange body, or what is wrong with it."""
        if not isinstance(payload, dict):
            return "Invalid JSON payload received."
        if "range" in payload and payload["range"] != a1:
            return (
                f"Requested writing within range [{a1}], but tried writing to [{payload['range']}]"
            )
        if payload.get("majorDimension", "ROWS") != "ROWS":
            return "The sandbox takes majorDimension=ROWS only"
        rows = payload.get("values")
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            return "Invalid values: a list of rows is required"
        for row in rows:
            for value in row:
                if value is not None and not isinstance(value, int | float | str | bool):
                    return f"Invalid values: {json.dumps(value)} is not a bool, number or string"
        return rows

    def _input_problem(self, params: dict[str, str]) -> str | None:
        option = params.get("valueInputOption")
        if option is None:
            return "'valueInputOption' is required but not specified"
        if option not in _INPUT_OPTIONS:
            return f"Invalid valueInputOption: {option}"
        return None

    def _write(self, sheet: SheetData, top: int, left: int, rows: list[list[Any]]) -> Json:
        """Write ``rows`` from (top, left); the UpdateValuesResponse."""
        cells = 0
        width = max((len(row) for row in rows), default=0)
        with self._lock:
            for offset, row in enumerate(rows):
                for column, value in enumerate(row, start=left):
                    if value is None:
                        continue
                    cells += 1
                    if value == "":
                        sheet.cells.pop((top + offset, column), None)
                    else:
                        sheet.cells[(top + offset, column)] = value
            sheet.row_count = max(sheet.row_count, top + len(rows) - 1)
        name = f"{_sheet_name(sheet.title)}!{_letters(left)}{top}"
        if (len(rows), width) != (1, 1):
            name += f":{_letters(left + width - 1)}{top + len(rows) - 1}"
        return {
            "spreadsheetId": self.workbook.spreadsheet_id,
            "updatedRange": name,
            "updatedRows": len(rows),
            "updatedColumns": width,
            "updatedCells": cells,
        }

    def update(self, a1: str, params: dict[str, str], payload: Any) -> tuple[int, Json]:
        """values.update: the rows written from the range's top-left cell."""
        block = self._block(a1)
        problem = "Unable to parse range: " + a1 if block is None else self._input_problem(params)
        rows = self._rows_of(payload, a1)
        if isinstance(rows, str):
            problem = problem or rows
        if problem is not None or block is None or isinstance(rows, str):
            return 400, google_error(400, problem)
        sheet, r1, c1, r2, c2 = block
        if len(rows) > r2 - r1 + 1 or any(len(row) > c2 - c1 + 1 for row in rows):
            return 400, google_error(
                400, f"Requested writing within range [{a1}], but tried writing beyond it"
            )
        return 200, self._write(sheet, r1, c1, rows)

    def append(self, a1: str, params: dict[str, str], payload: Any) -> tuple[int, Json]:
        """values.append: the rows below the last non-empty row of the range's columns."""
        block = self._block(a1)
        problem = "Unable to parse range: " + a1 if block is None else self._input_problem(params)
        insert = params.get("insertDataOption", "OVERWRITE")
        if problem is None and insert not in _INSERT_OPTIONS:
            problem = f"Invalid insertDataOption: {insert}"
        rows = self._rows_of(payload, a1)
        if isinstance(rows, str):
            problem = problem or rows
        if problem is not None or block is None or isinstance(rows, str):
            return 400, google_error(400, problem)
        sheet, r1, c1, r2, c2 = block
        with self._lock:
            filled = [
                row for (row, column) in sheet.cells if r1 <= row <= r2 and c1 <= column <= c2
            ]
            last = max(filled, default=r1 - 1)
            below = last + 1
            if insert == "INSERT_ROWS":
                shift = len(rows)
                sheet.cells = {
                    (row + shift if row >= below else row, column): value
                    for (row, column), value in sheet.cells.items()
                }
                sheet.row_count += shift
        response: Json = {"spreadsheetId": self.workbook.spreadsheet_id}
        if filled:
            response["tableRange"] = (
                f"{_sheet_name(sheet.title)}!{_letters(c1)}{min(filled)}:{_letters(c2)}{last}"
            )
        response["updates"] = self._write(sheet, below, c1, rows)
        return 200, response

    def metadata(self, fields: str | None) -> Json:
        book = self.workbook
        sheet_ids = {sheet.title: sheet.sheet_id for sheet in book.sheets}
        properties = {
            "title": book.title,
            "locale": book.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": book.time_zone,
        }
        if fields and fields.startswith("properties"):
            wanted = re.findall(r"[A-Za-z]+", fields.removeprefix("properties"))
            return {
                "properties": {k: v for k, v in properties.items() if not wanted or k in wanted}
            }
        return {
            "spreadsheetId": book.spreadsheet_id,
            "properties": properties,
            "sheets": [
                {
                    "properties": {
                        "sheetId": sheet.sheet_id,
                        "title": sheet.title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {
                            "rowCount": sheet.row_count,
                            "columnCount": sheet.column_count,
                        },
                    }
                }
                for index, sheet in enumerate(book.sheets)
            ],
            "namedRanges": [
                {
                    "namedRangeId": f"nr{index}",
                    "name": name,
                    "range": {
                        "sheetId": sheet_ids[title],
                        "startRowIndex": r1 - 1,
                        "endRowIndex": r2,
                        "startColumnIndex": c1 - 1,
                        "endColumnIndex": c2,
                    },
                }
                for index, (name, (title, r1, c1, r2, c2)) in enumerate(book.named_ranges.items())
            ],
            "spreadsheetUrl": f"{self.url}/spreadsheets/d/{book.spreadsheet_id}/edit",
        }

    def _block(self, a1: str) -> tuple[SheetData, int, int, int, int] | None:
        """The sheet and block (first row, first column, last row, last column) ``a1`` names."""
        book = self.workbook
        if a1 in book.named_ranges:
            title, r1, c1, r2, c2 = book.named_ranges[a1]
            sheet = book.sheet(title)
            return (sheet, r1, c1, r2, c2) if sheet else None
        whole = book.sheet(a1[1:-1].replace("''", "'") if a1.startswith("'") else a1)
        if whole is not None:
            return whole, 1, 1, whole.row_count, whole.column_count
        match = _RANGE.match(a1)
        if match is None:
            return None
        title = (match.group("quoted") or "").replace("''", "'") or match.group("bare")
        sheet = book.sheet(title) if title else book.sheets[0]
        if sheet is None:
            return None
        c1 = _column_number(match.group("c1"))
        r1 = int(match.group("r1") or 1)
        c2 = _column_number(match.group("c2")) if match.group("c2") else c1
        r2 = (
            int(match.group("r2"))
            if match.group("r2")
            else (sheet.row_count if match.group("c2") or not match.group("r1") else r1)
        )
        if r1 < 1 or r2 < r1 or c2 < c1:
            return None
        return sheet, r1, c1, min(r2, sheet.row_count), min(c2, sheet.column_count)

    def values(self, a1: str, params: dict[str, str]) -> tuple[int, Json | str]:
        block = self._block(a1)
        if block is None:
            return 400, google_error(400, f"Unable to parse range: {a1}")
        if params.get("majorDimension", "ROWS") != "ROWS":
            return 400, google_error(400, "The sandbox answers majorDimension=ROWS only")
        sheet, r1, c1, r2, c2 = block
        unformatted = params.get("valueRenderOption", "FORMATTED_VALUE") != "FORMATTED_VALUE"
        dates_as_text = params.get("dateTimeRenderOption") == "FORMATTED_STRING"
        rows: list[list[Value | _Raw]] = []
        for row in range(r1, r2 + 1):
            cells = [self.value_at(sheet, row, column) for column in range(c1, c2 + 1)]
            cells = [
                self._render(value, column == sheet.dated_by, unformatted, dates_as_text)
                for column, value in zip(range(c1, c2 + 1), cells, strict=True)
            ]
            while cells and cells[-1] is None:
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        name = f"{_sheet_name(sheet.title)}!{_letters(c1)}{r1}"
        if (r1, c1) != (r2, c2):
            name += f":{_letters(c2)}{r2}"
        body: Json = {"range": name, "majorDimension": "ROWS"}
        if rows:
            body["values"] = [[None if v is None else v for v in row] for row in rows]
        return 200, _encode(body)

    @staticmethod
    def _render(
        value: Value | _Raw, is_date: bool, unformatted: bool, dates_as_text: bool
    ) -> Value | _Raw:
        if value is None or isinstance(value, _Raw):
            return value
        if is_date and isinstance(value, int | float) and not isinstance(value, bool):
            if dates_as_text or not unformatted:
                return (EPOCH + timedelta(days=int(value))).strftime("%-m/%-d/%Y")
            return value
        if unformatted:
            return value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_to(self, fragment: str) -> list[RecordedRequest]:
        """The logged requests whose path contains ``fragment``."""
        with self._lock:
            return [request for request in self.requests if fragment in request.path]


def _encode(body: Json) -> str:
    """``body`` as JSON, raw value tokens sent bare (an empty cell inside a row is ``""``)."""
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, _Raw):
            raws.append(str(value))
            return f"\x00raw{len(raws) - 1}\x00"
        return "" if value is None else value

    if "values" in body:
        body = {**body, "values": [[placeholder(v) for v in row] for row in body["values"]]}
    text = json.dumps(body)
    for index, raw in enumerate(raws):
        token = raw if _is_number_token(raw) else json.dumps(raw)
        text = text.replace(json.dumps(f"\x00raw{index}\x00"), token)
    return text


def _is_number_token(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    owner: SheetsSandbox
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``sandbox.requests``."""

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def _answer(self, method: str) -> None:
        sandbox = self.owner
        split = urlsplit(self.path)
        params = {key: values[-1] for key, values in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        form = {k: v[-1] for k, v in parse_qs(raw_body.decode("utf-8", "replace")).items()}
        payload: Any = None
        if split.path.startswith("/v4/") and raw_body:
            try:
                payload = json.loads(raw_body)
            except ValueError:
                payload = None
        authorization = self.headers.get("Authorization")
        sandbox.log(RecordedRequest(method, split.path, params, authorization))
        headers: dict[str, str] = {}
        fault = sandbox.faults.take(split.path, method)
        if fault is not None and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.status == 200 and isinstance(fault.body, str):
            self._send(200, fault.body, headers, content_type="text/html")
            return
        if fault is not None and fault.status is not None and fault.status != 200:
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            body = fault.body or google_error(fault.status, fault.message)
            self._send(fault.status, body, headers)
            return
        truncate = fault is not None and fault.truncate
        if split.path != "/token":
            if not sandbox.authorized(authorization):
                headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
                self._send(401, google_error(401), headers)
                return
            if method == "GET" and not sandbox._budget.take():
                self._send(429, google_error(429), headers)
                return
            if method != "GET":
                scopes = sandbox.scopes_of(authorization) or frozenset()
                if WRITE_SCOPE not in scopes:
                    self._send(403, google_error(403, _NO_WRITE_SCOPE), headers)
                    return
                if not sandbox._write_budget.take():
                    self._send(429, google_error(429, _WRITE_QUOTA), headers)
                    return
        status, answer = sandbox.route(method, split.path, params, form, payload)
        self._send(status, answer, headers, truncate=truncate)

    def _send(
        self,
        status: int,
        payload: Json | str,
        headers: dict[str, str],
        *,
        truncate: bool = False,
        content_type: str = "application/json",
    ) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", f"{content_type}; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)


def main(argv: list[str] | None = None) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local Google Sheets API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8706)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument(
        "--key-file",
        type=Path,
        default=Path("sheets-sandbox-key.json"),
        help="where to write the service account key it accepts",
    )
    parser.add_argument("--anonymous", action="store_true", help="accept requests without a token")
    args = parser.parse_args(argv)
    sandbox = SheetsSandbox(
        seed=args.seed,
        host=args.host,
        port=args.port,
        anonymous=args.anonymous,
        key_file=args.key_file,
    )
    url = sandbox.start()
    print(
        f"Google Sheets sandbox on {url}: spreadsheet {sandbox.workbook.spreadsheet_id}, "
        f"service account key in {args.key_file}",
        flush=True,
    )
    sandbox.serve_until_interrupted()


if __name__ == "__main__":
    main()
