"""Jira sandboxes (Cloud and Data Center) with a fixed clock, and helpers computing expected
values from their raw seeded issues, independently of the connector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.jira import JiraConnector, JiraQuery, JiraSourceConfig
from connectors.jira.data import IssueRecord
from connectors.jira.sandbox import JiraSandbox
from syncd.abc import ConnectorContext, DaySpan, MetricRequest, RetryPolicy, Window

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EMAIL, API_TOKEN, PAT = "delivery@acme.example", "jira-s3cr3t-api-token", "jira-s3cr3t-pat"
OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
OCTOBER_DAYS = DaySpan(date(2026, 10, 1), date(2026, 11, 1))


def make_sandbox(deployment: str = "Cloud", **options: Any) -> JiraSandbox:
    settings: dict[str, Any] = {
        "deployment": deployment,
        "now": NOW,
        "email": EMAIL,
        "api_token": API_TOKEN,
        "pat": PAT,
    }
    return JiraSandbox(**(settings | options))


@pytest.fixture(scope="session")
def cloud_sandbox() -> Iterator[JiraSandbox]:
    with make_sandbox("Cloud") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def dc_sandbox() -> Iterator[JiraSandbox]:
    with make_sandbox("Server") as sandbox:
        yield sandbox


@pytest.fixture(params=["Cloud", "Server"])
def sandbox(request: pytest.FixtureRequest) -> JiraSandbox:
    """Each deployment in turn (the session's sandboxes)."""
    name = "cloud_sandbox" if request.param == "Cloud" else "dc_sandbox"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def fresh_cloud() -> Iterator[JiraSandbox]:
    """A Cloud sandbox of its own, for tests that arm faults or count requests."""
    with make_sandbox("Cloud") as sandbox:
        yield sandbox


@pytest.fixture
def fresh_dc() -> Iterator[JiraSandbox]:
    with make_sandbox("Server") as sandbox:
        yield sandbox


def fast_context() -> ConnectorContext:
    return ConnectorContext(
        source="delivery",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def source_config(sandbox: JiraSandbox, **overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"type": "jira", "url": sandbox.url}
    if sandbox.cloud:
        raw |= {"email": EMAIL, "api_token": API_TOKEN}
    else:
        raw |= {"token": PAT}
    return raw | overrides


def connector_for(sandbox: JiraSandbox, **overrides: Any) -> JiraConnector:
    config = JiraSourceConfig.model_validate(source_config(sandbox, **overrides))
    return JiraConnector(config, fast_context())


def request(query: dict[str, Any], window: Window = OCTOBER) -> MetricRequest[JiraQuery]:
    parsed = JiraQuery.model_validate(query)
    days = OCTOBER_DAYS if window == OCTOBER and parsed.by else None
    return MetricRequest("delivery", parsed, window, days)


def visible(sandbox: JiraSandbox) -> list[IssueRecord]:
    """The issues that exist at the sandbox's clock, straight from the raw records."""
    return [issue for issue in sandbox.dataset.issues if issue.created_at <= NOW]


def resolved(issue: IssueRecord) -> datetime | None:
    """The resolution the sandbox shows at its clock."""
    return issue.resolved_at if issue.resolved_at is not None and issue.resolved_at <= NOW else None


def in_october(moment: datetime | None) -> bool:
    return moment is not None and OCTOBER.start <= moment < OCTOBER.end


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: list[float], p: int) -> float:
    """Linear interpolation between closest ranks, written out by hand."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
