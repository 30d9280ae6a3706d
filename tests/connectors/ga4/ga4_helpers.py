"""Helpers of the GA4 tests: windows, requests, a fast context, raw facts of a span.

Expected values come from ``sandbox.facts`` with plain Python, never through the connector or
the sandbox's report engine.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.ga4 import Ga4Query
from connectors.ga4.data import DailyFact
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import ConnectorContext, MetricRequest, RequestFailed, RetryPolicy, Window
from syncd.errors import SourceError
from syncd.evaluate import DayRule

ZURICH = ZoneInfo("Europe/Zurich")
PROPERTY = "123456789"


def local(year: int, month: int, day: int, hour: int = 0, tz: ZoneInfo = ZURICH) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


def window(start: date, end: date, tz: ZoneInfo = ZURICH) -> Window:
    """Local midnight of ``start`` to local midnight of ``end`` (exclusive)."""
    return Window(
        local(start.year, start.month, start.day, tz=tz), local(end.year, end.month, end.day, tz=tz)
    )


def request(
    metric: str, win: Window, source: str = "web", zone: ZoneInfo = ZURICH, **query: Any
) -> MetricRequest[Ga4Query]:
    """A request with its days as the planner sets them (complete days of ``zone``)."""
    return MetricRequest(source, Ga4Query(metric=metric, **query), win, DayRule(zone).span(win))


def fast_context(source: str = "web", attempts: int = 3) -> ConnectorContext:
    return ConnectorContext(
        source=source,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=attempts, initial_wait=0.001, max_wait=0.01, max_retry_after=5),
    )


def facts_between(sandbox: Ga4Sandbox, first: date, last: date) -> list[DailyFact]:
    """Facts of the days ``first``..``last`` inclusive."""
    return [fact for fact in sandbox.facts if first <= fact.day <= last]


def failure(results: Any) -> SourceError:
    """The error of the one request of ``results``, which must have failed."""
    (result,) = list(results)
    assert isinstance(result, RequestFailed), result
    return result.error
