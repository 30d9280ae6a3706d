"""A Google Sheets sandbox with a fixed clock and a service account key of its own, and helpers
computing expected values straight from the sandbox's raw cells (never through the connector's
own code: dates are converted here by hand from the documented serial-number epoch)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.sheets import SheetsConnector, SheetsSourceConfig
from connectors.sheets.config import SheetsSinkConfig
from connectors.sheets.sandbox import SheetsSandbox
from connectors.spreadsheet import SpreadsheetQuery
from syncd.abc import ConnectorContext, MetricRequest, RetryPolicy, Window
from syncd.evaluate import DayRule

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
"""The sandbox's clock: dated rows after 2026-12-20 are not filled in yet."""


@functools.cache
def service_account_key() -> tuple[dict[str, Any], str]:
    """One service account key (its JSON fields and public key) for every test sandbox:
    making one takes a moment."""
    maker = SheetsSandbox()
    info = maker.service_account_info()
    assert maker.public_key_pem is not None
    return info, maker.public_key_pem


def make_sandbox(key_path: Path, **options: Any) -> SheetsSandbox:
    """A started sandbox accepting the tests' service account, whose key (``token_uri``
    pointing at this sandbox) is written to ``key_path``."""
    sandbox = SheetsSandbox(now=NOW, reads_per_minute=100_000, **options)
    sandbox.start()
    info, public_key = service_account_key()
    sandbox.public_key_pem = public_key
    key_path.write_text(json.dumps(info | {"token_uri": f"{sandbox.url}/token"}))
    sandbox.key_file = key_path
    return sandbox


@pytest.fixture(scope="session")
def sheets_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SheetsSandbox]:
    sandbox = make_sandbox(tmp_path_factory.mktemp("sheets") / "key.json")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SheetsSandbox]:
    """A sandbox of its own, for tests that arm faults or count requests."""
    sandbox = make_sandbox(tmp_path / "key.json")
    yield sandbox
    sandbox.stop()


