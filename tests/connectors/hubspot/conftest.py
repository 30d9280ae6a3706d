"""HubSpot sandboxes for the connector tests, and helpers computing expectations from raw records.

The helpers read the sandbox's generated records with plain Python (property strings parsed
here, independently of the connector and of the sandbox's search engine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.hubspot import HubSpotConnector, HubSpotQuery, HubSpotSourceConfig
from connectors.hubspot.data import CrmRecord
from connectors.hubspot.sandbox import HubSpotSandbox
from syncd.abc import ConnectorContext, MetricRequest, RetryPolicy, Window
from syncd.evaluate import DayRule

ZURICH = ZoneInfo("Europe/Zurich")


def fast_context(source: str = "crm", **retry: Any) -> ConnectorContext:
    policy = {"attempts": 3, "initial_wait": 0.01, "max_wait": 0.02, "max_retry_after": 0.05}
    return ConnectorContext(
        source=source, timezone=ZURICH, retry=RetryPolicy(**{**policy, **retry})
    )


def instant(record: CrmRecord, prop: str) -> datetime | None:
    raw = record.properties.get(prop)
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) if raw else None


def request(
    query: HubSpotQuery, window: Window, source: str = "crm"
) -> MetricRequest[HubSpotQuery]:
    """A request as the planner makes it: a date-only query gets its whole UTC days."""
    traits = HubSpotConnector.traits(None, query, ZURICH)  # type: ignore[arg-type]
    if traits.day_zone is None:
        return MetricRequest(source, query, window)
    rule = DayRule(traits.day_zone)
    snapped = rule.snap(window)
    return MetricRequest(source, query, snapped, rule.span(snapped))


def within(record: CrmRecord, prop: str, start: datetime, end: datetime) -> bool:
    moment = instant(record, prop)
    return moment is not None and start <= moment < end


@pytest.fixture(scope="session")
def sandbox() -> Iterator[HubSpotSandbox]:
    """The seeded account without the per-second search limit (paging tests make many calls)."""
    with HubSpotSandbox(search_per_second=None, burst_limit=None) as box:
        yield box


@pytest.fixture(scope="session")
def bulk_sandbox() -> Iterator[HubSpotSandbox]:
    """12,000 imported contacts over October 2026 (1–21 Oct): beyond the 10,000 cap."""
    with HubSpotSandbox(
        search_per_second=None,
        burst_limit=None,
        bulk_contacts=12_000,
        bulk_start=datetime(2026, 10, 1, tzinfo=UTC),
        bulk_span=timedelta(days=20),
    ) as box:
        yield box


MakeHubSpot = Callable[..., HubSpotConnector]


@pytest.fixture
def make_hubspot(sandbox: HubSpotSandbox) -> Iterator[MakeHubSpot]:
    """``make_hubspot(box=None, context=None, **settings)``: a connector on a sandbox."""
    made: list[HubSpotConnector] = []

    def make(
        box: HubSpotSandbox | None = None, context: ConnectorContext | None = None, **settings: Any
    ) -> HubSpotConnector:
        target = box or sandbox
        raw = {
            "type": "hubspot",
            "token": target.private_app_token,
            "endpoint": target.url,
            "search_requests_per_second": None,
            **settings,
        }
        if "oauth" in settings:
            raw.pop("token")
        config = HubSpotSourceConfig.model_validate(raw)
        context = context or fast_context()
        if context.limiter is None:
            context.limiter = HubSpotConnector.limiter_for(config)
        connector = HubSpotConnector(config, context)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
