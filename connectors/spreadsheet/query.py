"""The query model of the spreadsheet sources (``sheets``, ``excel``) and its traits."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.spreadsheet.a1 import check_column, column_number, parse_cell
from syncd.abc import QueryModel, QueryTraits, ValueKind

Pick = Literal["last_day", "latest", "sum"]


class DatedRows(BaseModel):
    """A sheet of dated rows (one row per day, week or month), read over the window's days.

    ``pick`` chooses the number:

    - ``last_day``: the row dated the window's last day (a daily sheet);
    - ``latest``: the latest row dated within the window (a monthly survey score, a weekly
      report: the window's month or week holds one row, not necessarily on its last day);
    - ``sum``: the sum of all rows dated within the window.

    Dates are days of the sheet's own time zone; a date with a time of day counts as its day.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sheet: str = Field(min_length=1, description="the sheet (tab) holding the rows")
    dates: str = Field(description="the column of the dates, e.g. A")
    values: str = Field(description="the column of the numbers, e.g. C")
    first_row: int = Field(2, ge=1, le=1_000_000, description="the first row below the header")
    pick: Pick = Field("last_day", description="last_day, latest or sum (see above)")

    @field_validator("dates", "values")
    @classmethod
    def _column(cls, value: str) -> str:
        return check_column(value)

    @model_validator(mode="after")
    def _two_columns(self) -> DatedRows:
        if self.dates == self.values:
            raise ValueError("dates and values must be two different columns")
        return self

    @property
    def columns(self) -> tuple[int, int]:
        """The first and last column read (the dates and values columns may be in any order)."""
        numbers = (column_number(self.dates), column_number(self.values))
        return min(numbers), max(numbers)


class SpreadsheetQuery(QueryModel):
    """One number from a spreadsheet. Give exactly one of:

    - ``cell``: one cell in A1 notation, ``Summary!B2`` (the value as it is now);
    - ``named_range``: a named range of one cell, ``nps_q4`` (the value as it is now);
    - ``rows``: a sheet of dated rows read over the window (:class:`DatedRows`).

    ``kind`` says what the number is, so an impossible one is refused, never stored.
    """

    cell: str | None = Field(None, description="one cell, e.g. Summary!B2")
    named_range: str | None = Field(
        None, pattern=r"^[A-Za-z_\\][A-Za-z0-9_.]*$", description="a named range of one cell"
    )
    rows: DatedRows | None = Field(None, description="dated rows: sheet, dates, values, pick")
    kind: ValueKind = Field(
        ValueKind.NUMBER,
        description="what the number is: count (whole, ≥ 0), sum, share (0–1), duration (≥ 0) "
        "or number; a value that cannot be of its kind is refused, never stored",
    )

    @field_validator("cell")
    @classmethod
    def _one_cell(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cell(value)
        return value

    @model_validator(mode="after")
    def _one_target(self) -> SpreadsheetQuery:
        given = [name for name in ("cell", "named_range", "rows") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of cell (Summary!B2), named_range (a name) or rows "
                f"(dated rows); got {', '.join(given) or 'none'}"
            )
        return self


def spreadsheet_traits(query: SpreadsheetQuery, zone: ZoneInfo) -> QueryTraits:
    """A cell or a named range holds the number as it is now: it is never asked for the past.
    Dated rows count whole days of the sheet's ``zone`` and can answer past windows, but a
    snapshot (a moment, not days) is not theirs to answer."""
    if query.rows is None:
        return QueryTraits(past_windows=False, past_snapshots=False, kind=query.kind)
    return QueryTraits(day_zone=zone, past_snapshots=False, kind=query.kind)
