"""A Google Sheets sandbox with a fixed clock and a service account key of its own, and helpers
computing expected values straight from the sandbox's raw cells (never through the connector's
own code: dates are converted here by hand from the documented serial-number epoch)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.sheets import SheetsConnector, SheetsSourceConfig
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
