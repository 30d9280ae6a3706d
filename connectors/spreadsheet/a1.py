"""A1 notation: ``Summary!B2``, ``'Q4 survey'!A2:C``, column letters and their numbers.

Google Sheets and Excel spell cell addresses alike: an optional sheet name (quoted with single
quotes when it holds anything but letters, digits and underscores, a quote doubled inside),
``!``, then column letters and a row number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COLUMN = re.compile(r"^[A-Z]{1,3}$")
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")
_BARE_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_COLUMN = 18_278  # ZZZ: both vendors stop well before it


def column_number(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """1 → ``A``, 27 → ``AA``."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def check_column(value: str) -> str:
    """``value`` as upper-case column letters; a ValueError naming the mistake otherwise."""
    letters = value.strip().upper()
    if not _COLUMN.match(letters):
        raise ValueError(f"{value!r} is not a column: give its letters, e.g. A or BC")
    return letters


def quote_sheet(sheet: str) -> str:
    """A sheet name as A1 notation needs it: bare when plain, else in single quotes."""
    if _BARE_SHEET.match(sheet) and not _CELL.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class CellRef:
    """One cell: its sheet (None: the first sheet), column number and row number."""

    sheet: str | None
    column: int
    row: int

    def __str__(self) -> str:
        cell = f"{column_letters(self.column)}{self.row}"
        return f"{quote_sheet(self.sheet)}!{cell}" if self.sheet is not None else cell


def split_sheet(text: str) -> tuple[str | None, str]:
    """``'My sheet'!B2`` → (``My sheet``, ``B2``); ``B2`` → (None, ``B2``)."""
    text = text.strip()
    if text.startswith("'"):
        closing = re.match(r"^'((?:[^']|'')+)'!(.*)$", text)
        if closing is None:
            raise ValueError(f"{text!r}: a quoted sheet name needs its closing quote and '!'")
        return closing.group(1).replace("''", "'"), closing.group(2)
    if "!" in text:
        sheet, _, rest = text.rpartition("!")
        if not sheet:
            raise ValueError(f"{text!r}: the sheet name before '!' is empty")
        return sheet, rest
    return None, text


def parse_cell(text: str) -> CellRef:
    """``Summary!B2`` as a :class:`CellRef`; a ValueError saying what is wrong."""
    sheet, cell = split_sheet(text)
    match = _CELL.match(cell)
    if match is None:
        raise ValueError(
            f"{text!r} is not one cell in A1 notation: write Sheet!B2 (quote a sheet name with "
            "spaces: 'Q4 survey'!B2)"
        )
    return CellRef(sheet, column_number(match.group(1)), int(match.group(2)))


def parse_range(text: str) -> tuple[CellRef, CellRef]:
    """``Summary!B2:C4`` → its top-left and bottom-right cells (the same cell twice for
    ``Summary!B2``). Only closed ranges, as a vendor reports them."""
    sheet, cells = split_sheet(text)
    first, _, last = cells.partition(":")
    start = parse_cell(first)
    end = parse_cell(last) if last else start
    return CellRef(sheet, start.column, start.row), CellRef(sheet, end.column, end.row)


def columns_range(sheet: str, first_column: int, last_column: int, first_row: int) -> str:
    """The open range of whole columns from ``first_row`` down: ``Survey!A2:C``."""
    return (
        f"{quote_sheet(sheet)}!{column_letters(first_column)}{first_row}:"
        f"{column_letters(last_column)}"
    )
