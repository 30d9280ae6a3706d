"""Connector values through httpx against the sandbox, expected values from the raw tickets."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from connectors.zendesk import ZendeskConnector, ZendeskQuery, ZendeskSourceConfig
from connectors.zendesk.sandbox import ZendeskSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.errors import QueryError
from tests.connectors.zendesk.conftest import (
    NOW,
    OAUTH,
    ZURICH,
    connector_for,
    median,
    percentile,
    visible,
)

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))


def ask(sandbox: ZendeskSandbox, query: dict, window: Window = OCTOBER, **config) -> float:
    request = MetricRequest("support", ZendeskQuery.model_validate(query), window)
    with connector_for(sandbox, **config) as connector:
        (result,) = list(connector.collect([request]))
    assert isinstance(result, Observation), result
    return result.value


def created_in(sandbox: ZendeskSandbox, window: Window):
    return [t for t in visible(sandbox) if window.start <= t.created_at < window.end]


def test_search_count_over_the_window(zendesk_sandbox: ZendeskSandbox) -> None:
    expected = sum("onboarding" in t.tags for t in created_in(zendesk_sandbox, OCTOBER))
    assert expected > 50
    assert ask(zendesk_sandbox, {"search": "type:ticket tags:onboarding"}) == expected


def test_search_count_by_solved_time_and_priority(zendesk_sandbox: ZendeskSandbox) -> None:
    expected = sum(
        OCTOBER.start <= t.solved_at < OCTOBER.end and t.priority == "urgent"
        for t in visible(zendesk_sandbox)
    )
    assert ask(zendesk_sandbox, {"search": "priority:urgent", "by": "solved"}) == expected


def test_solved_created_ratio(zendesk_sandbox: ZendeskSandbox) -> None:
    created = len(created_in(zendesk_sandbox, OCTOBER))
    solved = sum(OCTOBER.start <= t.solved_at < OCTOBER.end for t in visible(zendesk_sandbox))
    value = ask(zendesk_sandbox, {"measure": "solved_created_ratio"})
    assert math.isclose(value, solved / created)


def test_csat_is_the_share_of_good_ratings_received_in_the_window(
    zendesk_sandbox: ZendeskSandbox,
) -> None:
    rated = [
        t.rating
        for t in visible(zendesk_sandbox)
        if t.rating in ("good", "bad") and OCTOBER.start <= t.rated_at < OCTOBER.end
    ]
    assert len(rated) > 100  # more than one page of 100: cursor paging is exercised
    value = ask(zendesk_sandbox, {"measure": "csat"}, oauth_token=OAUTH, email=None, token=None)
    assert math.isclose(value, rated.count("good") / len(rated))


def test_first_reply_median_in_calendar_minutes(zendesk_sandbox: ZendeskSandbox) -> None:
    minutes = [
        float(t.reply_calendar)
        for t in created_in(zendesk_sandbox, OCTOBER)
        if t.first_reply_at <= NOW
    ]
    assert ask(zendesk_sandbox, {"measure": "first_reply_time"}) == median(minutes)


def test_full_resolution_p90_in_business_minutes_by_solved_time(
    zendesk_sandbox: ZendeskSandbox,
) -> None:
    minutes = [
        float(t.resolution_business)
        for t in visible(zendesk_sandbox)
        if OCTOBER.start <= t.solved_at < OCTOBER.end and t.solved_at <= NOW
    ]
    query = {"measure": "full_resolution_time", "stat": "p90", "hours": "business", "by": "solved"}
    assert math.isclose(ask(zendesk_sandbox, query), percentile(minutes, 90))


def test_tickets_per_group_and_share_per_tag(zendesk_sandbox: ZendeskSandbox) -> None:
    created = created_in(zendesk_sandbox, OCTOBER)
    billing = sum(t.group_id == 360002 for t in created)
    assert ask(zendesk_sandbox, {"measure": "tickets", "where": {"group_id": 360002}}) == billing
    share = sum("onboarding" in t.tags for t in created) / len(created)
    query = {"measure": "tickets", "where": {"tags": ["onboarding"]}, "share": True}
    assert math.isclose(ask(zendesk_sandbox, query), share)


def test_backlog_counts_open_and_pending_now(zendesk_sandbox: ZendeskSandbox) -> None:
    expected = sum(t.status_at(NOW) in ("open", "pending") for t in visible(zendesk_sandbox))
    now = datetime.now(UTC)
    assert ask(zendesk_sandbox, {"measure": "backlog"}, Window(now, now)) == expected


ZENDESK_CONFIG = ZendeskSourceConfig.model_validate(
    {"type": "zendesk", "subdomain": "acme", "email": "ops@acme.example", "token": "t0ken-x"}
)


def test_backlog_over_a_span_is_a_query_error_and_past_snapshots_are_not_offered(
    zendesk_sandbox: ZendeskSandbox,
) -> None:
    # Zendesk only knows tickets as they are now: syncd must never ask for a past snapshot
    # (the sync engine skips those), and a backlog over a span is meaningless.
    backlog = ZendeskQuery(measure="backlog")
    traits = ZendeskConnector.traits(ZENDESK_CONFIG, backlog, ZURICH)
    assert (traits.past_snapshots, traits.past_windows) == (False, True)
    request = MetricRequest("support", backlog, OCTOBER)
    with connector_for(zendesk_sandbox) as connector:
        (result,) = list(connector.collect([request]))
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)


def test_beyond_1000_tickets_one_export_serves_every_request(
    fresh_sandbox: ZendeskSandbox,
) -> None:
    year = Window(datetime(2025, 6, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
    created = created_in(fresh_sandbox, year)
    assert len(created) > 5000
    requests = [
        MetricRequest("support", ZendeskQuery(measure="tickets"), year),
        MetricRequest("support", ZendeskQuery(measure="tickets", where={"brand_id": 370002}), year),
        MetricRequest("support", ZendeskQuery(measure="first_reply_time"), OCTOBER),
    ]
    with connector_for(fresh_sandbox) as connector:
        results = list(connector.collect(requests))
        calls = connector.context.stats.calls
    assert [r.value for r in results] == [  # type: ignore[union-attr]
        len(created),
        sum(t.brand_id == 370002 for t in created),
        median([float(t.reply_calendar) for t in created_in(fresh_sandbox, OCTOBER)]),
    ]
    horizon = NOW - timedelta(minutes=1)
    exported = sum(year.start <= t.updated_at(NOW) <= horizon for t in visible(fresh_sandbox))
    pages = math.ceil(exported / 1000)
    assert calls == pages == len(fresh_sandbox.requests)
    assert all(r.path == "/api/v2/incremental/tickets/cursor.json" for r in fresh_sandbox.requests)
