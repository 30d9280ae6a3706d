"""Counts and ratios read from the export already downloaded, CSAT windows from one ratings
scan: the same values as a search each, and values matching the raw tickets."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from connectors.zendesk import ZendeskQuery
from connectors.zendesk.measures import tags_searched
from connectors.zendesk.sandbox import ZendeskSandbox
from syncd import cost
from syncd.abc import MetricRequest, Observation, Window
from syncd.collect import run_connector
from tests.connectors.zendesk.conftest import NOW, connector_for, visible

END = NOW.replace(hour=0)
WINDOWS = [Window(END - timedelta(days=days), END) for days in (7, 28, 90)]
QUERIES = [
    {"search": "type:ticket tags:onboarding"},
    {"search": "tags:billing", "by": "solved"},
    {"search": "type:ticket tags:vip tags:app"},
    {"measure": "solved_created_ratio", "search": "tags:booking"},
    {"measure": "solved_created_ratio"},
    {"measure": "csat"},
    {"measure": "tickets", "where": {"tags": ["insurance"]}, "share": True},
    {"measure": "first_reply_time", "stat": "p90"},
]
SNAPSHOT_BACKLOG = {"measure": "backlog", "search": "tags:billing"}
PRIORITY = {"search": "type:ticket priority:urgent"}  # not tags-only: still a search


def asked() -> list[MetricRequest[Any]]:
    requests = [
        MetricRequest("support", ZendeskQuery.model_validate(q), w)
        for q in QUERIES
        for w in WINDOWS
    ]
    requests.append(MetricRequest("support", ZendeskQuery.model_validate(PRIORITY), WINDOWS[1]))
    requests.append(
        MetricRequest("support", ZendeskQuery.model_validate(SNAPSHOT_BACKLOG), Window(NOW, NOW))
    )
    return requests


def values(outcome: Any, requests: list[MetricRequest[Any]]) -> list[Any]:
    return [
        r.value if isinstance(r, Observation) else f"failed: {r.error}"
        for r in outcome.results_in_order(requests)
    ]


def searches(sandbox: ZendeskSandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in sandbox.requests:
        counts[request.path] = counts.get(request.path, 0) + 1
    return counts


def test_shared_reads_give_the_values_of_a_search_each(fresh_sandbox: ZendeskSandbox) -> None:
    requests = asked()
    plain = run_connector(connector_for(fresh_sandbox), requests, choose=cost.plain)
    plain_paths = searches(fresh_sandbox)
    fresh_sandbox.requests.clear()
    shared = run_connector(connector_for(fresh_sandbox), requests)
    shared_paths = searches(fresh_sandbox)
    assert values(shared, requests) == values(plain, requests)
    assert all(isinstance(r, Observation) for r in shared.results_in_order(requests))
    count_path = "/api/v2/search/count.json"
    # A search each: 3 × (three counts + two ratios of two) + the priority and the backlog.
    assert plain_paths[count_path] == 3 * (3 + 2 * 2) + 2
    assert shared_paths[count_path] == 2  # only the priority count and the backlog
    ratings = "/api/v2/satisfaction_ratings.json"
    assert shared_paths[ratings] < plain_paths[ratings]
    assert shared.stats.calls < plain.stats.calls / 2


def test_shared_values_match_the_raw_tickets(fresh_sandbox: ZendeskSandbox) -> None:
    requests = asked()
    got = values(run_connector(connector_for(fresh_sandbox), requests), requests)
    tickets = visible(fresh_sandbox)
    for index, window in enumerate(WINDOWS):

        def created(window: Window = window) -> list[Any]:
            return [t for t in tickets if window.start <= t.created_at < window.end]

        def solved(window: Window = window) -> list[Any]:
            return [t for t in tickets if window.start <= t.solved_at < window.end]

        n = len(WINDOWS)
        assert got[index] == sum("onboarding" in t.tags for t in created())
        assert got[n + index] == sum("billing" in t.tags for t in solved())
        assert got[2 * n + index] == sum(bool({"vip", "app"} & set(t.tags)) for t in created())
        booked = sum("booking" in t.tags for t in solved()) / sum(
            "booking" in t.tags for t in created()
        )
        assert math.isclose(got[3 * n + index], booked)
        assert math.isclose(got[4 * n + index], len(solved()) / len(created()))
        rated = [
            t.rating
            for t in tickets
            if t.rating in ("good", "bad") and window.start <= t.rated_at < window.end
        ]
        assert math.isclose(got[5 * n + index], rated.count("good") / len(rated))


def test_only_tags_searches_are_read_from_the_export() -> None:
    assert tags_searched("type:ticket tags:vip tag:app") == frozenset({"vip", "app"})
    assert tags_searched("type:ticket") == frozenset()
    assert tags_searched(None) == frozenset()
    for other in ("priority:urgent", "-tags:vip", 'tags:"a b"', "tags:vi*", "status<solved"):
        assert tags_searched(f"type:ticket {other}") is None, other


def test_without_an_export_to_share_counts_stay_searches(fresh_sandbox: ZendeskSandbox) -> None:
    only_counts = [
        MetricRequest("support", ZendeskQuery.model_validate(QUERIES[0]), w) for w in WINDOWS
    ]
    plan = cost.plan(connector_for(fresh_sandbox), only_counts)
    assert [c.chosen.name for c in plan.choices] == ["search each"]
    assert plan.calls == 3
