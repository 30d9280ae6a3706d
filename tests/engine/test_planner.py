"""The one planner (issue 16): a pure function of the config, the moments and the settle
windows handed in; every command and the daemon's jobs plan with it.

The fake ``daily`` source answers ``per_day`` × the days asked, so expected values and windows
are worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import DaySpan, Window
from syncd.errors import ConfigError
from syncd.planner import Planner, backfill_moments, plan
from syncd.preview import run_preview
from syncd.sync import Syncer

ZURICH = ZoneInfo("Europe/Zurich")

CONFIG = """
timezone: Europe/Zurich
store: sqlite:///{tmp}/unused.db
sources:
  web: {type: daily, days_in: Europe/Zurich}
  crm: {type: daily}
  search: {type: daily, present_only: true}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
  sprint: {start: 2026-10-01, end: 2026-11-15}
metrics:
  signups: {source: web, query: {per_day: 10}, window: trailing_7d}
  leads: {source: crm, query: {per_day: 100}, window: trailing_7d}
  signup_rate: {ratio: {numerator: signups, denominator: leads}, window: trailing_7d}
  open_deals: {source: search, query: {per_day: 1}, window: snapshot}
objectives:
  - id: growth
    title: Grow
    team: web
    cycle: q4
    key_results:
      - {id: signups, title: Signups, metric: signups, focus: user, baseline: 0, target: 99,
         settle: 3d}
      - {id: rate, title: Rate, metric: signup_rate, focus: user, baseline: 0, target: 1}
      - {id: leads-hourly, title: Leads, metric: leads, focus: user, baseline: 0, target: 9,
         schedule: hourly}
  - id: sprint
    title: Close the sprint
    team: web
    cycle: sprint
    key_results:
      - {id: deals, title: Deals, metric: open_deals, focus: business, baseline: 0, target: 9}
