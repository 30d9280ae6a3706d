"""Matomo sandboxes with a fixed clock, and helpers computing expectations from the raw visits.

The site reports in America/New_York while syncd's configuration is in Europe/Zurich, so a
window's days are the site's, not the configuration's: the helpers group the raw visits by
their New York day, written out independently of the sandbox's own aggregation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.matomo import MatomoConnector, MatomoQuery, MatomoSourceConfig
from connectors.matomo.data import VisitRecord
from connectors.matomo.sandbox import MatomoSandbox
from syncd.abc import ConnectorContext, MetricRequest, RetryPolicy, Window
from syncd.evaluate import DayRule

ZURICH = ZoneInfo("Europe/Zurich")
SITE_ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TOKEN = "mt-s3cr3t-token-auth"
OCTOBER = Window(datetime(2026, 10, 1, tzinfo=SITE_ZONE), datetime(2026, 11, 1, tzinfo=SITE_ZONE))


def make_sandbox(**options: Any) -> MatomoSandbox:
    settings: dict[str, Any] = {
        "now": NOW,
        "token": TOKEN,
        "site_id": 3,
        "site_timezone": "America/New_York",
    }
    return MatomoSandbox(**(settings | options))


@pytest.fixture(scope="session")
def matomo_sandbox() -> Iterator[MatomoSandbox]:
    with make_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[MatomoSandbox]:
    """A sandbox of its own, for tests that arm faults or count requests."""
    with make_sandbox() as sandbox:
        yield sandbox


def fast_context() -> ConnectorContext:
    return ConnectorContext(
        source="web",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def config_for(sandbox: MatomoSandbox, **overrides: Any) -> MatomoSourceConfig:
    raw = {
        "type": "matomo",
        "url": sandbox.url,
        "site_id": 3,
        "site_timezone": "America/New_York",
        "token_auth": TOKEN,
    } | overrides
    return MatomoSourceConfig.model_validate(raw)


def connector_for(sandbox: MatomoSandbox, **overrides: Any) -> MatomoConnector:
    return MatomoConnector(config_for(sandbox, **overrides), fast_context())


def request(query: dict[str, Any] | MatomoQuery, window: Window = OCTOBER) -> MetricRequest:
    """A request as the planner makes it: with the window's whole days in the site's zone."""
    parsed = query if isinstance(query, MatomoQuery) else MatomoQuery.model_validate(query)
    return MetricRequest("web", parsed, window, DayRule(SITE_ZONE).span(window))


def visits_on(sandbox: MatomoSandbox, first: date, last: date) -> list[VisitRecord]:
    """The raw visits of the site's days ``first``..``last`` that happened before NOW."""
    return [
        visit
        for visit in sandbox.visits
        if first <= visit.started_at.astimezone(SITE_ZONE).date() <= last and visit.started_at < NOW
    ]


def october(sandbox: MatomoSandbox) -> list[VisitRecord]:
    return visits_on(sandbox, date(2026, 10, 1), date(2026, 10, 31))
