"""Connector values through httpx against the sandbox, expected values from the raw visits."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest

from connectors.matomo.sandbox import MatomoSandbox
from syncd.abc import Observation, RequestFailed, Window
from syncd.errors import QueryError
from tests.connectors.matomo.conftest import (
    OCTOBER,
    SITE_ZONE,
    ZURICH,
    connector_for,
    make_sandbox,
    october,
    request,
    visits_on,
)


def ask(sandbox: MatomoSandbox, query: dict[str, Any], window: Window = OCTOBER, **config) -> float:
    with connector_for(sandbox, **config) as connector:
        (result,) = list(connector.collect([request(query, window)]))
    assert isinstance(result, Observation), result
    return result.value


def failure(sandbox: MatomoSandbox, query: dict[str, Any], window: Window = OCTOBER) -> QueryError:
    with connector_for(sandbox) as connector:
        (result,) = list(connector.collect([request(query, window)]))
    assert isinstance(result, RequestFailed), result
    assert isinstance(result.error, QueryError), result.error
    return result.error


def test_visits_count_the_sites_days_not_the_configurations(
    matomo_sandbox: MatomoSandbox,
) -> None:
    expected = len(october(matomo_sandbox))
    zurich_days = sum(
        date(2026, 10, 1) <= v.started_at.astimezone(ZURICH).date() <= date(2026, 10, 31)
        for v in matomo_sandbox.visits
    )
    assert expected > 4000 and expected != zurich_days  # the zone decides which visits count
    assert ask(matomo_sandbox, {"measure": "visits"}) == expected


def test_actions_bounces_and_bounce_rate(matomo_sandbox: MatomoSandbox) -> None:
    visits = october(matomo_sandbox)
    bounces = sum(v.actions == 1 for v in visits)
    assert ask(matomo_sandbox, {"measure": "actions"}) == sum(v.actions for v in visits)
    assert ask(matomo_sandbox, {"measure": "bounce_count"}) == bounces
    # Matomo's own bounce rate: bounce_count / nb_visits rounded to two places.
    assert ask(matomo_sandbox, {"measure": "bounce_rate"}) == round(bounces / len(visits), 2)


def test_unique_visitors_need_the_range_setting(matomo_sandbox: MatomoSandbox) -> None:
    error = failure(matomo_sandbox, {"measure": "unique_visitors"})
    assert "enable_processing_unique_visitors_range" in str(error)
    with make_sandbox(unique_visitors_range=True) as sandbox:
        expected = len({v.visitor for v in october(sandbox)})
        assert ask(sandbox, {"measure": "unique_visitors"}) == expected


def test_goal_conversions_and_revenue(matomo_sandbox: MatomoSandbox) -> None:
    visits = october(matomo_sandbox)
    signups = sum(goal == 1 for v in visits for goal, _ in v.conversions)
    demos = [cents for v in visits for goal, cents in v.conversions if goal == 2]
    assert signups > 50 and demos
    assert ask(matomo_sandbox, {"measure": "conversions", "goal": 1}) == signups
    assert ask(matomo_sandbox, {"measure": "conversions"}) == signups + len(demos)
    revenue = ask(matomo_sandbox, {"measure": "revenue", "goal": 2})
    assert math.isclose(revenue, sum(demos) / 100)


@pytest.mark.parametrize(
    ("event", "metric", "pick"),
    [
        ({"category": "Newsletter"}, "nb_events", lambda e: e.category == "Newsletter"),
        (
            {"category": "Newsletter", "name": "Popup"},
            "nb_events",
            lambda e: e.category == "Newsletter" and e.name == "Popup",
        ),
        (
            {"action": "Play", "name": "Find a doctor"},
            "nb_events",
            lambda e: e.action == "Play" and e.name == "Find a doctor",
        ),
        ({"name": "Newcomer guide"}, "nb_events", lambda e: e.name == "Newcomer guide"),
        (
            {"category": "Video", "action": "Complete"},
            "sum_event_value",
            lambda e: e.category == "Video" and e.action == "Complete",
        ),
    ],
)
def test_events_by_category_action_and_name(
    matomo_sandbox: MatomoSandbox, event: dict[str, str], metric: str, pick: Any
) -> None:
    events = [e for v in october(matomo_sandbox) for e in v.events if pick(e)]
    assert events
    expected = len(events) if metric == "nb_events" else sum(e.value for e in events if e.value)
    value = ask(matomo_sandbox, {"measure": "events", "event": event, "event_metric": metric})
    assert math.isclose(value, expected)


def test_events_that_never_happened_count_zero(matomo_sandbox: MatomoSandbox) -> None:
    assert ask(matomo_sandbox, {"measure": "events", "event": {"category": "Nope"}}) == 0


def test_segments_narrow_visits_goals_and_events(matomo_sandbox: MatomoSandbox) -> None:
    visits = october(matomo_sandbox)
    phones = [v for v in visits if v.device == "smartphone"]
    query = {"measure": "visits", "segment": "deviceType==smartphone"}
    assert ask(matomo_sandbox, query) == len(phones)
    searched = [v for v in visits if v.referrer == "search" and v.device != "tablet"]
    signups = sum(goal == 1 for v in searched for goal, _ in v.conversions)
    segment = "referrerType==search;deviceType==desktop,deviceType==smartphone"
    query = {"measure": "conversions", "goal": 1, "segment": segment}
    assert ask(matomo_sandbox, query) == signups
    failed = failure(matomo_sandbox, {"measure": "visits", "segment": "shoeSize==42"})
    assert "shoeSize" in str(failed) and "400" in str(failed)


def test_any_reports_metric_by_label(matomo_sandbox: MatomoSandbox) -> None:
    visits = october(matomo_sandbox)
    query = {
        "measure": "report",
        "report": "Referrers.getReferrerType",
        "label": "Search Engines",
        "column": "nb_visits",
        "kind": "count",
    }
    assert ask(matomo_sandbox, query) == sum(v.referrer == "search" for v in visits)
    query = {"measure": "report", "report": "Actions.get", "column": "nb_pageviews"}
    assert ask(matomo_sandbox, query) == sum(v.actions for v in visits)
    rows = {"measure": "report", "report": "Referrers.getReferrerType", "column": "nb_visits"}
    assert "give the row's label" in str(failure(matomo_sandbox, rows))


def test_a_window_before_any_visit(matomo_sandbox: MatomoSandbox) -> None:
    early = Window(datetime(2025, 1, 1, tzinfo=SITE_ZONE), datetime(2025, 2, 1, tzinfo=SITE_ZONE))
    assert visits_on(matomo_sandbox, date(2025, 1, 1), date(2025, 1, 31)) == []
    assert ask(matomo_sandbox, {"measure": "visits"}, early) == 0
    assert ask(matomo_sandbox, {"measure": "conversions", "goal": 1}, early) == 0
    assert "no data" in str(failure(matomo_sandbox, {"measure": "bounce_rate"}, early))


def test_the_running_day_counts_visits_until_now(matomo_sandbox: MatomoSandbox) -> None:
    # NOW is 07:00 in New York on 2026-11-21: that day holds the morning's visits only.
    today = Window(
        datetime(2026, 11, 21, tzinfo=SITE_ZONE), datetime(2026, 11, 22, tzinfo=SITE_ZONE)
    )
    expected = len(visits_on(matomo_sandbox, date(2026, 11, 21), date(2026, 11, 21)))
    all_day = sum(
        v.started_at.astimezone(SITE_ZONE).date() == date(2026, 11, 21)
        for v in matomo_sandbox.visits
    )
    assert 0 < expected < all_day
    assert ask(matomo_sandbox, {"measure": "visits"}, today) == expected
