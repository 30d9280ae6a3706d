"""The rules the framework decides once for every connector (issue 10): whole days, present-only
queries, and values that cannot be true.

The fake ``daily`` source answers ``per_day`` × the number of days it was asked for (its
``days`` when it counts whole days, else the window's length), so every expected value below is
worked out by hand from the windows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import DaySpan, Window
from syncd.errors import QueryError
from syncd.sync import Syncer

ZURICH = ZoneInfo("Europe/Zurich")
NEW_YORK = ZoneInfo("America/New_York")

CONFIG = """
timezone: Europe/Zurich
store: sqlite:///{tmp}/unused.db
sources:
  web: {type: daily, days_in: %(web_zone)s}
  crm: {type: daily}
  search: {type: daily, present_only: true}
  counts: {type: daily, kind: count}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
metrics:
  signups: {source: web, query: {per_day: 10}, window: trailing_7d}
  leads: {source: crm, query: {per_day: 100}, window: trailing_7d}
  signup_rate: {ratio: {numerator: signups, denominator: leads}, window: trailing_7d}
  open_deals: {source: search, query: {per_day: 1}, window: trailing_7d}
  huge: {source: crm, query: {per_day: 1, raw: "1e400"}, window: trailing_7d}
  not_a_number: {source: crm, query: {per_day: 1, raw: "NaN"}, window: trailing_7d}
  negative_count: {source: counts, query: {per_day: 1, raw: "-5"}, window: trailing_7d}
  fine_count: {source: counts, query: {per_day: 3}, window: trailing_7d}
objectives:
  - id: growth
    title: Grow
    team: web
    cycle: q4
    key_results:
      - {id: rate, title: Rate, metric: signup_rate, focus: user, baseline: 0, target: 1,
         schedule: "%(schedule)s", running_day: %(running_day)s}
      - {id: deals, title: Deals, metric: open_deals, focus: business, baseline: 0, target: 9}
      - {id: huge, title: Huge, metric: huge, focus: business, baseline: 0, target: 9}
      - {id: nan, title: NaN, metric: not_a_number, focus: business, baseline: 0, target: 9}
      - {id: negative, title: Negative, metric: negative_count, focus: business,
         baseline: 0, target: 9}
      - {id: fine, title: Fine, metric: fine_count, focus: business, baseline: 0, target: 9}
