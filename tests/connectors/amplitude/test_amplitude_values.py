"""Values through the sandbox, expected values counted by hand from its raw seeded events."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.amplitude import AmplitudeQuery
from connectors.amplitude.data import OPENED, PURCHASED, SHARED
from connectors.amplitude.sandbox import AmplitudeSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, ValueKind, Window
from syncd.errors import QueryError
from syncd.evaluate import DayRule
from tests.connectors.amplitude.conftest import (
    NOW,
    ZURICH,
    config_for,
    connector_for,
    events_between,
    make_sandbox,
    of_type,
    uniques,
)

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
OCT_1, OCT_31 = date(2026, 10, 1), date(2026, 10, 31)


def value(sandbox: AmplitudeSandbox, query: AmplitudeQuery, window: Window = OCTOBER) -> float:
    days = DayRule(sandbox.zone).span(window)
    with connector_for(sandbox) as connector:
        (result,) = connector.collect([MetricRequest("product", query, window, days)])
    assert isinstance(result, Observation), result
    return result.value


def failure(sandbox: AmplitudeSandbox, query: AmplitudeQuery, window: Window) -> RequestFailed:
    with connector_for(sandbox) as connector:
        (result,) = connector.collect([MetricRequest("product", query, window)])
    assert isinstance(result, RequestFailed), result
    return result


def test_uniques_count_users_over_the_range_not_per_day(
    amplitude_sandbox: AmplitudeSandbox,
) -> None:
    shared = events_between(amplitude_sandbox, OCT_1, OCT_31, of_type(SHARED))
    daily = sum(
        uniques([e for e in shared if e.time.astimezone(ZURICH).date() == OCT_1 + timedelta(n)])
        for n in range(31)
    )
    got = value(amplitude_sandbox, AmplitudeQuery(event=SHARED))
    assert got == uniques(shared)
    assert got < daily  # users who shared on several days count once


def test_active_users_and_totals(amplitude_sandbox: AmplitudeSandbox) -> None:
    october = events_between(amplitude_sandbox, OCT_1, OCT_31)
    assert value(amplitude_sandbox, AmplitudeQuery(event="_active")) == uniques(october)
    totals = AmplitudeQuery(event=OPENED, measure="totals")
    assert value(amplitude_sandbox, totals) == sum(e.type == OPENED for e in october)


def test_sum_and_average_of_a_property(amplitude_sandbox: AmplitudeSandbox) -> None:
    bought = events_between(amplitude_sandbox, OCT_1, OCT_31, of_type(PURCHASED))
    amounts = [int(e.prop("amount") or 0) for e in bought]
    sums = AmplitudeQuery(event=PURCHASED, measure="sums", property="amount")
    mean = AmplitudeQuery(event=PURCHASED, measure="value_avg", property="amount")
    assert value(amplitude_sandbox, sums) == sum(amounts) > 0
    assert math.isclose(value(amplitude_sandbox, mean), sum(amounts) / len(amounts))


def test_times_per_user_with_a_segment_and_a_filter(amplitude_sandbox: AmplitudeSandbox) -> None:
    def wanted(e: object) -> bool:
        return (
            e.type == SHARED  # type: ignore[attr-defined]
            and e.user.country == "CH"  # type: ignore[attr-defined]
            and e.prop("channel") == "doctor"  # type: ignore[attr-defined]
        )

    picked = events_between(amplitude_sandbox, OCT_1, OCT_31, wanted)
    query = AmplitudeQuery.model_validate(
        {
            "event": SHARED,
            "measure": "average",
            "where": [{"property": "channel", "values": ["doctor"]}],
            "segment": [{"property": "country", "values": ["CH"]}],
        }
    )
    assert math.isclose(value(amplitude_sandbox, query), len(picked) / uniques(picked))


def test_formula_and_share_of_active_users(amplitude_sandbox: AmplitudeSandbox) -> None:
    october = events_between(amplitude_sandbox, OCT_1, OCT_31)
    adoption = uniques([e for e in october if e.type == SHARED]) / uniques(october)
    formula = AmplitudeQuery(
        event=SHARED, measure="formula", formula="UNIQUES(A)/UNIQUES(B)", second_event="_active"
    )
    assert math.isclose(value(amplitude_sandbox, formula), adoption)
    assert math.isclose(
        value(amplitude_sandbox, AmplitudeQuery(event=SHARED, measure="pct_dau")), adoption
    )


def test_days_are_the_project_zone_s_not_the_config_s() -> None:
    new_york = ZoneInfo("America/New_York")
    with make_sandbox(timezone="America/New_York") as sandbox:
        config = config_for(sandbox)
        traits = type(connector_for(sandbox)).traits(config, AmplitudeQuery(event=SHARED), ZURICH)
        assert traits.day_zone == new_york and traits.kind is ValueKind.COUNT
        # Zurich's October starts at 18:00 on 30 September in New York: the planner's rule
        # snaps the window to New York days, 30 September to 30 October.
        window = DayRule(new_york).snap(OCTOBER)
        got = value(sandbox, AmplitudeQuery(event=SHARED, measure="totals"), window)
        first, last = date(2026, 9, 30), date(2026, 10, 30)
        assert got == len(events_between(sandbox, first, last, of_type(SHARED)))
        assert sandbox.requests[-1].params["start"] == "20260930"
        assert sandbox.requests[-1].params["end"] == "20261030"


def test_the_running_day_is_left_out(amplitude_sandbox: AmplitudeSandbox) -> None:
    window = Window(NOW - timedelta(days=7), NOW)  # 7 days back from noon
    got = value(amplitude_sandbox, AmplitudeQuery(event=OPENED, measure="totals"), window)
    last = NOW.astimezone(ZURICH).date() - timedelta(days=1)
    first = (NOW - timedelta(days=7)).astimezone(ZURICH).date()
    assert got == len(events_between(amplitude_sandbox, first, last, of_type(OPENED)))


def test_saved_chart_reads_its_own_range_now(amplitude_sandbox: AmplitudeSandbox) -> None:
    today = NOW.astimezone(ZURICH).date()
    first, last = today - timedelta(days=30), today - timedelta(days=1)
    expected = uniques(events_between(amplitude_sandbox, first, last, of_type(SHARED)))
    query = AmplitudeQuery(chart="k3x9q2w")
    assert value(amplitude_sandbox, query, Window(NOW, NOW)) == expected
    traits = type(connector_for(amplitude_sandbox)).traits(
        config_for(amplitude_sandbox), query, ZURICH
    )
    assert (traits.day_zone, traits.past_windows, traits.past_snapshots) == (None, False, False)


def test_a_chart_that_is_no_segmentation_fails_its_request(
    amplitude_sandbox: AmplitudeSandbox,
) -> None:
    result = failure(amplitude_sandbox, AmplitudeQuery(chart="f0nn3l5"), Window(NOW, NOW))
    assert isinstance(result.error, QueryError)
    assert "seriesCollapsed" in str(result.error)
    unknown = failure(amplitude_sandbox, AmplitudeQuery(chart="nochart"), Window(NOW, NOW))
    assert isinstance(unknown.error, QueryError) and "404" in str(unknown.error)


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (Window(NOW, NOW), "days, not moments"),
        (Window(datetime(2025, 1, 1, tzinfo=ZURICH), OCTOBER.end), "at most 365 days"),
        (Window(NOW - timedelta(hours=3), NOW), "no whole day"),
    ],
)
def test_windows_segmentation_cannot_answer_make_no_call(
    fresh_sandbox: AmplitudeSandbox, window: Window, words: str
) -> None:
    result = failure(fresh_sandbox, AmplitudeQuery(event=SHARED), window)
    assert isinstance(result.error, QueryError) and words in str(result.error)
    assert fresh_sandbox.requests == []


def test_check_lists_the_project_s_events(amplitude_sandbox: AmplitudeSandbox) -> None:
    with connector_for(amplitude_sandbox) as connector:
        assert connector.check().startswith("3 events visible in the project at http://127.0.0.1")


def test_describe_shows_the_call_its_days_and_cost(amplitude_sandbox: AmplitudeSandbox) -> None:
    query = AmplitudeQuery(event=SHARED, segment=[{"property": "country", "values": ["CH"]}])
    request = MetricRequest("product", query, OCTOBER, DayRule(ZURICH).span(OCTOBER))
    with connector_for(amplitude_sandbox) as connector:
        text = connector.describe(request)
    assert "start=20261001 end=20261031" in text
    assert "cost 62" in text  # 31 days × (1 + 1 condition) × 1 event
