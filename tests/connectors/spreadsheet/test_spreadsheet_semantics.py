"""The spreadsheet semantics both connectors share, on hand-made grids (no I/O)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from connectors.spreadsheet import SpreadsheetQuery, answer, read_of
from connectors.spreadsheet.a1 import (
    CellRef,
    column_letters,
    column_number,
    parse_cell,
    parse_range,
    quote_sheet,
)
from connectors.spreadsheet.cells import CellRead, ColumnsRead, Grid, NamedRead, day_of
from syncd.abc import DaySpan
from syncd.errors import QueryError

EPOCH = date(1899, 12, 30)


@pytest.mark.parametrize(
    ("letters", "number"), [("A", 1), ("Z", 26), ("AA", 27), ("AZ", 52), ("ZZZ", 18278)]
)
def test_columns(letters, number):
    assert column_number(letters) == number
    assert column_letters(number) == letters


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("Summary!B2", CellRef("Summary", 2, 2)),
        ("B2", CellRef(None, 2, 2)),
        ("'Q4 survey'!$C$10", CellRef("Q4 survey", 3, 10)),
        ("'It''s'!a1", CellRef("It's", 1, 1)),
    ],
)
def test_cells_in_a1_notation(text, ref):
    assert parse_cell(text) == ref


@pytest.mark.parametrize("text", ["Summary!B", "Summary!2", "B0", "'Open!A1", "!A1", "A1:B2"])
def test_what_is_not_one_cell(text):
    with pytest.raises(ValueError):
        parse_cell(text)


def test_quoting_and_ranges():
    assert quote_sheet("Daily") == "Daily"
    assert quote_sheet("Q4 survey") == "'Q4 survey'"
    assert quote_sheet("B2") == "'B2'"  # a name that reads as a cell
    assert parse_range("'Q4 survey'!A2:C1000") == (
        CellRef("Q4 survey", 1, 2),
        CellRef("Q4 survey", 3, 1000),
    )
    assert str(CellRef("It's", 2, 3)) == "'It''s'!B3"


def test_serial_numbers_are_days_since_1899_12_30():
    # Google's documented examples: 2.5 is noon on 1 January 1900, 33.625 3 pm on 1 February.
    assert day_of(2.5, "A1", epoch=EPOCH, source="s") == date(1900, 1, 1)
    assert day_of(33.625, "A1", epoch=EPOCH, source="s") == date(1900, 2, 1)
    assert day_of(46327, "A1", epoch=EPOCH, source="s") == date(2026, 11, 1)
    assert day_of(datetime(2026, 11, 1, 23, 59), "A1", epoch=EPOCH, source="s") == date(2026, 11, 1)
    assert day_of("", "A1", epoch=EPOCH, source="s") is None
    for bad in ("1 Nov", True, float("nan")):
        with pytest.raises(QueryError, match=r"A1 holds .*, not a date"):
            day_of(bad, "A1", epoch=EPOCH, source="s")


def test_queries_name_exactly_one_target():
    for fields in ({}, {"cell": "A1", "named_range": "x"}):
        with pytest.raises(ValidationError, match="exactly one of"):
            SpreadsheetQuery.model_validate(fields)
    with pytest.raises(ValidationError, match="two different columns"):
        SpreadsheetQuery.model_validate({"rows": {"sheet": "S", "dates": "a", "values": "A"}})
    with pytest.raises(ValidationError, match="not a column"):
        SpreadsheetQuery.model_validate({"rows": {"sheet": "S", "dates": "A1", "values": "B"}})
    q = SpreadsheetQuery.model_validate({"rows": {"sheet": "S", "dates": "d", "values": "b"}})
    assert (q.rows.dates, q.rows.values, q.rows.pick, q.rows.first_row) == ("D", "B", "last_day", 2)


def test_reads():
    assert read_of(SpreadsheetQuery(cell="S!B2")) == CellRead(CellRef("S", 2, 2))
    assert read_of(SpreadsheetQuery(named_range="nps")) == NamedRead("nps")
    rows = SpreadsheetQuery.model_validate({"rows": {"sheet": "S", "dates": "D", "values": "B"}})
    assert read_of(rows) == ColumnsRead("S", 2, 4, 2)
    assert str(read_of(rows)) == "S!B2:D"


# Columns B (values) … D (dates), rows from 2: a blank row, a date with a time of day.
GRID = Grid(
    "S",
    2,
    2,
    [
        [1, None, 46326],  # 31 Oct
        [2, "", 46327.75],  # 1 Nov, 18:00
        [],
        [4, None, 46329],  # 3 Nov
        [8],  # no date: not a dated row
        [16, None, 46329],  # 3 Nov again
    ],
)
NOV = DaySpan(date(2026, 11, 1), date(2026, 11, 4))


def rows(pick):
    return SpreadsheetQuery.model_validate(
        {"rows": {"sheet": "S", "dates": "D", "values": "B", "pick": pick}}
    )


def test_pick_sum_latest_last_day():
    assert answer(rows("sum"), GRID, NOV, epoch=EPOCH, source="s") == 2 + 4 + 16
    assert (
        answer(
            rows("latest"),
            GRID,
            DaySpan(date(2026, 11, 1), date(2026, 11, 3)),
            epoch=EPOCH,
            source="s",
        )
        == 2
    )
    with pytest.raises(QueryError, match=r"2 rows of S are dated 2026-11-03 \(D5, D7\)"):
        answer(rows("last_day"), GRID, NOV, epoch=EPOCH, source="s")
    with pytest.raises(QueryError, match="no row of S!D2:D is dated 2026-11-02"):
        answer(
            rows("last_day"),
            GRID,
            DaySpan(date(2026, 11, 1), date(2026, 11, 3)),
            epoch=EPOCH,
            source="s",
        )


def test_a_cell_query_reads_its_one_cell():
    grid = Grid("S", 2, 2, [[3.5]], height=1, width=1)
    assert answer(SpreadsheetQuery(cell="S!B2"), grid, None, epoch=EPOCH, source="s") == 3.5
    empty = Grid("S", 2, 2, [], height=1, width=1)
    with pytest.raises(QueryError, match="S!B2 is empty"):
        answer(SpreadsheetQuery(cell="S!B2"), empty, None, epoch=EPOCH, source="s")
