"""The ``excel`` connector: the spreadsheet semantics of ``connectors.spreadsheet`` over a
workbook file, read with openpyxl.

A sync opens the workbook once (read-only, the values Excel saved for its formulas) and
answers every request from it. A file that is missing, unreadable or cut short (being saved
right now, a share that dropped) is a :class:`~syncd.errors.TransientSourceError`, retried by
the runner; a file the daemon's user may not read is an :class:`~syncd.errors.AuthError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.excel.config import ExcelSourceConfig
from connectors.excel.errors import classify
from connectors.spreadsheet import SpreadsheetQuery, answer, read_of, spreadsheet_traits
from connectors.spreadsheet.a1 import parse_range
from connectors.spreadsheet.cells import Cell, CellRead, Grid, GridRead, NamedRead
from syncd.abc import Connector, MetricRequest, QueryTraits, RawValue, RequestKey
from syncd.errors import QueryError, SourceError

Request = MetricRequest[SpreadsheetQuery]


class ExcelConnector(Connector[ExcelSourceConfig, SpreadsheetQuery]):
    """Answers cells, named ranges and dated rows of one workbook file."""

    sdk_modules = ("openpyxl",)
    config_model = ExcelSourceConfig
    query_model = SpreadsheetQuery
    default_concurrency = 1

    @classmethod
    def traits(
        cls, config: ExcelSourceConfig, query: SpreadsheetQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """As for Google Sheets: cells hold the present value, dated rows count whole days of
        the declared zone."""
        return spreadsheet_traits(query, config.zone(timezone))

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source, path=self.config.path)

    def _open(self) -> Any:
        import openpyxl

        return openpyxl.load_workbook(self.config.path, read_only=True, data_only=True)

    def batches(self, requests: Sequence[Request]) -> list[list[Request]]:
        """One opening of the workbook serves every request."""
        return [list(requests)] if requests else []

    def fetch_batch(self, batch: Sequence[Request]) -> Mapping[RequestKey, RawValue | QueryError]:
        book = self.call(self._open, what=f"open {self.config.path}")
        try:
            epoch = book.epoch.date()
            grids: dict[GridRead, Grid | QueryError] = {}
            answers: dict[RequestKey, RawValue | QueryError] = {}
            for request in batch:
                read = read_of(request.query)
                if read not in grids:
                    try:
                        grids[read] = self._grid(book, read)
                    except QueryError as error:
                        grids[read] = error
                grid = grids[read]
                try:
                    if isinstance(grid, QueryError):
                        raise grid
                    answers[request.key] = answer(
                        request.query, grid, request.days, epoch=epoch, source=self.context.source
                    )
                except QueryError as error:
                    answers[request.key] = error
            return answers
        finally:
            book.close()

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _sheet(self, book: Any, title: str | None) -> Any:
        if title is None:
            return book.worksheets[0]
        if title not in book.sheetnames:
            raise self._fail(
                f"{self.config.path} has no sheet {title!r} (it has {', '.join(book.sheetnames)})"
            )
        return book[title]

    def _grid(self, book: Any, read: GridRead) -> Grid:
        if isinstance(read, CellRead):
            cell = read.cell
            return self._block(book, cell.sheet, cell.row, cell.column, cell.row, cell.column)
        if isinstance(read, NamedRead):
            return self._named(book, read.name)
        sheet = self._sheet(book, read.sheet)
        rows = sheet.iter_rows(
            min_row=read.first_row,
            min_col=read.first_column,
            max_col=read.last_column,
            values_only=True,
        )
        return Grid(read.sheet, read.first_row, read.first_column, _cells(rows))

    def _block(
        self, book: Any, title: str | None, top: int, left: int, bottom: int, right: int
    ) -> Grid:
        sheet = self._sheet(book, title)
        rows = sheet.iter_rows(
            min_row=top, max_row=bottom, min_col=left, max_col=right, values_only=True
        )
        return Grid(
            sheet.title, top, left, _cells(rows), height=bottom - top + 1, width=right - left + 1
        )

    def _named(self, book: Any, name: str) -> Grid:
        defined = book.defined_names.get(name)
        if defined is None:
            raise self._fail(f"{self.config.path} has no named range {name!r}")
        destinations = list(defined.destinations)
        if len(destinations) != 1:
            raise self._fail(f"the named range {name} is not one block of cells; name one cell")
        title, coordinates = destinations[0]
        start, end = parse_range(coordinates.replace("$", ""))
        return self._block(book, title, start.row, start.column, end.row, end.column)

    def check(self) -> str:
        """Open the workbook and name its sheets."""
        book = self.call(self._open, what=f"open {self.config.path}")
        try:
            sheets = ", ".join(book.sheetnames)
            names = len(book.defined_names)
        finally:
            book.close()
        return f"opened {self.config.path}: sheets {sheets}; {names} named ranges"

    def describe(self, request: Request) -> str:
        """Which cells of which file a request reads, and how the number is picked."""
        read = read_of(request.query)
        where = f"{read} of {self.config.path}"
        rows = request.query.rows
        if rows is None:
            return where
        days = f"days {request.days}" if request.days else "no days (a snapshot)"
        zone = self.config.timezone or self.context.timezone.key
        return (
            f"{where}: {rows.pick} of column {rows.values} by column {rows.dates}, {days} ({zone})"
        )


def _cells(rows: Iterable[tuple[Any, ...]]) -> list[list[Cell]]:
    """openpyxl's values as :data:`Cell` values (a time or a duration becomes its text)."""
    return [[_cell(value) for value in row] for row in rows]


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, int | float | str | bool | datetime | date):
        return value
    return str(value)
