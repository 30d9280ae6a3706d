"""A Zendesk sandbox with a fixed clock, and helpers computing expectations from its raw data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.zendesk import ZendeskConnector, ZendeskSourceConfig
from connectors.zendesk.data import TicketRecord
from connectors.zendesk.sandbox import ZendeskSandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EMAIL, TOKEN, OAUTH = "ops@acme.example", "zd-s3cr3t-token", "zd-s3cr3t-oauth"


def make_sandbox(**options: Any) -> ZendeskSandbox:
    settings: dict[str, Any] = {
        "now": NOW,
        "email": EMAIL,
        "token": TOKEN,
        "oauth_token": OAUTH,
        "requests_per_minute": 100_000,
        "export_requests_per_minute": 1_000,
    }
    return ZendeskSandbox(**(settings | options))


@pytest.fixture(scope="session")
def zendesk_sandbox() -> Iterator[ZendeskSandbox]:
    with make_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[ZendeskSandbox]:
    """A sandbox of its own, for tests that arm faults or count requests."""
    with make_sandbox() as sandbox:
        yield sandbox


def fast_context() -> ConnectorContext:
    return ConnectorContext(
        source="support",
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def connector_for(sandbox: ZendeskSandbox, **overrides: Any) -> ZendeskConnector:
    raw = {"type": "zendesk", "url": sandbox.url, "email": EMAIL, "token": TOKEN} | overrides
    return ZendeskConnector(ZendeskSourceConfig.model_validate(raw), fast_context())


def visible(sandbox: ZendeskSandbox) -> list[TicketRecord]:
    """The tickets that exist at the sandbox's clock, straight from the raw records."""
    return [t for t in sandbox.dataset.tickets if t.created_at <= NOW]


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
