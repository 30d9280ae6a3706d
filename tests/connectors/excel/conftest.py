"""The ``excel`` sink's "sandbox": a real workbook in a temporary directory, written here with
openpyxl and read back with openpyxl directly (never through the sink).

Fixture names of the sink conformance kit: ``sink_sandbox`` (a :class:`WorkbookSandbox`: no
HTTP, so no faults; ``received`` lists every replacement of the workbook), ``sink_config``,
``target``, ``make_sink``, ``tool_checkins``; ``revoke`` skips: a file has no credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
SINK_SHEET = "KRs"
Checkins = list[tuple[date, float]]


@dataclass
class WorkbookSandbox:
    """The workbook a sink writes; ``received`` records each ``os.replace`` onto it."""

    path: Path
    received: list[tuple[str, str]] = field(default_factory=list)


def write_kr_workbook(path: Path) -> Path:
    """The seeded workbook: a ``Summary`` sheet with a formula and a named range, then ``KRs``
    (key | value | date | status | note | updated), a note right of the table in H2."""
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["Metric", "Value"])
    summary.append(["NPS", 57])
    summary.append(["Doubled", "=B2*2"])
    book.defined_names["nps"] = DefinedName("nps", attr_text="Summary!$B$2")
    krs = book.create_sheet(SINK_SHEET)
    krs.append(["key", "value", "date", "status", "note", "updated"])
    krs.append(
        ["booking-5d", 41.5, date(2026, 12, 18), "on_track", "seeded", "2026-12-18T06:00:00Z"]
    )
    krs.append(["nps", 52, 46357, "at_risk", "typed by hand"])  # 46357: 2026-12-01 as a serial
    krs.append(["churn"])
    krs["H2"] = "people write notes here"
    book.save(path)
    return path


@pytest.fixture
def sink_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WorkbookSandbox:
    share = tmp_path / "share"
    share.mkdir()
    sandbox = WorkbookSandbox(write_kr_workbook(share / "okr.xlsx"))
    real_replace = os.replace

    def replace(source: Any, destination: Any, **kwargs: Any) -> None:
        real_replace(source, destination, **kwargs)
        if Path(destination) == sandbox.path:
            sandbox.received.append((str(source), str(destination)))

    monkeypatch.setattr(os, "replace", replace)
    return sandbox


@pytest.fixture
def sink_config(sink_sandbox: WorkbookSandbox) -> dict[str, Any]:
    return {"type": "excel", "path": str(sink_sandbox.path), "sheet": SINK_SHEET}


@pytest.fixture
def target() -> dict[str, Any]:
    """A KR whose row the workbook holds (row 2: 41.5 for 2026-12-18)."""
    return {"row_key": "booking-5d"}


def sink_context(config: Any) -> ConnectorContext:
    from connectors.excel.sink import ExcelSink

    return ConnectorContext(
        source="okr-workbook",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02),
        limiter=ExcelSink.limiter_for(config),
        sleep=lambda _: None,
    )


@pytest.fixture
def make_sink(sink_config: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    from connectors.excel.sink import ExcelSink

    made: list[ExcelSink] = []

    def make(**overrides: Any) -> ExcelSink:
        config = ExcelSink.config_model.model_validate(sink_config | overrides)
        sink = ExcelSink(config, sink_context(config))  # type: ignore[arg-type]
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


def _day(cell: Any) -> date:
    """A date cell by hand: a date (openpyxl gives a datetime), ISO text or a serial number of
    the 1900 date system (days since 1899-12-30)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        year, month, day = (int(part) for part in cell[:10].split("-"))
        return date(year, month, day)
    return date(1899, 12, 30) + timedelta(days=int(cell))


def sheet_rows(path: Path, sheet: str = SINK_SHEET) -> list[list[Any]]:
    """Every row of ``sheet`` as openpyxl reads the saved file, from row 1."""
    book = openpyxl.load_workbook(path)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


@pytest.fixture
def read_rows() -> Callable[..., list[list[Any]]]:
    """:func:`sheet_rows`, for tests (importing from ``conftest`` breaks when pytest is given
    several test directories)."""
    return sheet_rows


@pytest.fixture
def tool_checkins(sink_sandbox: WorkbookSandbox) -> Callable[[dict[str, Any]], Checkins]:
    """(day, value) of every row holding the KR's key in column A, top first."""

    def checkins(target: dict[str, Any]) -> Checkins:
        rows = sheet_rows(sink_sandbox.path, target.get("sheet") or SINK_SHEET)
        return [
            (_day(row[2]), float(row[1]))
            for row in rows[1:]
            if row and row[0] == target["row_key"] and row[1] is not None
        ]

    return checkins


@pytest.fixture
def revoke() -> Callable[[], None]:
    def unsupported() -> None:
        pytest.skip("a workbook file has no credentials to revoke")

    return unsupported
