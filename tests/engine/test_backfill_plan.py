"""A backfill planned as one plan stores what a pass per day stores, with fewer upstream calls.

The warehouse is a SQLite file with one order table whose rows are chosen so every value can be
worked out by hand: on day ``d`` of November there are ``d % 3 + 1`` orders of ``10 × d`` each.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from syncd.planner import backfill_moments
from syncd.store import Store
from syncd.sync import Syncer

CONFIG = """
timezone: UTC
store: sqlite:///{tmp}/unused.db
sources:
  warehouse: {type: sql, url: "sqlite:///{tmp}/warehouse.db"}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
metrics:
  orders_day:
    source: warehouse
    query:
      sql: "SELECT COUNT(*) FROM orders
        WHERE placed_on >= :start_date AND placed_on < :end_date"
    window: calendar_day
  revenue_7d:
    source: warehouse
    query:
      sql: "SELECT SUM(amount) FROM orders
        WHERE placed_on >= :start_date AND placed_on < :end_date"
    window: trailing_7d
objectives:
  - id: shop
    title: Sell more
    team: web
    cycle: q4
    key_results:
      - {id: orders, title: Orders, metric: orders_day, focus: user, baseline: 0, target: 5}
      - {id: revenue, title: Revenue, metric: revenue_7d, focus: business, baseline: 0,
         target: 2000, settle: 2d}
"""

SINCE = date(2026, 11, 10)
UNTIL = datetime(2026, 11, 14, 10, 30, tzinfo=UTC)


def orders_on(day: int) -> int:
    return day % 3 + 1


@pytest.fixture
def loaded(write_config, tmp_path: Path):
    with sqlite3.connect(tmp_path / "warehouse.db") as db:
        db.execute("CREATE TABLE orders (placed_on DATE, amount REAL)")
        for day in range(1, 31):
            db.executemany(
                "INSERT INTO orders VALUES (?, ?)",
                [(date(2026, 11, day).isoformat(), 10.0 * day)] * orders_on(day),
            )
    return write_config(CONFIG)


def stored(store: Store) -> list[tuple[str, datetime, datetime, float, int]]:
    return sorted(
        (kr_id, m.window_start, m.window_end, m.value, m.revision)
        for kr_id in ("orders", "revenue")
        for m in store.measurements(kr_id)
    )


def test_one_plan_stores_the_values_of_a_pass_per_day(loaded, tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'by-day.db'}") as store:
        syncer = Syncer(loaded)
        by_day_calls = 0
        for _day, as_of, per_schedule in backfill_moments(SINCE, UNTIL, syncer.tz):
            report = syncer.run(
                store, as_of, trigger="backfill", per_schedule=per_schedule, present=UNTIL
            )
            by_day_calls += report.sources["warehouse"].stats.calls
        by_day = stored(store)
    with Store.open(f"sqlite:///{tmp_path / 'one-plan.db'}") as store:
        heard: list[date] = []
        report = Syncer(loaded).backfill(
            store, SINCE, UNTIL, on_day=lambda day, _report: heard.append(day)
        )
        one_plan = stored(store)
        runs = store.runs(limit=10)

    assert one_plan == by_day
    assert heard == [date(2026, 11, d) for d in range(10, 15)]
    # Four whole days (10–13 Nov); the last, partial day meets the 14 Nov 00:00 slot again.
    midnight = [datetime(2026, 11, d, tzinfo=UTC) for d in range(10, 15)]
    orders = [(s, e, v) for kr, s, e, v, _r in one_plan if kr == "orders"]
    assert orders == [(midnight[i], midnight[i + 1], orders_on(10 + i)) for i in range(4)]
    revenue = {e: v for kr, _s, e, v, _r in one_plan if kr == "revenue"}
    for end in midnight[1:]:
        days = [end.day - back for back in range(1, 8)]
        assert revenue[end] == sum(10.0 * d * orders_on(d) for d in days)
    # Eight distinct statements in one UNION ALL, not one call per day.
    assert report.sources["warehouse"].stats.calls == 1 < by_day_calls
    assert report.written.inserted == len(one_plan) == 8
    assert [run.trigger for run in runs] == ["backfill"]


def test_a_settled_window_stored_before_the_backfill_is_read_again(loaded, tmp_path: Path):
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        syncer = Syncer(loaded)
        # A daily pass stored 9 Nov's window before; 10 Nov's pass reads it again (settle: 2d).
        before = datetime(2026, 11, 9, tzinfo=UTC)
        syncer.run(store, before, kr_ids=["revenue"])
        with sqlite3.connect(tmp_path / "warehouse.db") as db:
            db.execute("INSERT INTO orders VALUES ('2026-11-08', 1000.0)")  # a late order
        report = syncer.backfill(store, SINCE, UNTIL, kr_ids=["revenue"])
        ends = {m.window_end: m for m in store.measurements("revenue")}

    expected = sum(10.0 * d * orders_on(d) for d in range(2, 9)) + 1000.0
    assert ends[before].value == expected
    assert ends[before].revision == 2
    # The backfill's own windows end 11–14 Nov; 9 Nov's came from the store's settle read.
    assert {r.binding.window.end for r in report.results} == {
        before + timedelta(days=n) for n in (0, 2, 3, 4, 5)
    }
