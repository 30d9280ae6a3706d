"""The ``excel`` connector on workbooks written here with openpyxl; expected values come from
the raw rows below, not from the connector's code."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from pydantic import ValidationError

import connectors.excel
from connectors.excel import ExcelConnector, ExcelSourceConfig
from connectors.spreadsheet import SpreadsheetQuery
from syncd.abc import ConnectorContext, MetricRequest, RequestFailed, RetryPolicy, Window
from syncd.config import load_config
from syncd.errors import QueryError, TransientSourceError
from syncd.evaluate import DayRule
from syncd.testing import ConnectorConformance

ZURICH = ZoneInfo("Europe/Zurich")

# (day, signups, revenue): days around the end of summer time (2026-10-25 has 25 hours).
DAILY: list[tuple[date, int, float]] = [
    (date(2026, 10, 20) + timedelta(days=i), 10 + 3 * i, round(100.5 + 7.25 * i, 2))
    for i in range(22)
]
MONTHLY: list[tuple[date, float]] = [
    (date(2026, 9, 1), 3.6),
    (date(2026, 10, 1), 3.9),
    (date(2026, 11, 1), 4.1),
]


def excel_serial(day: date, epoch: date) -> int:
    return (day - epoch).days


def write_workbook(path: Path, *, mac_1904: bool = False) -> Path:
    book = openpyxl.Workbook()
    if mac_1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    summary = book.active
    summary.title = "Summary"
    for row in (
        ["Metric", "Value"],
        ["NPS", 57],
        ["Status", "n/a"],
        ["Runway", 17.5],
        ["Churn", None],
        ["Approved", True],
        ["Doubled", "=B2*2"],
        ["Refunds", -5],
    ):
        summary.append(row)
    book.defined_names["nps"] = DefinedName("nps", attr_text="Summary!$B$2")
    book.defined_names["kpis"] = DefinedName("kpis", attr_text="Summary!$B$2:$B$4")
    daily = book.create_sheet("Daily")
    daily.append(["Date", "Signups", "Revenue"])
    epoch = date(1904, 1, 1) if mac_1904 else date(1899, 12, 30)
    for index, (day, signups, revenue) in enumerate(DAILY):
        # Half the dates are date cells, half plain serial numbers (as pasted from elsewhere);
        # some date cells carry a time of day.
        when: Any = (
            datetime.combine(day, datetime.min.time()) + timedelta(hours=18 * (index % 3 == 0))
            if index % 2 == 0
            else excel_serial(day, epoch)
        )
        daily.append([when, signups, revenue])
    survey = book.create_sheet("Survey")
    survey.append(["Month", "Score"])
    for day, score in MONTHLY:
        survey.append([day, score])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("excel") / "okr.xlsx")


def context() -> ConnectorContext:
    return ConnectorContext(
        source="finance",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02),
    )


def connector(path: Path, **overrides: Any) -> ExcelConnector:
    config = ExcelSourceConfig.model_validate({"type": "excel", "path": str(path)} | overrides)
    return ExcelConnector(config, context())


def window(first: date, end: date) -> Window:
    return Window(
        datetime.combine(first, datetime.min.time(), ZURICH),
        datetime.combine(end, datetime.min.time(), ZURICH),
    )


def request(query: dict[str, Any], w: Window) -> MetricRequest[SpreadsheetQuery]:
    q = SpreadsheetQuery.model_validate(query)
    return MetricRequest("finance", q, w, DayRule(ZURICH).span(w) if q.rows else None)


def rows(values: str, pick: str, sheet: str = "Daily", **more: Any) -> dict[str, Any]:
    return {"rows": {"sheet": sheet, "dates": "A", "values": values, "pick": pick}} | more


OCTOBER = window(date(2026, 10, 1), date(2026, 11, 1))


def collect(path: Path, *requests: MetricRequest[SpreadsheetQuery]) -> list[Any]:
    with connector(path) as c:
        return c.collect(list(requests))


def test_cells_and_named_ranges(workbook):
    results = collect(
        workbook,
        request({"cell": "Summary!B2"}, OCTOBER),
        request({"named_range": "nps"}, OCTOBER),
        request({"cell": "Summary!B4"}, OCTOBER),
    )
    assert [r.value for r in results] == [57, 57, 17.5]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"cell": "Summary!B3"}, "Summary!B3 holds the text 'n/a', not a number"),
        ({"cell": "Summary!B5"}, "Summary!B5 is empty"),
        ({"cell": "Summary!B6"}, "Summary!B6 holds TRUE, not a number"),
        ({"cell": "Summary!B7"}, "Summary!B7 is empty"),  # a formula Excel never calculated
        ({"named_range": "kpis"}, "the named range kpis covers 3 cells"),
        ({"named_range": "nothing"}, "has no named range 'nothing'"),
        ({"cell": "Nope!A1"}, "has no sheet 'Nope' (it has Summary, Daily, Survey)"),
        ({"cell": "Summary!B9", "kind": "count"}, "Summary!B9 is empty"),
    ],
)
def test_cells_that_are_no_number_fail_naming_the_cell(workbook, query, words):
    (result,) = collect(workbook, request(query, OCTOBER))
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert words in str(result.error)


def test_a_negative_count_fails_only_its_request(workbook):
    bad, good = collect(
        workbook,
        request({"cell": "Summary!B8", "kind": "count"}, OCTOBER),
        request({"cell": "Summary!B8", "kind": "sum"}, OCTOBER),
    )
    assert isinstance(bad, RequestFailed) and "cannot be a count" in str(bad.error)
    assert good.value == -5


@pytest.mark.parametrize("mac_1904", [False, True])
def test_dated_rows_over_the_25_hour_day(tmp_path, mac_1904):
    path = write_workbook(tmp_path / "okr.xlsx", mac_1904=mac_1904)
    around = window(date(2026, 10, 24), date(2026, 10, 27))
    in_window = [(d, s, r) for d, s, r in DAILY if date(2026, 10, 24) <= d < date(2026, 10, 27)]
    total, last_day, latest = collect(
        path,
        request(rows("B", "sum"), around),
        request(rows("C", "last_day"), around),
        request(rows("B", "latest", sheet="Survey"), window(date(2026, 10, 5), date(2026, 11, 20))),
    )
    assert total.value == sum(s for _, s, _ in in_window)
    assert last_day.value == in_window[-1][2]
    assert latest.value == 4.1


def test_one_opening_of_the_workbook_serves_every_request(workbook):
    with connector(workbook) as c:
        results = c.collect(
            [request(rows("B", "last_day"), window(d, d + timedelta(days=1))) for d, _, _ in DAILY]
        )
        calls = c.context.stats.calls
    assert [r.value for r in results] == [s for _, s, _ in DAILY]
    assert calls == 1


def test_a_missing_or_broken_workbook_is_transient(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for path, words in ((tmp_path / "missing.xlsx", "does not exist"), (broken, "not a readable")):
        (result,) = collect(path, request({"cell": "Summary!B2"}, OCTOBER))
        assert isinstance(result, RequestFailed) and isinstance(result.error, TransientSourceError)
        assert words in str(result.error)


def test_check_names_the_sheets(workbook):
    with connector(workbook) as c:
        assert c.check() == f"opened {workbook}: sheets Summary, Daily, Survey; 2 named ranges"


def test_traits_and_describe(workbook):
    with connector(workbook, timezone="America/New_York") as c:
        q = SpreadsheetQuery.model_validate(rows("B", "sum"))
        traits = c.traits(c.config, q, ZURICH)
        text = c.describe(request(rows("B", "sum"), OCTOBER))
    assert traits.day_zone == ZoneInfo("America/New_York") and not traits.past_snapshots
    assert text == (
        f"Daily!A2:B of {workbook}: sum of column B by column A, days 2026-10-01..2026-10-31 "
        "(America/New_York)"
    )


def test_only_workbooks_are_accepted():
    with pytest.raises(ValidationError) as raised:
        ExcelSourceConfig.model_validate({"type": "excel", "path": "/srv/okr.xls"})
    assert "not an .xlsx or .xlsm workbook" in str(raised.value)


def test_sample_config_loads():
    sample = Path(connectors.excel.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={}).config
    assert {source.type for source in config.sources.values()} == {"excel"}
    assert len(config.metrics) >= 3


class TestExcelConformance(ConnectorConformance):
    connector_name = "excel"
    speaks_http = False

    @pytest.fixture
    def source_config(self, workbook):
        return {"type": "excel", "path": str(workbook)}

    @pytest.fixture
    def query(self):
        return rows("B", "sum")

    @pytest.fixture
    def make_connector(self, source_config, context):
        made: list[ExcelConnector] = []

        def make(**overrides: Any) -> ExcelConnector:
            config = ExcelSourceConfig.model_validate(source_config | overrides)
            made.append(ExcelConnector(config, context))
            return made[-1]

        yield make
        for c in made:
            c.close()

    @pytest.fixture
    def windowed_requests(self, context):
        pairs = []
        for first, end in (
            (date(2026, 10, 20), date(2026, 11, 1)),
            (date(2026, 11, 1), date(2026, 11, 11)),
        ):
            w = window(first, end)
            expected = sum(s for d, s, _ in DAILY if first <= d < end)
            q = SpreadsheetQuery.model_validate(rows("B", "sum"))
            pairs.append(
                (MetricRequest(context.source, q, w, DayRule(ZURICH).span(w)), float(expected))
            )
        return pairs

    @pytest.fixture
    def failure_cases(self, make_connector, tmp_path):
        q = SpreadsheetQuery(cell="Summary!B3")
        one = [MetricRequest("conformance", q, OCTOBER)]
        return {
            QueryError: lambda: make_connector().collect(one),
            TransientSourceError: lambda: make_connector(path=str(tmp_path / "gone.xlsx")).collect(
                one
            ),
        }