"""

AS_OF = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)  # daily slot 21 Nov 00:00, hourly 10:00
MIDNIGHT = datetime(2026, 11, 21, tzinfo=ZURICH)


def test_a_plan_holds_each_sources_distinct_requests_with_their_days(write_config):
    loaded = write_config(CONFIG)

    planned = plan(loaded.config, AS_OF)  # no store anywhere: the planner reads none

    assert {b.kr.id: b.window for b in planned.bindings} == {
        "signups": Window(datetime(2026, 11, 14, tzinfo=ZURICH), MIDNIGHT),
        "rate": Window(datetime(2026, 11, 14, tzinfo=ZURICH), MIDNIGHT),
        "leads-hourly": Window(
            datetime(2026, 11, 14, 10, tzinfo=ZURICH), datetime(2026, 11, 21, 10, tzinfo=ZURICH)
        ),
    }
    # The sprint ended on 15 Nov: its last moment is in the past, and search knows only now.
    assert planned.skipped == (
        (
            "deals",
            "search reads only the present state for this query, so it cannot tell a "
            "snapshot ending 2026-11-16T00:00:00+01:00",
        ),
    )
    # signups and rate share one web request (14–21 Nov, seven whole days); crm is asked for
    # the daily rate's seven days and the hourly KR's window ending 10:00.
    assert planned.sources == ["crm", "web"]
    (web,) = planned.requests["web"]
    assert (web.window.start, web.window.end) == (datetime(2026, 11, 14, tzinfo=ZURICH), MIDNIGHT)
    assert web.days == DaySpan(date(2026, 11, 14), date(2026, 11, 21))
    assert sorted((r.window.end, r.days) for r in planned.requests["crm"]) == [
        (MIDNIGHT, None),
        (datetime(2026, 11, 21, 10, tzinfo=ZURICH), None),
    ]
    assert planned.by_kr.keys() == {"signups", "rate", "leads-hourly"}


def test_a_daemon_job_plans_the_same_bindings_as_a_sync_of_every_kr(write_config):
    loaded = write_config(CONFIG)
    planner = Planner(loaded.config)
    whole = planner.plan(AS_OF)

    jobs = planner.jobs()

    assert {key: job.kr_ids for key, job in jobs.items()} == {
        "web@daily": ("signups",),
        "crm+web@daily": ("rate",),
        "crm@hourly": ("leads-hourly",),
        "search@daily": ("deals",),
    }
    for job in jobs.values():
        alone = planner.plan(AS_OF, kr_ids=job.kr_ids)
        assert alone.bindings == tuple(b for b in whole.bindings if b.kr.id in job.kr_ids)


def test_the_requests_of_each_daemon_job_and_of_a_whole_pass(write_config):
    loaded = write_config(CONFIG)
    planner = Planner(loaded.config)
    whole = planner.plan(AS_OF)

    per_job = planner.requests_by_job(whole)

    seven_days = (datetime(2026, 11, 14, tzinfo=ZURICH), MIDNIGHT)
    shape = {
        job: {
            source: [(r.window.start, r.window.end) for r in asked] for source, asked in by.items()
        }
        for job, by in per_job.items()
    }
    assert shape == {
        "web@daily": {"web": [seven_days]},
        "crm+web@daily": {"crm": [seven_days], "web": [seven_days]},
        "crm@hourly": {
            "crm": [
                (
                    datetime(2026, 11, 14, 10, tzinfo=ZURICH),
                    datetime(2026, 11, 21, 10, tzinfo=ZURICH),
                )
            ]
        },
    }
    # The pass asks the union once: web's seven days serve both daily jobs.
    union = {
        source: {r.key for by in per_job.values() for r in by.get(source, ())}
        for source in whole.requests
    }
    assert union == {source: {r.key for r in asked} for source, asked in whole.requests.items()}
    assert len(whole.requests["web"]) == 1


def test_settle_windows_are_handed_in_and_bound_like_any_window(write_config):
    loaded = write_config(CONFIG)
    planner = Planner(loaded.config)
    planned = planner.plan(AS_OF, kr_ids=["signups"])

    (read,) = planned.settle_reads()
    assert (read.kr_id, read.since, read.until) == (
        "signups",
        datetime(2026, 11, 18, tzinfo=ZURICH),
        MIDNIGHT,
    )
    earlier = Window(datetime(2026, 11, 13, tzinfo=ZURICH), datetime(2026, 11, 20, tzinfo=ZURICH))
    not_whole_days = Window(earlier.start, datetime(2026, 11, 20, 6, tzinfo=ZURICH))
    again = planner.settled(planned, {"signups": [earlier, not_whole_days]})

    # The re-read keeps its stored window; one that snaps to other days is not a re-read.
    assert [b.window for b in again.by_kr["signups"]] == [planned.bindings[0].window, earlier]
    assert len(again.requests["web"]) == 2
    assert again.requests["web"][1].days == DaySpan(date(2026, 11, 13), date(2026, 11, 20))


def test_backfill_passes_are_whole_days_then_the_schedules_slot(write_config):
    moments = backfill_moments(date(2026, 11, 19), AS_OF, ZURICH)
    assert moments == [
        (date(2026, 11, 19), datetime(2026, 11, 20, tzinfo=ZURICH), False),
        (date(2026, 11, 20), MIDNIGHT, False),
        (date(2026, 11, 21), AS_OF, True),
    ]


def test_dry_run_and_preview_read_the_same_window_at_a_slot(write_config, daily_connector):
    """A preview at a KR's slot measures what the sync of that slot measures."""
    loaded = write_config(CONFIG)
    syncer = Syncer(loaded)
    from syncd.collect import ConnectorPool

    with ConnectorPool(loaded.config.sources, ZURICH) as pool:
        (dry,), _ = syncer.collect(syncer.planner.plan(MIDNIGHT, kr_ids=["rate"]), pool)
    shown = run_preview(loaded, "rate", MIDNIGHT)

    assert shown.window == dry.binding.window
    assert shown.evaluated.value == dry.evaluated.value == pytest.approx(70 / 700)


def test_preview_refuses_a_past_snapshot_of_a_present_only_source(write_config, daily_connector):
    """Changed by the one planner: preview resolved a KR's window at the moment whatever its
    cycle, so after the cycle ended it read today's state for the cycle's end. A sync skips
    that KR; preview now says the same, and asks nothing."""
    loaded = write_config(CONFIG)
    after_the_sprint = datetime(2026, 11, 18, 9, tzinfo=ZURICH)  # within the week of grace

    with pytest.raises(ConfigError) as caught:
        run_preview(loaded, "deals", after_the_sprint)

    assert caught.value.issues[0].message == (
        "deals: search reads only the present state for this query, so it cannot tell a "
        "snapshot ending 2026-11-16T00:00:00+01:00"
    )
    assert daily_connector.requests == []
    during = run_preview(loaded, "deals", datetime(2026, 11, 10, 9, tzinfo=ZURICH))
    assert during.evaluated.value == 0.0  # a snapshot: per_day × zero days


def test_preview_of_a_kr_outside_its_cycle_says_so(write_config, daily_connector):
    """Changed by the one planner: before, preview measured a KR whose cycle had not begun."""
    loaded = write_config(CONFIG)
    with pytest.raises(ConfigError, match="signups: cycle starts 2026-10-01"):
        run_preview(loaded, "signups", datetime(2026, 9, 20, tzinfo=UTC))
    assert daily_connector.requests == []
