"""How many upstream calls a sync makes: merged reports, batchRunReports, date ranges."""

from __future__ import annotations

from datetime import date, timedelta

from ga4_helpers import facts_between, request, window

from syncd.abc import Observation

METRICS = [
    "sessions",
    "totalUsers",
    "newUsers",
    "engagedSessions",
    "screenPageViews",
    "eventCount",
    "keyEvents",
    "keyEvents:booking_completed",
    "keyEvents:sign_up",
    "keyEvents:newcomer_booked_5d",
    "engagementRate",
]
OCT = window(date(2026, 10, 1), date(2026, 11, 1))


def observed(results):
    results = list(results)
    assert all(isinstance(r, Observation) for r in results), results
    return {r.request: r.value for r in results}


def test_eleven_metrics_on_one_window_make_two_reports_in_one_call(sandbox, make_connector):
    requests = [request(m, OCT) for m in METRICS]
    values = observed(make_connector().collect(requests))
    assert [(r.method, r.path.rsplit(":", 1)[-1]) for r in sandbox.calls()] == [
        ("POST", "batchRunReports")
    ]
    (call,) = sandbox.calls()
    assert sorted(len(r["metrics"]) for r in call.body["requests"]) == [1, 10]
    facts = facts_between(sandbox, date(2026, 10, 1), date(2026, 10, 31))
    assert values[requests[0]] == sum(f.sessions for f in facts)
    engaged, sessions = sum(f.engaged_sessions for f in facts), sum(f.sessions for f in facts)
    assert abs(values[requests[-1]] - engaged / sessions) < 1e-9


def test_one_request_goes_out_as_run_report(sandbox, make_connector):
    observed(make_connector().collect([request("sessions", OCT)]))
    assert [r.path for r in sandbox.calls()] == ["/v1beta/properties/123456789:runReport"]


def test_backfill_of_forty_days_packs_four_ranges_per_report_five_reports_per_call(
    sandbox, make_connector
):
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(40)]
    requests = [
        request(m, window(d, d + timedelta(days=1)))
        for d in days
        for m in ("sessions", "keyEvents:booking_completed")
    ]
    values = observed(make_connector().collect(requests))
    # 40 windows × 2 metrics: 10 reports of 4 date ranges, 2 batch calls (before: 80 calls).
    calls = sandbox.calls()
    assert len(calls) == 2
    assert [len(c.body["requests"]) for c in calls] == [5, 5]
    assert all(len(r["dateRanges"]) == 4 for c in calls for r in c.body["requests"])
    for req in requests[::7]:
        day = req.window.start.date()
        facts = facts_between(sandbox, day, day)
        expected = sum(
            f.sessions if req.query.metric == "sessions" else f.events["booking_completed"]
            for f in facts
        )
        assert values[req] == expected


def test_different_filters_and_dimensions_make_separate_reports(sandbox, make_connector):
    blog = {"landingPage": {"begins_with": "/blog/"}}
    requests = [
        request("sessions", OCT),
        request("newUsers", OCT),
        request("sessions", OCT, filter=blog),
        request("newUsers", OCT, filter=blog),
        request("sessions", OCT, dimensions=("date",), aggregate="maximum"),
        request("sessions", OCT, dimensions=("date",), aggregate="total"),
    ]
    observed(make_connector().collect(requests))
    (call,) = sandbox.calls()
    reports = call.body["requests"]
    assert len(reports) == 3
    by_dims = [r for r in reports if r.get("dimensions")]
    assert len(by_dims) == 1
    assert sorted(by_dims[0]["metricAggregations"]) == [1, 6]  # TOTAL, MAXIMUM as ints on the wire


def test_six_reports_split_into_a_batch_of_five_and_one_run_report(sandbox, make_connector):
    months = [window(date(2026, m, 1), date(2026, m + 1, 1)) for m in range(1, 7)]
    requests = [request("sessions", w, dimensions=("date",)) for w in months]
    observed(make_connector().collect(requests))
    calls = sandbox.calls()
    assert [c.path.rsplit(":", 1)[-1] for c in calls] == ["batchRunReports", "runReport"]
    assert len(calls[0].body["requests"]) == 5
