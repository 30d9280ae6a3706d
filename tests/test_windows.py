"""KR windows: every kind, at period boundaries and across DST in Europe/Zurich."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import Window
from syncd.windows import (
    WindowSpec,
    local_midnight,
    parse_window,
    period_start,
    previous_period,
    previous_year,
    shift_local,
)

ZRH = ZoneInfo("Europe/Zurich")
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZRH)


def resolve(spec: str, as_of: datetime) -> Window:
    return parse_window(spec).resolve(as_of, ZRH, *Q4)


def hours(window: Window) -> float:
    """The real length of a window (aware subtraction in UTC, not wall-clock)."""
    return (window.end.astimezone(UTC) - window.start.astimezone(UTC)) / timedelta(hours=1)


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("cycle_to_date", WindowSpec(kind="cycle_to_date")),
        ("snapshot", WindowSpec(kind="snapshot")),
        ("trailing_28d", WindowSpec(kind="trailing", days=28)),
        ("trailing_1d", WindowSpec(kind="trailing", days=1)),
        ("  trailing_7d ", WindowSpec(kind="trailing", days=7)),
        ("calendar_day", WindowSpec(kind="calendar", unit="day")),
        ("calendar_week", WindowSpec(kind="calendar", unit="week")),
        ("calendar_month", WindowSpec(kind="calendar", unit="month")),
        ("calendar_quarter", WindowSpec(kind="calendar", unit="quarter")),
        ("since:2026-10-15", WindowSpec(kind="since", since=date(2026, 10, 15))),
    ],
)
def test_parse_window(spec, parsed):
    assert parse_window(spec) == parsed
    assert str(parse_window(spec)) == spec.strip()


@pytest.mark.parametrize(
    "spec", ["trailing_0d", "trailing_28", "trailing_10000d", "calendar_year", "last_week", ""]
)
def test_unknown_window_names_the_accepted_forms(spec):
    with pytest.raises(ValueError, match="unknown window") as info:
        parse_window(spec)
    assert "cycle_to_date, trailing_<N>d" in str(info.value)
    assert "since:YYYY-MM-DD" in str(info.value)


def test_since_with_an_impossible_date():
    with pytest.raises(ValueError, match=r"'since:2026-02-30': day is out of range"):
        parse_window("since:2026-02-30")


def test_resolve_rejects_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_window("snapshot").resolve(datetime(2026, 11, 1), ZRH, *Q4)


# --- snapshot and cycle_to_date -------------------------------------------------------------


def test_snapshot_is_a_point_in_local_time():
    window = resolve("snapshot", datetime(2026, 11, 3, 8, 15, tzinfo=UTC))
    assert window == Window(at(2026, 11, 3, 9, 15), at(2026, 11, 3, 9, 15))
    assert window.is_snapshot
    assert window.end.utcoffset() == timedelta(hours=1)


def test_cycle_to_date_starts_at_local_midnight_of_the_first_day():
    window = resolve("cycle_to_date", at(2026, 11, 15, 10, 30))
    assert window.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # 00:00 CEST
    assert window.end == at(2026, 11, 15, 10, 30)


def test_cycle_to_date_is_capped_at_the_cycle_end():
    window = resolve("cycle_to_date", at(2027, 1, 20, 6))
    assert window.end == datetime(2026, 12, 31, 23, tzinfo=UTC)  # 2027-01-01 00:00 CET
    # 92 days plus the hour gained on 2026-10-25
    assert hours(window) == 92 * 24 + 1


def test_cycle_to_date_before_the_cycle_is_empty():
    window = resolve("cycle_to_date", at(2026, 9, 20, 12))
    assert window.start == window.end == at(2026, 10, 1)


# --- trailing -------------------------------------------------------------------------------


def test_trailing_28d_in_a_plain_month():
    window = resolve("trailing_28d", at(2026, 11, 29, 6))
    assert window == Window(at(2026, 11, 1, 6), at(2026, 11, 29, 6))
    assert hours(window) == 28 * 24


def test_trailing_window_across_the_autumn_dst_change_keeps_wall_clock_days():
    window = resolve("trailing_7d", at(2026, 10, 28))
    assert window.start == at(2026, 10, 21)
    assert window.start.utcoffset() == timedelta(hours=2)
    assert window.end.utcoffset() == timedelta(hours=1)
    assert hours(window) == 7 * 24 + 1
    assert hours(resolve("trailing_1d", at(2026, 10, 26))) == 25


def test_trailing_window_across_the_spring_dst_change():
    window = resolve("trailing_1d", at(2026, 3, 30))
    assert window == Window(at(2026, 3, 29), at(2026, 3, 30))
    assert hours(window) == 23


# --- calendar -------------------------------------------------------------------------------


def test_calendar_day_to_date_and_at_midnight():
    assert resolve("calendar_day", at(2026, 10, 26, 10)) == Window(
        at(2026, 10, 26), at(2026, 10, 26, 10)
    )
    # A midnight slot covers the day that just ended, complete: the 25-hour DST day.
    window = resolve("calendar_day", at(2026, 10, 26))
    assert window == Window(at(2026, 10, 25), at(2026, 10, 26))
    assert hours(window) == 25


def test_calendar_week_is_iso_monday_based():
    # 2026-10-28 is a Wednesday; its week starts Monday 2026-10-26.
    assert resolve("calendar_week", at(2026, 10, 28, 15)).start == at(2026, 10, 26)
    # Sunday evening still belongs to the week that started the Monday before.
    assert resolve("calendar_week", at(2026, 11, 1, 23, 59)).start == at(2026, 10, 26)
    # Monday 00:00: the full previous week (19 to 26 October, 7 days + the DST hour).
    window = resolve("calendar_week", at(2026, 10, 26))
    assert window == Window(at(2026, 10, 19), at(2026, 10, 26))
    assert hours(window) == 7 * 24 + 1


@pytest.mark.parametrize(
    ("as_of", "start"),
    [
        (at(2026, 11, 15, 12), at(2026, 11, 1)),
        (at(2026, 11, 1, 0, 0, 1), at(2026, 11, 1)),
        (at(2026, 11, 1), at(2026, 10, 1)),  # midnight: October, complete
        (at(2026, 3, 1), at(2026, 2, 1)),
        (at(2028, 2, 29, 8), at(2028, 2, 1)),
    ],
)
def test_calendar_month(as_of, start):
    assert resolve("calendar_month", as_of) == Window(start, as_of)


@pytest.mark.parametrize(
    ("as_of", "start"),
    [
        (at(2026, 2, 14, 9), at(2026, 1, 1)),
        (at(2026, 6, 30, 23, 59), at(2026, 4, 1)),
        (at(2026, 7, 1), at(2026, 4, 1)),  # midnight: Q2, complete
        (at(2026, 7, 1, 6), at(2026, 7, 1)),
        (at(2026, 12, 31, 23, 59), at(2026, 10, 1)),
        (at(2027, 1, 1), at(2026, 10, 1)),
    ],
)
def test_calendar_quarter(as_of, start):
    assert resolve("calendar_quarter", as_of) == Window(start, as_of)


def test_calendar_quarter_across_the_year_boundary_in_utc_input():
    # 2026-12-31 23:30 UTC is already 2027-01-01 00:30 in Zurich: the new quarter.
    window = resolve("calendar_quarter", datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert window.start == at(2027, 1, 1)


@pytest.mark.parametrize(
    ("day", "unit", "start"),
    [
        (date(2026, 10, 25), "day", date(2026, 10, 25)),
        (date(2026, 10, 25), "week", date(2026, 10, 19)),  # a Sunday
        (date(2026, 10, 19), "week", date(2026, 10, 19)),  # a Monday
        (date(2026, 1, 1), "week", date(2025, 12, 29)),
        (date(2026, 10, 25), "month", date(2026, 10, 1)),
        (date(2026, 3, 31), "quarter", date(2026, 1, 1)),
        (date(2026, 4, 1), "quarter", date(2026, 4, 1)),
        (date(2026, 9, 30), "quarter", date(2026, 7, 1)),
        (date(2026, 11, 30), "quarter", date(2026, 10, 1)),
    ],
)
def test_period_start(day, unit, start):
    assert period_start(day, unit) == start


# --- since ----------------------------------------------------------------------------------


def test_since_starts_at_local_midnight():
    window = resolve("since:2026-10-15", at(2026, 11, 1, 12))
    assert window == Window(at(2026, 10, 15), at(2026, 11, 1, 12))
    assert window.start == datetime(2026, 10, 14, 22, tzinfo=UTC)


def test_since_before_its_date_is_empty():
    window = resolve("since:2026-10-15", at(2026, 10, 10))
    assert window.start == window.end == at(2026, 10, 15)


# --- helpers --------------------------------------------------------------------------------


def test_local_midnight():
    assert local_midnight(date(2026, 10, 25), ZRH) == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert local_midnight(date(2026, 10, 26), ZRH) == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_shift_local_keeps_wall_clock_across_dst():
    moment = at(2026, 10, 24, 9)
    shifted = shift_local(moment, ZRH, days=2)
    assert shifted == at(2026, 10, 26, 9)
    assert hours(Window(moment, shifted)) == 49
    assert shift_local(datetime(2026, 10, 26, 8, tzinfo=UTC), ZRH, days=-1) == at(2026, 10, 25, 9)


def test_shift_local_by_years_handles_29_february():
    assert shift_local(at(2028, 2, 29, 12), ZRH, years=-1) == at(2027, 2, 28, 12)
    assert shift_local(at(2026, 7, 4), ZRH, years=-1) == at(2025, 7, 4)


def test_previous_period_of_a_local_window_is_the_same_number_of_local_days():
    # 1 to 29 October (28 local days, 28 d + 1 h real) → 3 September to 1 October.
    window = resolve("trailing_28d", at(2026, 10, 29))
    assert window == Window(at(2026, 10, 1), at(2026, 10, 29))
    assert previous_period(window, ZRH) == Window(at(2026, 9, 3), at(2026, 10, 1))


def test_previous_period_of_a_utc_window():
    window = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))
    assert previous_period(window, ZRH) == Window(
        datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )


def test_previous_year_is_the_same_local_span():
    window = Window(at(2026, 10, 1), at(2026, 12, 1))
    assert previous_year(window, ZRH) == Window(at(2025, 10, 1), at(2025, 12, 1))


@pytest.mark.parametrize("spec", ["since:0001-01-01", "since:9999-12-31", "since:1899-12-31"])
def test_since_dates_far_from_now_are_refused(spec):
    with pytest.raises(
        ValueError, match="is out of range: use a date from 1900-01-01 to 2999-12-31"
    ):
        parse_window(spec)


def test_since_an_impossible_date_is_refused():
    with pytest.raises(ValueError, match="'since:2026-02-30': day is out of range for month"):
        parse_window("since:2026-02-30")
