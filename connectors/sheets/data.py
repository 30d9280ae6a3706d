"""The sandbox's spreadsheet: seeded, deterministic, with the quirks real sheets have.

Sheets (row 1 is a header in each):

- ``Summary``: labels in A, numbers in B: NPS (B2), headcount (B3), runway in months (B4,
  a fraction), a status text (B5), a checkbox (B6), a formula error (B7), an empty cell (B8).
  Named ranges: ``nps`` (B2), ``runway`` (B4), ``status`` (B5), ``kpis`` (B2:B4).
- ``Survey``: one row per month (dated the 1st), 2025-01 to 2026-12: responses (B), mean
  score 1–5 (C).
- ``Daily``: one row per day, 2026-06-01 to 2026-12-31: signups (B), revenue (C); every third
  date carries a time of day (a serial number with a fraction); a blank row after 2026-08-31.
- ``Quirks``: dated rows with text, an empty value and two rows of one date.
- ``Q4 survey`` (a name needing quotes): one dated row, to exercise quoting.
- ``Typos``: a date typed as text.
- ``KRs``: the sink's sheet, one row per KR (key | value | date | status | note | updated):
  ``booking-5d`` (value and an ISO date as syncd writes them), ``nps`` (a date typed by hand,
  a serial number), ``churn`` (no value yet); a notes cell right of the table (column H).

Dated rows after the sandbox's ``today`` are not shown: a sheet is filled in day by day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

Value = int | float | str | bool | None

EPOCH = date(1899, 12, 30)
"""Day 0 of Google Sheets' serial-number dates."""


def serial(day: date) -> int:
    """``day`` as Sheets' serial number."""
    return (day - EPOCH).days


@dataclass
class SheetData:
    """One sheet: cells by (row, column), both from 1. ``dated_by`` is the column holding each
    row's date (rows dated after today are hidden), None for a sheet that is not dated."""

    title: str
    sheet_id: int
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)
    row_count: int = 1000
    column_count: int = 26
    dated_by: int | None = None

    def put(self, row: int, *values: Value) -> None:
        for column, value in enumerate(values, start=1):
            if value is not None:
                self.cells[(row, column)] = value


@dataclass
class Workbook:
    """The spreadsheet: its id, title, time zone, sheets (in tab order) and named ranges
    (name → sheet, first row, first column, last row, last column)."""

    spreadsheet_id: str
    title: str
    time_zone: str
    sheets: list[SheetData]
    named_ranges: dict[str, tuple[str, int, int, int, int]]
    locale: str = "en_US"

    def sheet(self, title: str) -> SheetData | None:
        return next((sheet for sheet in self.sheets if sheet.title == title), None)


SPREADSHEET_ID = "1SyncdSandboxSheet0okrNumbers2026"


def generate(seed: int = 20261001, *, time_zone: str = "Europe/Zurich") -> Workbook:
    """The sandbox's spreadsheet for ``seed``."""
    rng = random.Random(seed)
    summary = SheetData("Summary", 0)
    summary.put(1, "Metric", "Value")
    summary.put(2, "NPS", rng.randint(45, 65))
    summary.put(3, "Headcount", rng.randint(80, 140))
    summary.put(4, "Runway (months)", round(rng.uniform(12, 24), 1))
    summary.put(5, "Status", "pending")
    summary.put(6, "Approved", True)
    summary.put(7, "Margin", "#DIV/0!")
    summary.put(8, "Churn")

    survey = SheetData("Survey", 1, dated_by=1)
    survey.put(1, "Month", "Responses", "Score")
    month, row = date(2025, 1, 1), 2
    while month <= date(2026, 12, 1):
        score = round(3.3 + 0.045 * (row - 2) + rng.uniform(-0.12, 0.12), 2)
        survey.put(row, serial(month), rng.randint(120, 400), score)
        month = (month + timedelta(days=32)).replace(day=1)
        row += 1

    daily = SheetData("Daily", 2, dated_by=1)
    daily.put(1, "Date", "Signups", "Revenue")
    day, row = date(2026, 6, 1), 2
    while day <= date(2026, 12, 31):
        when: float = serial(day) + (0.75 if day.toordinal() % 3 == 0 else 0)
        daily.put(row, when, rng.randint(20, 80), round(rng.uniform(500, 3000), 2))
        row += 1
        if day == date(2026, 8, 31):
            row += 1  # a blank row, as people leave them
        day += timedelta(days=1)

    quirks = SheetData("Quirks", 3, dated_by=1)
    quirks.put(1, "Date", "Value")
    quirks.put(2, serial(date(2026, 11, 2)), 5)
    quirks.put(3, serial(date(2026, 11, 3)), "n/a")
    quirks.put(4, serial(date(2026, 11, 4)))  # the value is empty
    quirks.put(5, serial(date(2026, 11, 5)), 7)
    quirks.put(6, serial(date(2026, 11, 5)), 8)
    quirks.put(7, serial(date(2026, 11, 6)), True)

    quoted = SheetData("Q4 survey", 4, dated_by=1)
    quoted.put(1, "Date", "Score")
    quoted.put(2, serial(date(2026, 10, 15)), 4.25)

    typos = SheetData("Typos", 5, dated_by=1)
    typos.put(1, "Date", "Value")
    typos.put(2, serial(date(2026, 11, 1)), 1)
    typos.put(3, "2 Nov", 2)

    krs = SheetData("KRs", 6)
    krs.put(1, "key", "value", "date", "status", "note", "updated")
    krs.put(2, "booking-5d", 41.5, "2026-12-18", "on_track", "seeded", "2026-12-18T06:00:00Z")
    krs.put(3, "nps", 52, serial(date(2026, 12, 1)), "at_risk", "typed by hand")
    krs.put(4, "churn")
    krs.put(2, None, None, None, None, None, None, None, "people write notes here")

    return Workbook(
        spreadsheet_id=SPREADSHEET_ID,
        title="OKR numbers (sandbox)",
        time_zone=time_zone,
        sheets=[summary, survey, daily, quirks, quoted, typos, krs],
        named_ranges={
            "nps": ("Summary", 2, 2, 2, 2),
            "runway": ("Summary", 4, 2, 4, 2),
            "status": ("Summary", 5, 2, 5, 2),
            "kpis": ("Summary", 2, 2, 4, 2),
        },
    )
