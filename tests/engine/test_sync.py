"""The sync engine through real config loading, a real store and an in-process fake source.

Expected values are worked out by hand: the fake answers ``per_day`` × window length in days.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from structlog.testing import capture_logs

from syncd.errors import AuthError, ConfigError, QueryError, SourceError
from syncd.sync import Syncer

from .fakes import DailyConnector

CONFIG = """
timezone: UTC
store: sqlite:///{tmp}/unused.db
sources:
  web: {type: daily}
  shop: {type: daily}
  broken: {type: daily, mode: auth}
  crashy: {type: daily, mode: crash}
  research: {type: manual}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
metrics:
  visits: {source: web, query: {per_day: 100}, window: trailing_7d}
  orders: {source: shop, query: {per_day: 5}, window: trailing_7d}
  conversion: {ratio: {numerator: orders, denominator: visits}, window: trailing_7d}
  yesterday_total: {sum: [visits, orders], window: calendar_day}
  yesterday_gap: {difference: [visits, orders], window: calendar_day}
  locked_out: {source: broken, query: {per_day: 1}}
  crashing: {source: crashy, query: {per_day: 1}}
  nothing: {source: web, query: {per_day: 0}, window: trailing_7d}
  per_nothing: {ratio: {numerator: visits, denominator: nothing}, window: trailing_7d}
  nps: {source: research, query: {min: -100, max: 100}, window: snapshot}
objectives:
  - id: shop
    title: Sell more
    team: web
    cycle: q4
    key_results:
      - {id: visits-7d, title: Visits, metric: visits, focus: user, baseline: 500, target: 900}
      - {id: conversion, title: Conversion, metric: conversion, focus: business,
         baseline: 0.03, target: 0.06}
      - {id: total, title: Total, metric: yesterday_total, focus: business,
         baseline: 0, target: 200}
      - {id: gap, title: Gap, metric: yesterday_gap, focus: business, baseline: 0, target: 200}
      - {id: locked, title: Locked, metric: locked_out, focus: business, baseline: 0, target: 10}
      - {id: crash, title: Crash, metric: crashing, focus: business, baseline: 0, target: 10}
      - {id: per-nothing, title: Undefined, metric: per_nothing, focus: business,
         baseline: 0, target: 1}
      - {id: nps, title: NPS, metric: nps, focus: user, baseline: 50, target: 70}
      - {id: gut-feel, title: Felt progress, focus: user, baseline: 0, target: 10}
