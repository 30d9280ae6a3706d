"""Days in the property's zone: the connector reads exactly the days the planner decided."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from ga4_helpers import ZURICH, facts_between, fast_context, request, window

from connectors.ga4 import Ga4Connector, Ga4Query, Ga4SourceConfig
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.errors import QueryError
from syncd.evaluate import DayRule

LA = ZoneInfo("America/Los_Angeles")


def planned(start: datetime, end: datetime, zone: ZoneInfo, running_day: bool = False):
    """A sessions request as the planner makes it: window snapped, days set."""
    rule = DayRule(zone, running_day)
    snapped = rule.snap(Window(start, end))
    return MetricRequest("web", Ga4Query(metric="sessions"), snapped, rule.span(snapped))


@pytest.mark.parametrize(
    ("start", "end", "running_day", "first", "last"),
    [
        (  # the 25-hour day
            datetime(2026, 10, 25, tzinfo=ZURICH),
            datetime(2026, 10, 26, tzinfo=ZURICH),
            False,
            "2026-10-25",
            "2026-10-25",
        ),
        (  # the 23-hour day
            datetime(2026, 3, 29, tzinfo=ZURICH),
            datetime(2026, 3, 30, tzinfo=ZURICH),
            False,
            "2026-03-29",
            "2026-03-29",
        ),
        (  # a 24 h window from noon: the day it starts, complete days only (was: Oct 25)
            datetime(2026, 10, 24, 12, tzinfo=ZURICH),
            datetime(2026, 10, 25, 12, tzinfo=ZURICH),
            False,
            "2026-10-24",
            "2026-10-24",
        ),
        (  # measured at 09:00: the day not yet over is left out (was: included)
            datetime(2026, 10, 1, tzinfo=ZURICH),
            datetime(2026, 10, 14, 9, tzinfo=ZURICH),
            False,
            "2026-10-01",
            "2026-10-13",
        ),
        (  # ... unless the KR opts into the running day
            datetime(2026, 10, 1, tzinfo=ZURICH),
            datetime(2026, 10, 14, 9, tzinfo=ZURICH),
            True,
            "2026-10-01",
            "2026-10-14",
        ),
    ],
)
def test_the_report_asks_the_planned_days(
    sandbox, make_connector, start, end, running_day, first, last
):
    req = planned(start, end, ZURICH, running_day)
    (result,) = make_connector().collect([req])
    assert isinstance(result, Observation), result
    (call,) = sandbox.calls()
    assert call.body["dateRanges"] == [{"startDate": first, "endDate": last}]
    facts = facts_between(sandbox, date.fromisoformat(first), date.fromisoformat(last))
    assert result.value == sum(f.sessions for f in facts)
    assert f"from {first} to {last} (Europe/Zurich)" in result.upstream


def test_a_window_without_a_whole_day_is_refused_not_rounded(sandbox, make_connector):
    # The planner never asks it; a direct caller gets a QueryError, and GA4 is not called.
    within = Window(
        datetime(2026, 10, 5, 10, tzinfo=ZURICH), datetime(2026, 10, 5, 14, tzinfo=ZURICH)
    )
    (result,) = make_connector().collect([request("sessions", within)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert "no whole day" in str(result.error)
    assert sandbox.calls() == []


def test_dst_days_sum_their_own_facts_only(sandbox, make_connector):
    requests = [
        request("sessions", window(date(2026, 10, 25), date(2026, 10, 26))),
        request("sessions", window(date(2026, 10, 26), date(2026, 10, 27))),
    ]
    results = {r.request: r.value for r in make_connector().collect(requests)}
    for req, day in zip(requests, (date(2026, 10, 25), date(2026, 10, 26)), strict=True):
        assert results[req] == sum(f.sessions for f in facts_between(sandbox, day, day))


def test_a_property_in_another_zone_must_be_declared():
    with Ga4Sandbox(time_zone="America/Los_Angeles") as sandbox:
        raw = {
            "type": "ga4",
            "property": "123456789",
            "endpoint": sandbox.url,
            "auth": {"method": "anonymous"},
        }
        oct_ = window(date(2026, 10, 1), date(2026, 11, 1))
        with Ga4Connector(Ga4SourceConfig.model_validate(raw), fast_context()) as connector:
            (wrong,) = connector.collect([request("sessions", oct_)])
        assert isinstance(wrong, RequestFailed)
        assert "set `timezone: America/Los_Angeles`" in str(wrong.error)
        declared = Ga4SourceConfig.model_validate({**raw, "timezone": "America/Los_Angeles"})
        assert Ga4Connector.traits(declared, Ga4Query(metric="sessions"), ZURICH).day_zone == LA
        # Zurich's October seen from Los Angeles: the planner snaps to LA midnights, so the
        # complete LA days are Sep 30 .. Oct 30 (was: Oct 1 .. Oct 31, a partial last day).
        req = planned(oct_.start, oct_.end, LA)
        with Ga4Connector(declared, fast_context()) as connector:
            (right,) = connector.collect([req])
        assert isinstance(right, Observation)
        assert right.value == sum(
            f.sessions for f in facts_between(sandbox, date(2026, 9, 30), date(2026, 10, 30))
        )
        assert "America/Los_Angeles" in right.upstream