"""


def config(
    write_config, *, schedule: str = "hourly", web_zone: str = "Europe/Zurich", running_day=False
):
    values = {
        "schedule": schedule,
        "web_zone": web_zone,
        "running_day": "true" if running_day else "false",
    }
    return write_config(CONFIG % values)


def utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite hands back naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def requests_of(connector, source: str):
    return [r for r in connector.requests if r.source == source]


def test_hourly_ratio_across_sources_reads_the_same_complete_days(
    write_config, sqlite_store, daily_connector
):
    loaded = config(write_config)
    as_of = datetime(2026, 11, 21, 14, 30, tzinfo=ZURICH)  # hourly slot 14:00

    report = Syncer(loaded).run(sqlite_store, as_of, kr_ids=["rate"])

    # trailing_7d at 14:00 would be 14 Nov 14:00 – 21 Nov 14:00: half days at both ends. The
    # day-counting operand snaps it to the 7 complete days before today, for both operands.
    complete = Window(datetime(2026, 11, 14, tzinfo=ZURICH), datetime(2026, 11, 21, tzinfo=ZURICH))
    (web,) = requests_of(daily_connector, "web")
    (crm,) = requests_of(daily_connector, "crm")
    assert web.window == crm.window == complete
    assert web.days == DaySpan(date(2026, 11, 14), date(2026, 11, 21))
    assert crm.days is None  # exact instants, the same ones
    (result,) = report.results
    assert result.evaluated.value == pytest.approx(70 / 700)
    (stored,) = sqlite_store.measurements("rate")
    assert (utc(stored.window_start), utc(stored.window_end)) == (complete.start, complete.end)


def test_cron_slot_with_a_source_in_another_zone_reads_that_zones_days(
    write_config, sqlite_store, daily_connector
):
    # 06:00 in Zurich is midnight in New York in November: the property's days end exactly at
    # the slot, so the window is already whole New York days.
    loaded = config(write_config, schedule="0 6 * * *", web_zone="America/New_York")
    as_of = datetime(2026, 11, 21, 9, 0, tzinfo=ZURICH)

    Syncer(loaded).run(sqlite_store, as_of, kr_ids=["rate"])

    ny_days = Window(
        datetime(2026, 11, 14, tzinfo=NEW_YORK), datetime(2026, 11, 21, tzinfo=NEW_YORK)
    )
    (web,) = requests_of(daily_connector, "web")
    (crm,) = requests_of(daily_connector, "crm")
    assert web.window == crm.window == ny_days
    assert web.days == DaySpan(date(2026, 11, 14), date(2026, 11, 21))


def test_cron_slot_that_is_not_midnight_in_the_sources_zone_drops_the_partial_day(
    write_config, sqlite_store, daily_connector
):
    loaded = config(write_config, schedule="0 6 * * *")
    as_of = datetime(2026, 11, 21, 9, 0, tzinfo=ZURICH)  # slot 06:00 Zurich

    report = Syncer(loaded).run(sqlite_store, as_of, kr_ids=["rate"])

    (web,) = requests_of(daily_connector, "web")
    (crm,) = requests_of(daily_connector, "crm")
    start, end = datetime(2026, 11, 14, tzinfo=ZURICH), datetime(2026, 11, 21, tzinfo=ZURICH)
    assert web.window == crm.window == Window(start, end)
    assert report.results[0].evaluated.value == pytest.approx(0.1)


def test_running_day_counts_today_so_far_when_the_kr_opts_in(
    write_config, sqlite_store, daily_connector
):
    loaded = config(write_config, running_day=True)
    as_of = datetime(2026, 11, 21, 14, 30, tzinfo=ZURICH)

    Syncer(loaded).run(sqlite_store, as_of, kr_ids=["rate"])

    (web,) = requests_of(daily_connector, "web")
    (crm,) = requests_of(daily_connector, "crm")
    window = Window(
        datetime(2026, 11, 14, tzinfo=ZURICH), datetime(2026, 11, 21, 14, tzinfo=ZURICH)
    )
    assert web.window == crm.window == window
    assert web.days == DaySpan(date(2026, 11, 14), date(2026, 11, 22))  # today included


def test_backfill_stores_nothing_past_for_a_present_only_query(
    write_config, sqlite_store, daily_connector
):
    loaded = config(write_config, schedule="daily")
    until = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)
    syncer = Syncer(loaded)

    report = syncer.backfill(sqlite_store, date(2026, 11, 15), until, kr_ids=["deals"])

    # Only the current slot (today 00:00) is asked; the six past days are not invented.
    today = datetime(2026, 11, 21, tzinfo=ZURICH)
    assert {r.binding.slot for r in report.results} == {today}
    assert [utc(m.window_end) for m in sqlite_store.measurements("deals")] == [today]
    assert {r.window.end for r in requests_of(daily_connector, "search")} == {
        datetime(2026, 11, 21, tzinfo=ZURICH)
    }


def test_catch_up_of_a_past_slot_skips_a_present_only_query(
    write_config, sqlite_store, daily_connector
):
    """What the daemon does for a missed slot: run it with ``present`` = now."""
    loaded = config(write_config, schedule="daily")
    missed = datetime(2026, 11, 19, tzinfo=ZURICH)
    now = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)

    report = Syncer(loaded).run(
        sqlite_store, missed, kr_ids=["deals", "fine"], trigger="schedule", present=now
    )

    assert [r.binding.kr.id for r in report.results] == ["fine"]
    reason = dict(report.skipped)["deals"]
    assert reason.startswith("search reads only the present state for this query")
    assert sqlite_store.measurements("deals") == []
    assert requests_of(daily_connector, "search") == []


def test_impossible_values_fail_only_their_request_and_later_passes_store(
    write_config, sqlite_store, daily_connector
):
    loaded = config(write_config, schedule="daily")
    syncer = Syncer(loaded)
    first = datetime(2026, 11, 20, 10, tzinfo=ZURICH)

    report = syncer.run(sqlite_store, first, kr_ids=["huge", "nan", "negative", "fine"])

    errors = {r.binding.kr.id: r.evaluated.error for r in report.results}
    assert errors["fine"] is None
    for kr_id, raw in (("huge", "1e400"), ("nan", "NaN"), ("negative", "-5")):
        assert isinstance(errors[kr_id], QueryError), kr_id
        assert raw in str(errors[kr_id])
    assert "cannot be a count" in str(errors["negative"])
    assert [m.value for m in sqlite_store.measurements("fine")] == [21.0]
    for kr_id in ("huge", "nan", "negative"):
        assert sqlite_store.measurements(kr_id) == []

    # The next day's pass stores again: nothing of the bad answers lingers.
    syncer.run(sqlite_store, first + timedelta(days=1), kr_ids=["fine"])
    assert [m.value for m in sqlite_store.measurements("fine")] == [21.0, 21.0]
