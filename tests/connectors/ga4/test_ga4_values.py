"""Every query feature through the real client, against sums over the sandbox's raw facts."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from ga4_helpers import ZURICH, facts_between, failure, request, window

import connectors.ga4
from syncd.abc import Observation, RequestFailed
from syncd.config.loader import load_config
from syncd.evaluate import MetricEvaluator

OCT = window(date(2026, 10, 1), date(2026, 11, 1))
OCT_LAST = date(2026, 10, 31)


def values(connector, requests):
    results = list(connector.collect(requests))
    assert len(results) == len(requests)
    by_request = {}
    for result in results:
        assert isinstance(result, Observation), result
        by_request[result.request] = result.value
    return [by_request[r] for r in requests]


def test_plain_metrics_over_a_month(sandbox, make_connector):
    facts = facts_between(sandbox, date(2026, 10, 1), OCT_LAST)
    requests = [
        request("sessions", OCT),
        request("newUsers", OCT),
        request("screenPageViews", OCT),
        request("eventCount", OCT),
        request("keyEvents", OCT),
        request("keyEvents:booking_completed", OCT),
    ]
    assert values(make_connector(), requests) == [
        sum(f.sessions for f in facts),
        sum(f.new_users for f in facts),
        sum(f.page_views for f in facts),
        sum(sum(f.events.values()) for f in facts),
        sum(
            f.events["booking_completed"] + f.events["sign_up"] + f.events["newcomer_booked_5d"]
            for f in facts
        ),
        sum(f.events["booking_completed"] for f in facts),
    ]


@pytest.mark.parametrize(
    ("spec", "keep"),
    [
        ({"deviceCategory": "mobile"}, lambda f: f.device == "mobile"),
        ({"deviceCategory": "MOBILE"}, lambda f: f.device == "mobile"),  # GA4: case-insensitive
        ({"deviceCategory": {"exact": "MOBILE", "case_sensitive": True}}, lambda f: False),
        ({"deviceCategory": ["desktop", "tablet"]}, lambda f: f.device in ("desktop", "tablet")),
        ({"landingPage": {"contains": "doctor"}}, lambda f: "doctor" in f.landing_page),
        ({"landingPage": {"begins_with": "/blog/"}}, lambda f: f.landing_page.startswith("/blog/")),
        ({"landingPage": {"ends_with": "zurich"}}, lambda f: f.landing_page.endswith("zurich")),
        (
            {"landingPage": {"regex": "/(signup|doctors)"}},
            lambda f: f.landing_page in ("/signup", "/doctors"),
        ),
        ({"landingPage": {"partial_regex": "insurance"}}, lambda f: "insurance" in f.landing_page),
        ({"date": {"gte": 20261025}}, lambda f: f.day >= date(2026, 10, 25)),
        (
            {"date": {"between": [20261010, 20261012]}},
            lambda f: date(2026, 10, 10) <= f.day <= date(2026, 10, 12),
        ),
        ({"date": {"lt": 20261003}}, lambda f: f.day < date(2026, 10, 3)),
        (
            {"or": [{"sessionDefaultChannelGroup": "Email"}, {"deviceCategory": "tablet"}]},
            lambda f: f.channel == "Email" or f.device == "tablet",
        ),
        (
            {
                "sessionDefaultChannelGroup": "Organic Search",
                "not": {"landingPage": {"begins_with": "/blog"}},
            },
            lambda f: f.channel == "Organic Search" and not f.landing_page.startswith("/blog"),
        ),
        (
            {
                "and": [
                    {"deviceCategory": "desktop"},
                    {"not": {"sessionDefaultChannelGroup": ["Direct", "Email"]}},
                ]
            },
            lambda f: f.device == "desktop" and f.channel not in ("Direct", "Email"),
        ),
    ],
)
def test_dimension_filters(sandbox, make_connector, spec, keep):
    facts = [f for f in facts_between(sandbox, date(2026, 10, 1), OCT_LAST) if keep(f)]
    (value,) = values(make_connector(), [request("sessions", OCT, filter=spec)])
    assert value == sum(f.sessions for f in facts)


def test_event_name_filter_counts_that_event(sandbox, make_connector):
    facts = facts_between(sandbox, date(2026, 10, 1), OCT_LAST)
    (value,) = values(
        make_connector(), [request("eventCount", OCT, filter={"eventName": "sign_up"})]
    )
    assert value == sum(f.events["sign_up"] for f in facts)


def test_aggregations_over_a_dimension(sandbox, make_connector):
    facts = facts_between(sandbox, date(2026, 10, 1), OCT_LAST)
    per_day = defaultdict(int)
    for fact in facts:
        per_day[fact.day] += fact.sessions
    organic = defaultdict(int)
    for fact in facts:
        if fact.channel == "Organic Search":
            organic[fact.landing_page] += fact.sessions
    requests = [
        request("sessions", OCT, dimensions=("date",), aggregate="maximum"),
        request("sessions", OCT, dimensions=("date",), aggregate="minimum"),
        request("sessions", OCT, dimensions=("date",), aggregate="total"),
        request("sessions", OCT, dimensions=("date",), aggregate="count"),
        request(
            "sessions",
            OCT,
            dimensions=("landingPage",),
            aggregate="count",
            filter={
                "sessionDefaultChannelGroup": "Organic Search",
                "landingPage": {"begins_with": "/blog/"},
            },
        ),
    ]
    assert values(make_connector(), requests) == [
        max(per_day.values()),
        min(per_day.values()),
        sum(per_day.values()),
        31,
        len([p for p in organic if p.startswith("/blog/")]),
    ]


def test_ratio_is_the_quotient_of_the_sums_never_a_mean_of_daily_ratios(
    sandbox, make_connector, tmp_path: Path
):
    config_file = tmp_path / "ga4.yaml"
    config_file.write_text(
        re.sub(
            r"^    credentials: .*",
            f'    endpoint: "{sandbox.url}"\n    auth: {{method: anonymous}}',
            Path(connectors.ga4.__file__).with_name("sample.yaml").read_text(),
            count=1,
            flags=re.MULTILINE,
        )
    )
    config = load_config(config_file).config
    evaluator = MetricEvaluator(config)
    metric = config.metrics["conversion_rate"]
    requests = evaluator.requests(metric, OCT)
    connector = make_connector()
    results = {r.request.key: r for r in connector.collect(requests)}
    value = evaluator.evaluate(metric, OCT, results).value

    facts = facts_between(sandbox, date(2026, 10, 1), OCT_LAST)
    bookings = sum(f.events["booking_completed"] for f in facts)
    sessions = sum(f.sessions for f in facts)
    assert value == pytest.approx(bookings / sessions, rel=1e-12)
    daily = defaultdict(lambda: [0, 0])
    for fact in facts:
        daily[fact.day][0] += fact.events["booking_completed"]
        daily[fact.day][1] += fact.sessions
    mean_of_daily = sum(b / s for b, s in daily.values()) / len(daily)
    assert abs(value - mean_of_daily) > 1e-6  # the two differ on this data: the test can tell
    assert len(sandbox.calls()) == 1  # numerator and denominator came from one report


def test_a_ratio_at_an_hourly_slot_reads_the_same_complete_days_for_both_operands(
    sandbox, make_connector, tmp_path: Path
):
    from datetime import timedelta as days

    from syncd.abc import Window

    config_file = tmp_path / "ga4.yaml"
    config_file.write_text(
        re.sub(
            r"^    credentials: .*",
            f'    endpoint: "{sandbox.url}"\n    auth: {{method: anonymous}}',
            Path(connectors.ga4.__file__).with_name("sample.yaml").read_text(),
            count=1,
            flags=re.MULTILINE,
        )
    )
    config = load_config(config_file).config
    evaluator = MetricEvaluator(config)
    metric = config.metrics["conversion_rate"]
    # trailing 28 days measured at 14:00 on Oct 29, as an hourly schedule does
    end = date_time(2026, 10, 29, 14)
    raw = Window(end - days(days=28), end)
    rule = evaluator.day_rule(metric, raw)
    assert rule is not None and rule.zone == ZURICH
    snapped = rule.snap(raw)
    requests = evaluator.requests(metric, snapped, rule)
    assert {r.days for r in requests} == {rule.span(snapped)}  # one span for both operands
    results = {r.request.key: r for r in make_connector().collect(requests)}
    value = evaluator.evaluate(metric, snapped, results, rule).value
    (call,) = sandbox.calls()
    assert call.body["dateRanges"] == [{"startDate": "2026-10-01", "endDate": "2026-10-28"}]
    facts = facts_between(sandbox, date(2026, 10, 1), date(2026, 10, 28))
    bookings = sum(f.events["booking_completed"] for f in facts)
    assert value == pytest.approx(bookings / sum(f.sessions for f in facts), rel=1e-12)


def test_windows_not_at_midnight_read_the_complete_days_the_planner_decided(
    sandbox, make_connector
):
    from syncd.abc import Window

    # 14:00 on Oct 3 to 14:00 on Oct 6: the planner snaps it to Oct 3 00:00 – Oct 6 00:00,
    # complete days Oct 3..5 (it used to read Oct 4..6, the last day not yet over).
    partial = Window(date_time(2026, 10, 3, 14), date_time(2026, 10, 6, 14))
    facts = facts_between(sandbox, date(2026, 10, 3), date(2026, 10, 5))
    (value,) = values(make_connector(), [request("sessions", partial)])
    assert value == sum(f.sessions for f in facts)


def date_time(year, month, day, hour):
    from datetime import datetime

    return datetime(year, month, day, hour, tzinfo=ZURICH)


def test_property_override_and_unknown_property(sandbox, make_connector):
    from syncd.errors import AuthError

    error = failure(make_connector().collect([request("sessions", OCT, property="555")]))
    assert isinstance(error, AuthError) and "Viewer" in str(error)
    assert "properties/555" in str(error)


def test_snapshot_windows_fail_with_a_hint(make_connector):
    from syncd.abc import Window

    moment = date_time(2026, 10, 5, 0)
    (result,) = make_connector().collect([request("sessions", Window(moment, moment))])
    assert isinstance(result, RequestFailed)
    assert "trailing_28d" in str(result.error)


def test_empty_result_is_zero(sandbox, make_connector):
    (value,) = values(
        make_connector(), [request("sessions", OCT, filter={"landingPage": "/nowhere"})]
    )
    assert value == 0.0
    before = window(date(2025, 5, 1), date(2025, 5, 8))  # before the property collected data
    assert values(make_connector(), [request("sessions", before)]) == [0.0]
    assert timedelta(0) == timedelta(0)
