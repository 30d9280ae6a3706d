"""From cells to one number: the spreadsheet semantics both I/O layers share.

A connector turns a query into a :data:`GridRead` (:func:`read_of`), reads that block of cells
its own way into a :class:`Grid`, and :func:`answer` picks the number: one cell's value as the
vendor sent it, the row of a date, or the sum of the rows of the window's days. An empty cell,
text, a boolean or a date where a number belongs fails that request with the cell's address.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from connectors.spreadsheet.a1 import (
    CellRef,
    column_number,
    columns_range,
    parse_cell,
    quote_sheet,
)
from connectors.spreadsheet.query import DatedRows, SpreadsheetQuery
from syncd.abc import DaySpan, RawValue
from syncd.errors import QueryError

Cell = int | float | str | bool | datetime | date | None
"""A cell's unformatted value as a vendor gives it: a number, text, a boolean, nothing, or
(openpyxl, for a cell formatted as a date) a date."""

SHEETS_EPOCH = date(1899, 12, 30)
"""Day 0 of serial-number dates in Google Sheets and Excel's 1900 date system."""


@dataclass(frozen=True)
class CellRead:
    """Read one cell."""

    cell: CellRef

    def __str__(self) -> str:
        return str(self.cell)


@dataclass(frozen=True)
class NamedRead:
    """Read the cells of a named range."""

    name: str

    def __str__(self) -> str:
        return f"the named range {self.name}"


@dataclass(frozen=True)
class ColumnsRead:
    """Read whole columns of a sheet from a row down."""

    sheet: str
    first_column: int
    last_column: int
    first_row: int

    def __str__(self) -> str:
        return columns_range(self.sheet, self.first_column, self.last_column, self.first_row)


GridRead = CellRead | NamedRead | ColumnsRead


@dataclass(frozen=True)
class Grid:
    """A block of cells: ``rows[i][j]`` is the cell at row ``top + i``, column ``left + j``.
    Rows may be shorter than the block (empty trailing cells left out, as Sheets sends them);
    ``height``/``width`` give the block's full size when the vendor reports it."""

    sheet: str | None
    top: int
    left: int
    rows: Sequence[Sequence[Cell]]
    height: int | None = None
    width: int | None = None

    def at(self, row: int, column: int) -> Cell:
        """The cell at ``row``, ``column`` (sheet numbers); None when empty or outside."""
        i, j = row - self.top, column - self.left
        if 0 <= i < len(self.rows) and 0 <= j < len(self.rows[i]):
            return self.rows[i][j]
        return None

    def address(self, row: int, column: int) -> str:
        """``Sheet!B2`` of a cell of this block."""
        return str(CellRef(self.sheet, column, row))

    @property
    def cells(self) -> int:
        """How many cells the block covers."""
        height = self.height if self.height is not None else len(self.rows)
        width = self.width if self.width is not None else max(map(len, self.rows), default=0)
        return height * width


def read_of(query: SpreadsheetQuery) -> GridRead:
    """What ``query`` needs read; requests needing the same read share it."""
    if query.cell is not None:
        return CellRead(parse_cell(query.cell))
    if query.named_range is not None:
        return NamedRead(query.named_range)
    assert query.rows is not None
    first, last = query.rows.columns
    return ColumnsRead(query.rows.sheet, first, last, query.rows.first_row)


def _fail(source: str, message: str) -> QueryError:
    return QueryError(f"{source}: {message}", source=source)


def _shown(value: Cell) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    return repr(value)


def cell_number(value: Cell, address: str, *, source: str) -> int | float:
    """A cell's number as the vendor sent it (the runner checks it against the query's kind);
    a :class:`QueryError` naming the cell when it holds nothing, text, a boolean or a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(source, f"{address} is empty; enter a number there")
    if isinstance(value, bool):
        raise _fail(source, f"{address} holds {str(value).upper()}, not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        raise _fail(source, f"{address} holds the date {value.isoformat()}, not a number")
    if value.startswith("#") and value.rstrip().endswith(("!", "?", "A")):
        raise _fail(source, f"{address} holds the error {value.strip()}, not a number")
    raise _fail(source, f"{address} holds the text {_shown(value)}, not a number")


def day_of(value: Cell, address: str, *, epoch: date, source: str) -> date | None:
    """The day a date cell names: a serial number (days since ``epoch``, a fraction being the
    time of day) or a date; None for an empty cell; a :class:`QueryError` for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return epoch + timedelta(days=math.floor(value))
        except OverflowError:
            pass
    raise _fail(
        source,
        f"{address} holds {_shown(value)}, not a date; format the column as dates "
        "(Format → Number → Date)",
    )


@dataclass(frozen=True)
class _Row:
    day: date
    row: int


def answer(
    query: SpreadsheetQuery,
    grid: Grid,
    days: DaySpan | None,
    *,
    epoch: date,
    source: str,
) -> RawValue:
    """The number ``query`` asks for, from the ``grid`` read for it (:func:`read_of`)."""
    if query.rows is None:
        if grid.cells > 1:
            what = f"the named range {query.named_range}" if query.named_range else query.cell
            raise _fail(source, f"{what} covers {grid.cells} cells; name exactly one cell")
        return cell_number(
            grid.at(grid.top, grid.left), grid.address(grid.top, grid.left), source=source
        )
    rows = query.rows
    if days is None:
        raise _fail(
            source,
            f"dated rows of {quote_sheet(rows.sheet)} are read over days: give the metric a "
            "window of days (calendar_month, trailing_28d…), not snapshot",
        )
    return _pick(rows, grid, days, epoch=epoch, source=source)


def _pick(rows: DatedRows, grid: Grid, days: DaySpan, *, epoch: date, source: str) -> RawValue:
    dates, values = column_number(rows.dates), column_number(rows.values)
    inside: list[_Row] = []
    for offset in range(len(grid.rows)):
        row = grid.top + offset
        day = day_of(grid.at(row, dates), grid.address(row, dates), epoch=epoch, source=source)
        if day is not None and days.first <= day < days.end:
            inside.append(_Row(day, row))
    where = f"{quote_sheet(rows.sheet)}!{rows.dates}{rows.first_row}:{rows.dates}"
    if rows.pick == "sum":
        if not inside:
            raise _fail(source, f"no row of {where} is dated within {days}; nothing to sum")
        total: int | float = 0
        for found in inside:
            total += cell_number(
                grid.at(found.row, values), grid.address(found.row, values), source=source
            )
        return total
    if rows.pick == "last_day":
        chosen = [found for found in inside if found.day == days.last]
        if not chosen:
            raise _fail(source, f"no row of {where} is dated {days.last.isoformat()}")
    else:
        if not inside:
            raise _fail(source, f"no row of {where} is dated within {days}")
        latest = max(found.day for found in inside)
        chosen = [found for found in inside if found.day == latest]
    if len(chosen) > 1:
        cells = ", ".join(f"{rows.dates}{found.row}" for found in chosen)
        raise _fail(
            source,
            f"{len(chosen)} rows of {quote_sheet(rows.sheet)} are dated "
            f"{chosen[0].day.isoformat()} ({cells}); keep one row per date, or use pick: sum",
        )
    row = chosen[0].row
    return cell_number(grid.at(row, values), grid.address(row, values), source=source)


__all__ = [
    "SHEETS_EPOCH",
    "Cell",
    "CellRead",
    "ColumnsRead",
    "Grid",
    "GridRead",
    "NamedRead",
    "answer",
    "cell_number",
    "day_of",
    "read_of",
]