"""

AS_OF = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)  # daily slot: 2026-11-21 00:00 UTC


def values(report) -> dict[str, float | None]:
    return {r.binding.kr.id: r.evaluated.value for r in report.results}


def errors(report) -> dict[str, SourceError | None]:
    return {r.binding.kr.id: r.evaluated.error for r in report.results if not r.ok}


def test_values_from_sums_and_failing_sources_cost_only_their_krs(write_config, sqlite_store):
    loaded = write_config(CONFIG)
    with capture_logs() as events:
        report = Syncer(loaded).run(sqlite_store, AS_OF)

    assert values(report) == {
        "visits-7d": 700.0,  # 100 a day × 7 days
        "conversion": 35 / 700,  # sums first: 5×7 / 100×7
        "total": 105.0,  # calendar day at a midnight slot: the whole day before, 100 + 5
        "gap": 95.0,
        "locked": None,
        "crash": None,
        "per-nothing": None,
    }
    failed = errors(report)
    assert isinstance(failed["locked"], AuthError)
    assert type(failed["crash"]) is SourceError
    assert "connector crashed: RuntimeError: boom" in str(failed["crash"])
    assert isinstance(failed["per-nothing"], QueryError)
    assert "denominator is 0" in str(failed["per-nothing"])
    assert dict(report.skipped) == {
        "nps": "manual source: values arrive by `syncd checkin`",
        "gut-feel": "no metric: values arrive by `syncd checkin`",
    }
    assert report.written.inserted == 4
    assert {name: outcome.outcome for name, outcome in report.sources.items()} == {
        "web": "ok",
        "shop": "ok",
        "broken": "failed",
        "crashy": "failed",
    }
    runs = {run.source: run for run in sqlite_store.runs()}
    assert runs["broken"].outcome == "failed" and "token rejected" in runs["broken"].error
    assert runs["web"].outcome == "ok" and runs["web"].measurements == 4
    assert any(e["event"] == "connector.crashed" and e["source"] == "crashy" for e in events)


def test_each_distinct_request_is_asked_once(write_config, sqlite_store, daily_connector):
    loaded = write_config(CONFIG)
    report = Syncer(loaded).run(sqlite_store, AS_OF)
    asked = [
        (r.source, r.query.per_day, r.window.start, r.window.end) for r in DailyConnector.requests
    ]
    assert len(asked) == len(set(asked))
    # web: visits over 7 days (shared by visits-7d, conversion and per-nothing), visits over the
    # day, and the zero series; shop: orders over 7 days and over the day.
    assert report.sources["web"].stats.calls == 3
    assert report.sources["shop"].stats.calls == 2


def test_the_sources_of_a_pass_are_collected_at_once(write_config, sqlite_store, daily_connector):
    loaded = write_config(CONFIG)
    # Every fetch waits until all three are in flight: web's two (requests of a source in
    # parallel) and shop's one (sources in parallel); otherwise the barrier breaks.
    daily_connector.barrier = threading.Barrier(3, timeout=10)
    report = Syncer(loaded).run(sqlite_store, AS_OF, kr_ids=["visits-7d", "gap"])
    assert values(report) == {"visits-7d": 700.0, "gap": 95.0}
    assert {name: o.stats.calls for name, o in report.sources.items()} == {"web": 2, "shop": 1}
    runs = {run.source: (run.outcome, run.upstream_calls) for run in sqlite_store.runs()}
    assert runs == {"web": ("ok", 2), "shop": ("ok", 1)}


def test_sources_are_asked_while_the_store_learns_the_definitions(
    write_config, sqlite_store, daily_connector, monkeypatch
):
    loaded = write_config(CONFIG)
    # The fetch and the store's definitions meet at the barrier: if the definitions were
    # written before the sources were asked, the barrier would break.
    met = threading.Barrier(2, timeout=10)
    daily_connector.barrier = met
    define = sqlite_store.sync_definitions

    def sync_definitions(config):
        met.wait()
        define(config)

    monkeypatch.setattr(sqlite_store, "sync_definitions", sync_definitions)
    report = Syncer(loaded).run(sqlite_store, AS_OF, kr_ids=["visits-7d"])
    assert values(report) == {"visits-7d": 700.0}
    assert [m.value for m in sqlite_store.measurements("visits-7d")] == [700.0]


def test_second_sync_in_the_same_slot_updates_instead_of_adding(write_config, sqlite_store):
    loaded = write_config(CONFIG)
    first = Syncer(loaded).run(sqlite_store, AS_OF)
    later_same_slot = datetime(2026, 11, 21, 23, 59, tzinfo=UTC)
    second = Syncer(loaded).run(sqlite_store, later_same_slot)
    assert (first.written.inserted, second.written.inserted) == (4, 0)
    assert second.written.unchanged == 4
    assert len(sqlite_store.measurements("visits-7d")) == 1


def test_settle_rereads_recent_windows_and_keeps_the_revision(write_config, sqlite_store):
    loaded = write_config(
        CONFIG.replace(
            "{id: visits-7d, title: Visits, metric: visits,",
            "{id: visits-7d, title: Visits, metric: visits, settle: 3d,",
        )
    )
    syncer = Syncer(loaded)
    syncer.backfill(sqlite_store, date(2026, 11, 15), AS_OF, kr_ids=["visits-7d"])
    DailyConnector.factor = 1.1  # the source restates its recent data
    syncer.run(sqlite_store, datetime(2026, 11, 22, 0, 30, tzinfo=UTC), kr_ids=["visits-7d"])

    by_end = {m.window_end.date(): m for m in sqlite_store.measurements("visits-7d")}
    assert sorted(by_end) == [date(2026, 11, d) for d in range(16, 23)]
    # Slots of 19, 20 and 21 Nov lie within 3 days of the 22 Nov slot: read again, revised.
    for day in (19, 20, 21):
        assert by_end[date(2026, 11, day)].value == pytest.approx(770.0)
        assert by_end[date(2026, 11, day)].revision == 2
        old = sqlite_store.revisions(by_end[date(2026, 11, day)].id)
        assert [r.value for r in old] == [700.0]
    for day in (16, 17, 18):
        assert by_end[date(2026, 11, day)].value == 700.0
        assert by_end[date(2026, 11, day)].revision == 1
    assert by_end[date(2026, 11, 22)].value == pytest.approx(770.0)


def test_growth_against_a_fixed_and_a_previous_period(write_config, sqlite_store):
    metrics = (
        "metrics:\n"
        "  vs_september: {growth: {of: visits, compare_to: {start: 2026-09-01, end: 2026-09-11}},"
        " window: calendar_day}\n"
        "  vs_before: {growth: {of: visits, compare_to: previous_period}, window: cycle_to_date}\n"
    )
    krs = (
        "      - {id: vs-september, title: G, metric: vs_september, focus: user,"
        " baseline: 0, target: 1}\n"
        "      - {id: vs-before, title: G, metric: vs_before, focus: user,"
        " baseline: 0, target: 1}\n"
    )
    loaded = write_config(CONFIG.replace("metrics:\n", metrics) + krs)
    report = Syncer(loaded).run(sqlite_store, AS_OF, kr_ids=["vs-september", "vs-before"])
    # One day (100) against ten September days (1000): −90 %; equal spans: 0 %.
    assert values(report) == {"vs-september": pytest.approx(-0.9), "vs-before": 0.0}


def test_unknown_kr_filter_is_a_config_error_with_a_suggestion(write_config, sqlite_store):
    loaded = write_config(CONFIG)
    with pytest.raises(ConfigError) as caught:
        Syncer(loaded).run(sqlite_store, AS_OF, kr_ids=["visit-7d"])
    assert "did you mean 'visits-7d'?" in str(caught.value)


def test_krs_outside_their_cycle_are_skipped(write_config, sqlite_store):
    loaded = write_config(CONFIG)
    before = Syncer(loaded).run(sqlite_store, datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert not before.results
    assert dict(before.skipped)["visits-7d"] == "cycle starts 2026-10-01"
    long_after = Syncer(loaded).run(sqlite_store, datetime(2027, 2, 1, tzinfo=UTC))
    assert dict(long_after.skipped)["visits-7d"] == "cycle ended 2026-12-31"
    # Within a week of the end, the final moment is measured (once, whatever the day).
    just_after = Syncer(loaded).run(sqlite_store, datetime(2027, 1, 3, tzinfo=UTC))
    ends = {r.binding.window.end for r in just_after.results}
    assert ends == {datetime(2027, 1, 1, tzinfo=UTC)}


def test_sources_that_only_know_the_present_are_not_asked_for_past_snapshots(
    write_config, sqlite_store, daily_connector
):
    loaded = write_config(
        CONFIG.replace("web: {type: daily}", "web: {type: daily, present_only: true}").replace(
            "metrics:\n",
            "metrics:\n  open_now: {source: web, query: {per_day: 1}, window: snapshot}\n",
        )
        + "      - {id: open-now, title: Open, metric: open_now, focus: user, baseline: 9,"
        " target: 3, schedule: daily}\n"
    )
    syncer = Syncer(loaded)
    report = syncer.backfill(sqlite_store, date(2026, 11, 19), AS_OF, kr_ids=["open-now"])
    # The end of 19 Nov is a past slot: skipped. The end of 20 Nov is today's daily slot, the
    # one a source that only knows the present may answer (read at 10:30, stored for 00:00).
    assert {r.binding.slot for r in report.results} == {datetime(2026, 11, 21, tzinfo=UTC)}
    assert report.skipped == []  # the last day's pass had nothing to skip
    past = syncer.planner.plan(
        datetime(2026, 11, 20, tzinfo=UTC), kr_ids=["open-now"], present=AS_OF
    )
    assert list(past.skipped) == [
        (
            "open-now",
            "web reads only the present state for this query, so it cannot tell a snapshot "
            "ending 2026-11-20T00:00:00+00:00",
        )
    ]


def _stored(store) -> list[tuple]:
    """Every stored measurement with its revisions."""
    rows = []
    for kr_id in sorted(store.latest()):
        for m in store.measurements(kr_id):
            revisions = tuple((r.revision, r.value) for r in store.revisions(m.id))
            rows.append((kr_id, m.window_start, m.window_end, m.value, m.revision, revisions))
    return rows


def test_values_are_the_same_with_and_without_the_optimisations(
    write_config, tmp_path, monkeypatch, daily_connector
):
    from syncd import collect, planner, sync
    from syncd.store import Store, writes

    loaded = write_config(CONFIG)

    def two_passes(name: str):
        with Store.open(f"sqlite:///{tmp_path / name}") as store:
            daily_connector.factor = 1.0
            first = values(Syncer(loaded).run(store, AS_OF))
            daily_connector.factor = 2.0  # a restatement: every value gets a revision
            second = values(Syncer(loaded).backfill(store, date(2026, 11, 19), AS_OF))
            return first, second, _stored(store)

    optimised = two_passes("optimised.db")
    # Without: sources one after another, one request at a time, one row per insert, and the
    # schedule slot computed anew for every KR.
    monkeypatch.setattr(
        sync,
        "collect_sources",
        lambda pool, asked: {s: collect.run_connector(pool.get(s), r) for s, r in asked.items()},
    )
    monkeypatch.setattr(writes, "INSERT_CHUNK", 1)
    monkeypatch.setattr(
        planner._Slots,
        "slot",
        lambda self, spec, at: planner.parse_schedule(spec).slot(at, self._tz),
    )
    plain = two_passes("plain.db")
    assert optimised == plain
    assert optimised[0]["visits-7d"] == 700.0 and optimised[1]["visits-7d"] == 1400.0
    assert any(row[4] > 1 for row in optimised[2])  # revisions were kept alike
