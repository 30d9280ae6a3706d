"""Windows at midnight in the property's zone, across DST changes, and zone mismatches."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from ga4_helpers import ZURICH, facts_between, fast_context, request, window

from connectors.ga4 import Ga4Connector, Ga4SourceConfig
from connectors.ga4.dates import report_dates
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import Observation, RequestFailed, Window

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (
            datetime(2026, 10, 25, tzinfo=ZURICH),
            datetime(2026, 10, 26, tzinfo=ZURICH),
            date(2026, 10, 25),
            date(2026, 10, 25),
        ),  # 25 h
        (
            datetime(2026, 3, 29, tzinfo=ZURICH),
            datetime(2026, 3, 30, tzinfo=ZURICH),
            date(2026, 3, 29),
            date(2026, 3, 29),
        ),  # 23 h
        (
            datetime(2026, 10, 24, 12, tzinfo=ZURICH),
            datetime(2026, 10, 25, 12, tzinfo=ZURICH),
            date(2026, 10, 25),
            date(2026, 10, 25),
        ),
        (
            datetime(2026, 10, 1, tzinfo=ZURICH),
            datetime(2026, 10, 14, 9, tzinfo=ZURICH),
            date(2026, 10, 1),
            date(2026, 10, 14),
        ),
        (
            datetime(2026, 10, 5, 10, tzinfo=ZURICH),
            datetime(2026, 10, 5, 14, tzinfo=ZURICH),
            date(2026, 10, 5),
            date(2026, 10, 5),
        ),
    ],
)
def test_report_dates(start, end, first, last):
    assert report_dates(Window(start, end), ZURICH) == (first, last)


def test_zurich_midnights_seen_from_a_los_angeles_property():
    # 00:00 Zurich is 15:00 the day before in Los Angeles: the LA midnight of Oct 1 is inside.
    oct_ = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
    assert report_dates(oct_, LA) == (date(2026, 10, 1), date(2026, 10, 31))


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
        with Ga4Connector(declared, fast_context()) as connector:
            (right,) = connector.collect([request("sessions", oct_)])
        assert isinstance(right, Observation)
        assert right.value == sum(
            f.sessions for f in facts_between(sandbox, date(2026, 10, 1), date(2026, 10, 31))
        )
        assert "America/Los_Angeles" in right.upstream