def fast_context(source: str = "survey") -> ConnectorContext:
    return ConnectorContext(
        source=source,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def source_config(sandbox: SheetsSandbox, **overrides: Any) -> dict[str, Any]:
    assert sandbox.key_file is not None
    return {
        "type": "sheets",
        "spreadsheet": sandbox.workbook.spreadsheet_id,
        "endpoint": sandbox.url,
        "timezone": "Europe/Zurich",
        "auth": {"method": "service_account", "key_file": str(sandbox.key_file)},
    } | overrides


def connector_for(
    sandbox: SheetsSandbox, context: ConnectorContext | None = None, **overrides: Any
) -> SheetsConnector:
    config = SheetsSourceConfig.model_validate(source_config(sandbox, **overrides))
    return SheetsConnector(config, context or fast_context())


def query(**fields: Any) -> SpreadsheetQuery:
    return SpreadsheetQuery.model_validate(fields)


def rows_query(sheet: str, dates: str, values: str, pick: str, **more: Any) -> SpreadsheetQuery:
    rows = {"sheet": sheet, "dates": dates, "values": values, "pick": pick} | more
    return query(rows=rows)


def month_window(year: int, month: int, zone: ZoneInfo = ZURICH) -> Window:
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return Window(start, end)


def request(
    q: SpreadsheetQuery, window: Window, source: str = "survey", zone: ZoneInfo = ZURICH
) -> MetricRequest[SpreadsheetQuery]:
    """A request as the planner makes it: days set for a day-granular query."""
    days = DayRule(zone).span(window) if q.rows is not None else None
    return MetricRequest(source, q, window, days)


# ---- expectations from the raw cells ------------------------------------------------------


def raw_day(serial: float) -> date:
    """Sheets' documented serial numbers: whole days since 1899-12-30, a fraction is the time."""
    return date(1899, 12, 30) + timedelta(days=int(serial // 1))


def dated_values(sandbox: SheetsSandbox, sheet: str, column: int) -> list[tuple[date, Any]]:
    """(day, raw value) of each filled-in dated row of ``sheet`` (column A holds the dates)."""
    cells = next(s for s in sandbox.workbook.sheets if s.title == sheet).cells
    today = NOW.astimezone(ZURICH).date()
    found = []
    for (row, col), value in sorted(cells.items()):
        if col != 1 or row == 1 or not isinstance(value, int | float):
            continue
        day = raw_day(value)
        if day <= today:
            found.append((day, cells.get((row, column))))
    return found


def cell_value(sandbox: SheetsSandbox, sheet: str, row: int, column: int) -> Any:
    return next(s for s in sandbox.workbook.sheets if s.title == sheet).cells.get((row, column))


# ---- the sink ---------------------------------------------------------------------------------
# Fixture names of the sink conformance kit: sink_sandbox, sink_config, target, make_sink,
# tool_checkins, revoke.

Checkins = list[tuple[date, float]]
SINK_SHEET = "KRs"
SINK_NAME = "sheets"


def sink_secret_values() -> tuple[str, ...]:
    """What of the sink's key must never show (the kit's ``secret_values``): its id and a line
    of its private key."""
    info, _ = service_account_key()
    return (info["private_key_id"], info["private_key"].splitlines()[1])


"""The sandbox's sheet of KR rows: key | value | date | status | note | updated from A1."""


def sink_context(config: Any, sleeps: list[float] | None = None) -> ConnectorContext:
    """A sink's context with quick retries; waits asked for are recorded in ``sleeps``."""
    from connectors.sheets.sink import SheetsSink

    return ConnectorContext(
        source="okr-sheet",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=5.0),
        limiter=SheetsSink.limiter_for(config),
        sleep=(lambda seconds: sleeps.append(seconds)) if sleeps is not None else (lambda _: None),
    )


@pytest.fixture
def sink_sandbox(tmp_path: Path) -> Iterator[SheetsSandbox]:
    """A sandbox of its own per test: the sink writes to it."""
    sandbox = make_sandbox(tmp_path / "key.json")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sink_config(sink_sandbox: SheetsSandbox) -> dict[str, Any]:
    """The sink's raw config: the service account key's JSON text as a literal secret."""
    info, _ = service_account_key()
    key = json.dumps(info | {"token_uri": f"{sink_sandbox.url}/token"})
    return {
        "type": "sheets",
        "spreadsheet_id": sink_sandbox.workbook.spreadsheet_id,
        "sheet": SINK_SHEET,
        "endpoint": sink_sandbox.url,
        "credentials": key,
    }


@pytest.fixture
def target() -> dict[str, Any]:
    """A KR whose row the sandbox holds (row 2: 41.5 for 2026-12-18)."""
    return {"row_key": "booking-5d"}


@pytest.fixture
def sink_sleeps() -> list[float]:
    return []


@pytest.fixture
def make_sink(
    sink_config: dict[str, Any], sink_sleeps: list[float]
) -> Iterator[Callable[..., Any]]:
    from connectors.sheets.sink import SheetsSink

    made: list[SheetsSink] = []

    def make(**overrides: Any) -> SheetsSink:
        config = SheetsSink.config_model.model_validate(sink_config | overrides)
        assert isinstance(config, SheetsSinkConfig)
        sink = SheetsSink(config, sink_context(config, sink_sleeps))
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


def kr_rows(sandbox: SheetsSandbox, sheet: str = SINK_SHEET) -> dict[int, dict[int, Any]]:
    """The sheet's raw cells by row, then column (straight from the sandbox's state)."""
    cells = next(s for s in sandbox.workbook.sheets if s.title == sheet).cells
    rows: dict[int, dict[int, Any]] = {}
    for (row, column), value in sorted(cells.items()):
        rows.setdefault(row, {})[column] = value
    return rows


@pytest.fixture
def sheet_cells(sink_sandbox: SheetsSandbox) -> Callable[..., dict[int, dict[int, Any]]]:
    """:func:`kr_rows` of the sink's sandbox, for tests (importing from ``conftest`` breaks when
    pytest is given several test directories)."""
    return lambda sheet=SINK_SHEET: kr_rows(sink_sandbox, sheet)


def _day(cell: Any) -> date:
    """A date cell by hand: ISO text, or a serial number (days since 1899-12-30)."""
    if isinstance(cell, str):
        year, month, day = (int(part) for part in cell.split("-"))
        return date(year, month, day)
    return raw_day(cell)


@pytest.fixture
def tool_checkins(sink_sandbox: SheetsSandbox) -> Callable[[dict[str, Any]], Checkins]:
    """(day, value) of every row holding the KR's key in column A, top first."""

    def checkins(target: dict[str, Any]) -> Checkins:
        rows = kr_rows(sink_sandbox, target.get("sheet") or SINK_SHEET)
        return [
            (_day(cells[3]), float(cells[2]))
            for number, cells in rows.items()
            if number > 1 and cells.get(1) == target["row_key"] and 2 in cells
        ]

    return checkins


@pytest.fixture
def revoke(sink_sandbox: SheetsSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke
