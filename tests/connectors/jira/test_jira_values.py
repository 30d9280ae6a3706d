"""Values through the real jira client against the sandbox (Cloud and Data Center); expected
values computed by hand from the sandbox's raw seeded issues."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from connectors.jira.sandbox import JiraSandbox
from syncd.abc import Observation, RequestFailed, Window
from syncd.errors import QueryError
from tests.connectors.jira.conftest import (
    NOW,
    OCTOBER,
    ZURICH,
    connector_for,
    in_october,
    median,
    percentile,
    request,
    resolved,
    visible,
)


def ask(sandbox: JiraSandbox, query: dict[str, Any], window: Window = OCTOBER) -> float:
    with connector_for(sandbox) as connector:
        (result,) = connector.collect([request(query, window)])
    assert isinstance(result, Observation), result
    return result.value


def fails(sandbox: JiraSandbox, query: dict[str, Any]) -> str:
    with connector_for(sandbox) as connector:
        (result,) = connector.collect([request(query)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError), result
    return str(result.error)


def test_escaped_bugs_created_in_the_window(sandbox: JiraSandbox) -> None:
    expected = sum(
        i.project == "ABC" and "escaped" in i.labels and in_october(i.created_at)
        for i in visible(sandbox)
    )
    assert expected > 5
    query = {"jql": "project = ABC AND labels = escaped", "by": "created"}
    assert ask(sandbox, query) == expected


def test_approximate_count_only_where_allowed(cloud_sandbox: JiraSandbox) -> None:
    expected = sum(
        i.issue_type == "Bug" and in_october(i.created_at) for i in visible(cloud_sandbox)
    )
    before = len(cloud_sandbox.requests_to("approximate-count"))
    query = {"jql": "issuetype = Bug", "by": "created", "exact": False}
    assert ask(cloud_sandbox, query) == expected
    assert len(cloud_sandbox.requests_to("approximate-count")) == before + 1
    ask(cloud_sandbox, {"jql": "issuetype = Bug", "by": "created"})
    assert len(cloud_sandbox.requests_to("approximate-count")) == before + 1


def test_resolved_window_bounds_are_local_midnights(sandbox: JiraSandbox) -> None:
    """A bug resolved at 00:30 on 1 Nov in Zurich is 23:30 UTC on 31 Oct: it is not October's."""
    expected = sum(i.project == "OPS" and in_october(resolved(i)) for i in visible(sandbox))
    assert ask(sandbox, {"jql": "project = OPS", "by": "resolved"}) == expected


def test_story_points_sum_and_average(sandbox: JiraSandbox) -> None:
    points = [
        i.story_points
        for i in visible(sandbox)
        if i.project == "ABC" and in_october(resolved(i)) and i.story_points is not None
    ]
    total = ask(
        sandbox,
        {"jql": "project = ABC", "by": "resolved", "measure": "sum", "field": "Story Points"},
    )
    assert total == sum(points)
    mean = ask(
        sandbox,
        {"jql": "project = ABC", "by": "resolved", "measure": "avg", "field": "customfield_10016"},
    )
    assert math.isclose(mean, sum(points) / len(points))


def test_cycle_time_median_and_percentile(sandbox: JiraSandbox) -> None:
    days = [
        (resolved(i) - i.created_at).total_seconds() / 86400  # type: ignore[operator]
        for i in visible(sandbox)
        if i.issue_type == "Story" and in_october(resolved(i))
    ]
    base = {"jql": "issuetype = Story", "by": "resolved", "measure": "duration"}
    # Jira sends milliseconds; the raw instants have microseconds.
    assert math.isclose(ask(sandbox, base), median(days), abs_tol=1e-6)
    p85 = ask(sandbox, base | {"stat": "p85", "unit": "hours"})
    assert math.isclose(p85, percentile([d * 24 for d in days], 85), abs_tol=1e-4)


def test_a_custom_date_field_binds_the_window(sandbox: JiraSandbox) -> None:
    expected = sum(
        i.project == "ABC"
        and i.start_date is not None
        and OCTOBER.start.date() <= i.start_date < OCTOBER.end.date()
        for i in visible(sandbox)
    )
    assert ask(sandbox, {"jql": "project = ABC", "by": "Start date"}) == expected


def test_without_by_the_present_state_is_read(sandbox: JiraSandbox) -> None:
    expected = sum(i.project == "OPS" and resolved(i) is None for i in visible(sandbox))
    assert ask(sandbox, {"jql": "project = OPS AND status != Done"}, Window(NOW, NOW)) == expected


def test_field_mistakes_fail_the_request_with_words(sandbox: JiraSandbox) -> None:
    assert "no field 'Storypoints'" in fails(
        sandbox, {"jql": "project = ABC", "by": "created", "measure": "sum", "field": "Storypoints"}
    )
    assert "not a number" in fails(
        sandbox, {"jql": "project = ABC", "by": "created", "measure": "sum", "field": "Summary"}
    )
    assert "does not exist" in fails(sandbox, {"jql": "projcet = ABC", "by": "created"})


def test_a_snapshot_of_a_windowed_query_is_refused(cloud_sandbox: JiraSandbox) -> None:
    with connector_for(cloud_sandbox) as connector:
        moment = datetime(2026, 11, 1, tzinfo=ZURICH)
        (result,) = connector.collect(
            [request({"jql": "project = ABC", "by": "created"}, Window(moment, moment))]
        )
    assert isinstance(result, RequestFailed) and "not a snapshot" in str(result.error)


@pytest.mark.parametrize(
    "key,status,done", [("ABC-1", "Done", True), ("ABC-2", "In Progress", False)]
)
def test_issue_state_of_an_epic(sandbox: JiraSandbox, key: str, status: str, done: bool) -> None:
    epic = next(e for e in sandbox.dataset.epics if e.key == key)
    with connector_for(sandbox) as connector:
        state = connector.issue_state(key)
    assert state["status"] == status
    assert (state["category"] == "done") is done
    if done:
        assert state["resolved"] is not None
        assert abs((state["resolved"] - epic.resolved_at).total_seconds()) < 0.001  # type: ignore[operator]
    else:
        assert state["resolved"] is None
