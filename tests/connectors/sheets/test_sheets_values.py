"""Values through the real google-api-python-client against the sandbox, expected values taken
from the sandbox's raw cells (see conftest)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import (
    NOW,
    ZURICH,
    cell_value,
    connector_for,
    dated_values,
    fast_context,
    make_sandbox,
    month_window,
    query,
    request,
    rows_query,
)

from syncd.abc import MetricRequest, Observation, RequestFailed, ValueKind, Window
from syncd.errors import QueryError

NEW_YORK = ZoneInfo("America/New_York")


def values_of(sandbox, requests, **overrides):
    with connector_for(sandbox, **overrides) as connector:
        return connector.collect(requests)


def one(sandbox, req, **overrides):
    (result,) = values_of(sandbox, [req], **overrides)
    return result


def value(sandbox, req, **overrides) -> float:
    result = one(sandbox, req, **overrides)
    assert isinstance(result, Observation), result
    return result.value


def error(sandbox, req, **overrides) -> str:
    result = one(sandbox, req, **overrides)
    assert isinstance(result, RequestFailed), result
    assert isinstance(result.error, QueryError), result.error
    return str(result.error)


NOVEMBER = month_window(2026, 11)


# ---- cells and named ranges ---------------------------------------------------------------


def test_a_cell_and_a_named_range_give_the_cells_number(sheets_sandbox):
    nps = cell_value(sheets_sandbox, "Summary", 2, 2)
    runway = cell_value(sheets_sandbox, "Summary", 4, 2)
    assert isinstance(nps, int) and isinstance(runway, float)
    assert value(sheets_sandbox, request(query(cell="Summary!B2"), NOVEMBER)) == nps
    assert value(sheets_sandbox, request(query(named_range="nps"), NOVEMBER)) == nps
    assert value(sheets_sandbox, request(query(named_range="runway"), NOVEMBER)) == runway


def test_a_cell_reads_the_present_even_for_a_snapshot(sheets_sandbox):
    moment = datetime(2026, 12, 20, 13, tzinfo=ZURICH)
    snapshot = MetricRequest("survey", query(cell="Summary!B3"), Window(moment, moment))
    assert value(sheets_sandbox, snapshot) == cell_value(sheets_sandbox, "Summary", 3, 2)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("Summary!B5", "Summary!B5 holds the text 'pending', not a number"),
        ("Summary!B6", "Summary!B6 holds TRUE, not a number"),
        ("Summary!B7", "Summary!B7 holds the error #DIV/0!, not a number"),
        ("Summary!B8", "Summary!B8 is empty"),
        ("Summary!Z99", "Summary!Z99 is empty"),
    ],
)
def test_text_empty_and_error_cells_fail_their_request_naming_the_cell(sheets_sandbox, cell, words):
    assert words in error(sheets_sandbox, request(query(cell=cell), NOVEMBER))


def test_a_named_range_of_several_cells_is_refused(sheets_sandbox):
    message = error(sheets_sandbox, request(query(named_range="kpis"), NOVEMBER))
    assert "the named range kpis covers 3 cells" in message


def test_unknown_sheet_or_name_fails_only_that_request(sheets_sandbox):
    good = request(query(cell="Summary!B2"), NOVEMBER)
    bad = request(query(cell="Nope!B2"), NOVEMBER)
    unknown = request(query(named_range="no_such_name"), NOVEMBER)
    results = values_of(sheets_sandbox, [bad, good, unknown])
    assert isinstance(results[1], Observation)
    for failed in (results[0], results[2]):
        assert isinstance(failed, RequestFailed) and isinstance(failed.error, QueryError)
        assert "400" in str(failed.error) and "Unable to parse range" in str(failed.error)


# ---- dated rows -----------------------------------------------------------------------------


def test_latest_row_of_a_monthly_sheet(sheets_sandbox):
    scores = [
        v for d, v in dated_values(sheets_sandbox, "Survey", 3) if d.month == 11 and d.year == 2026
    ]
    assert len(scores) == 1
    q = rows_query("Survey", "A", "C", "latest")
    assert value(sheets_sandbox, request(q, NOVEMBER)) == scores[0]


def test_sum_over_a_month_with_the_25_hour_day(sheets_sandbox):
    october = month_window(2026, 10)
    expected = sum(v for d, v in dated_values(sheets_sandbox, "Daily", 2) if d.month == 10)
    assert value(sheets_sandbox, request(rows_query("Daily", "A", "B", "sum"), october)) == expected


def test_last_day_picks_the_row_of_the_windows_last_day_even_with_a_time_of_day(sheets_sandbox):
    # 2026-11-15's date cell carries a time of day (18:00): serial + 0.75.
    dates = dated_values(sheets_sandbox, "Daily", 1)
    assert [raw % 1 for day, raw in dates if day == date(2026, 11, 15)] == [0.75]
    window = Window(datetime(2026, 11, 9, tzinfo=ZURICH), datetime(2026, 11, 16, tzinfo=ZURICH))
    expected = dict(dated_values(sheets_sandbox, "Daily", 3))[date(2026, 11, 15)]
    q = rows_query("Daily", "A", "C", "last_day")
    assert value(sheets_sandbox, request(q, window)) == pytest.approx(expected)


def test_a_window_off_midnight_counts_complete_local_days_only(sheets_sandbox):
    # An hourly slot's trailing 2 days: 06:00 to 06:00 covers the 24th fully, and the 25th.
    window = Window(
        datetime(2026, 10, 24, 6, tzinfo=ZURICH), datetime(2026, 10, 26, 6, tzinfo=ZURICH)
    )
    req = request(rows_query("Daily", "A", "B", "sum"), window)
    assert (req.days.first, req.days.last) == (date(2026, 10, 24), date(2026, 10, 25))
    signups = dict(dated_values(sheets_sandbox, "Daily", 2))
    assert value(sheets_sandbox, req) == signups[date(2026, 10, 24)] + signups[date(2026, 10, 25)]


def test_rows_not_filled_in_yet_are_not_there(sheets_sandbox):
    december = month_window(2026, 12)
    today = NOW.astimezone(ZURICH).date()
    expected = sum(v for d, v in dated_values(sheets_sandbox, "Daily", 2) if d.month == 12)
    assert (
        value(sheets_sandbox, request(rows_query("Daily", "A", "B", "sum"), december)) == expected
    )
    assert (
        len([d for d, _ in dated_values(sheets_sandbox, "Daily", 2) if d.month == 12]) == today.day
    )
    message = error(sheets_sandbox, request(rows_query("Daily", "A", "B", "last_day"), december))
    assert "no row of Daily!A2:A is dated 2026-12-31" in message


def test_a_quoted_sheet_name(sheets_sandbox):
    q = rows_query("Q4 survey", "A", "B", "latest")
    assert value(sheets_sandbox, request(q, month_window(2026, 10))) == 4.25


@pytest.mark.parametrize(
    ("first", "last", "pick", "expected"),
    [
        (date(2026, 11, 2), date(2026, 11, 2), "latest", 5),
        (date(2026, 11, 5), date(2026, 11, 5), "sum", 15),
        (date(2026, 11, 1), date(2026, 11, 2), "sum", 5),
    ],
)
def test_quirky_rows_that_still_answer(sheets_sandbox, first, last, pick, expected):
    window = Window(
        datetime.combine(first, datetime.min.time(), ZURICH),
        datetime.combine(date.fromordinal(last.toordinal() + 1), datetime.min.time(), ZURICH),
    )
    assert value(sheets_sandbox, request(rows_query("Quirks", "A", "B", pick), window)) == expected


@pytest.mark.parametrize(
    ("day", "pick", "words"),
    [
        (date(2026, 11, 3), "sum", "Quirks!B3 holds the text 'n/a', not a number"),
        (date(2026, 11, 4), "last_day", "Quirks!B4 is empty"),
        (date(2026, 11, 5), "last_day", "2 rows of Quirks are dated 2026-11-05 (A5, A6)"),
        (date(2026, 11, 6), "latest", "Quirks!B7 holds TRUE, not a number"),
        (
            date(2026, 11, 20),
            "latest",
            "no row of Quirks!A2:A is dated within 2026-11-20..2026-11-20",
        ),
        (date(2026, 11, 20), "sum", "nothing to sum"),
    ],
)
def test_quirky_rows_fail_naming_the_cell(sheets_sandbox, day, pick, words):
    window = Window(
        datetime.combine(day, datetime.min.time(), ZURICH),
        datetime.combine(date.fromordinal(day.toordinal() + 1), datetime.min.time(), ZURICH),
    )
    assert words in error(sheets_sandbox, request(rows_query("Quirks", "A", "B", pick), window))


def test_a_date_typed_as_text_fails_naming_the_cell(sheets_sandbox):
    message = error(sheets_sandbox, request(rows_query("Typos", "A", "B", "sum"), NOVEMBER))
    assert "Typos!A3 holds '2 Nov', not a date" in message


def test_dated_rows_refuse_a_snapshot(sheets_sandbox):
    moment = datetime(2026, 12, 1, tzinfo=ZURICH)
    req = MetricRequest("survey", rows_query("Daily", "A", "B", "sum"), Window(moment, moment))
    assert "not snapshot" in error(sheets_sandbox, req)


def test_a_sheet_in_another_zone_counts_its_own_days(tmp_path):
    sandbox = make_sandbox(tmp_path / "key.json", time_zone="America/New_York")
    try:
        q = rows_query("Daily", "A", "B", "sum")
        with connector_for(sandbox, timezone="America/New_York") as connector:
            traits = connector.traits(connector.config, q, ZURICH)
            assert traits.day_zone == NEW_YORK
            window = Window(
                datetime(2026, 11, 3, tzinfo=NEW_YORK), datetime(2026, 11, 5, tzinfo=NEW_YORK)
            )
            (result,) = connector.collect([request(q, window, zone=NEW_YORK)])
        signups = dict(dated_values(sandbox, "Daily", 2))
        assert isinstance(result, Observation), result
        assert result.value == signups[date(2026, 11, 3)] + signups[date(2026, 11, 4)]
    finally:
        sandbox.stop()


def test_a_zone_other_than_the_sheets_fails_dated_rows_and_the_check(tmp_path):
    sandbox = make_sandbox(tmp_path / "key.json", time_zone="America/New_York")
    try:
        dated = request(rows_query("Daily", "A", "B", "sum"), NOVEMBER)
        cell = request(query(cell="Summary!B2"), NOVEMBER)
        with connector_for(sandbox) as connector:
            failed, fine = connector.collect([dated, cell])
            with pytest.raises(QueryError) as raised:
                connector.check()
        assert isinstance(fine, Observation)
        assert isinstance(failed, RequestFailed)
        assert "is in time zone America/New_York" in str(failed.error)
        assert "set timezone: America/New_York" in str(failed.error)
        assert "set timezone: America/New_York" in str(raised.value)
        # The time zone is asked once per connector, not per read.
        assert len(sandbox.requests_to("/values/")) == 1
    finally:
        sandbox.stop()


def test_a_backfill_reads_the_sheet_once(fresh_sandbox):
    q = rows_query("Daily", "A", "B", "last_day")
    revenue = rows_query("Daily", "A", "C", "sum")
    days = [date(2026, 10, d) for d in range(1, 31)]
    requests = [
        request(
            q,
            Window(
                datetime.combine(d, datetime.min.time(), ZURICH),
                datetime.combine(date.fromordinal(d.toordinal() + 1), datetime.min.time(), ZURICH),
            ),
        )
        for d in days
    ] + [request(revenue, month_window(2026, 10))]
    with connector_for(fresh_sandbox) as connector:
        results = connector.collect(requests)
        calls = connector.context.stats.calls
    signups = dict(dated_values(fresh_sandbox, "Daily", 2))
    assert [r.value for r in results[:-1]] == [signups[d] for d in days]
    revenues = dict(dated_values(fresh_sandbox, "Daily", 3))
    assert results[-1].value == pytest.approx(sum(v for d, v in revenues.items() if d.month == 10))
    assert len(fresh_sandbox.requests_to("/values/")) == 1
    assert calls == 2  # the time zone once, the columns once
    assert len(fresh_sandbox.requests_to("/token")) == 1


def test_traits(sheets_sandbox):
    with connector_for(sheets_sandbox) as connector:
        cell = connector.traits(connector.config, query(cell="Summary!B2", kind="count"), ZURICH)
        rows = connector.traits(connector.config, rows_query("Daily", "A", "B", "sum"), ZURICH)
    assert (cell.day_zone, cell.past_windows, cell.past_snapshots) == (None, False, False)
    assert cell.kind is ValueKind.COUNT
    assert (rows.day_zone, rows.past_windows, rows.past_snapshots) == (ZURICH, True, False)


def test_describe_names_the_range_and_days(sheets_sandbox):
    with connector_for(sheets_sandbox, context=fast_context()) as connector:
        text = connector.describe(request(rows_query("Survey", "A", "C", "latest"), NOVEMBER))
    assert "values.get 'Survey!A2:C'" in text
    assert "latest of column C by column A, days 2026-11-01..2026-11-30 (Europe/Zurich)" in text
