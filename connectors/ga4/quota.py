"""Reading GA4's ``propertyQuota`` and slowing down before a quota runs out.

Every report asks for ``returnPropertyQuota``; the governor keeps the latest remaining tokens
per quota, exports them as the ``syncd_ga4_quota_remaining`` gauge, and before each call:

- pauses the property until the quota refreshes when too few tokens are left for one more
  call (the next hour, or midnight Pacific for the daily quota). The pause outlives the
  connector (syncd opens a fresh one per sync), so later syncs skip the property without
  calling GA4;
- spaces calls out when the hourly tokens fall below the reserve, so the rest lasts the hour.

It also counts the 5xx answers of each property per hour (GA4 allows 10 per project and hour):
only the first ``server_error_retries`` of an hour are retried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from connectors.ga4.errors import (
    PACIFIC,
    QuotaExhausted,
    QuotaScope,
    next_hour,
    next_pacific_midnight,
)

if TYPE_CHECKING:
    from google.analytics.data_v1beta.types import PropertyQuota
    from prometheus_client import CollectorRegistry, Gauge

QUOTA_FIELDS = (
    "tokens_per_day",
    "tokens_per_hour",
    "tokens_per_project_per_hour",
    "concurrent_requests",
    "server_errors_per_project_per_hour",
    "potentially_thresholded_requests_per_hour",
)


@cache
def _metrics() -> tuple[CollectorRegistry, Gauge]:
    # prometheus_client loads with the first GA4 report or /metrics scrape, not with the config.
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry(auto_describe=True)
    gauge = Gauge(
        "syncd_ga4_quota_remaining",
        "Tokens (or requests) left in a GA4 property quota, from the last report's propertyQuota",
        ["source", "property", "quota"],
        registry=registry,
    )
    return registry, gauge


def registry() -> CollectorRegistry:
    """The GA4 quota gauges, kept out of the global registry like the daemon's own metrics; the
    daemon's ``/metrics`` exports them by collecting this registry too."""
    return _metrics()[0]


def remaining_gauge() -> Gauge:
    """``syncd_ga4_quota_remaining``: tokens left per source, property and quota."""
    return _metrics()[1]


_pauses: dict[tuple[str, str], tuple[datetime, str, QuotaScope]] = {}
_server_errors: dict[tuple[str, str], tuple[datetime, int]] = {}
_pauses_lock = threading.Lock()


def clear_pauses() -> None:
    """Forget every quota pause and server-error count (tests; an operator who raised the
    property's quota)."""
    with _pauses_lock:
        _pauses.clear()
        _server_errors.clear()


def count_server_error(key: tuple[str, str], now: datetime, budget: int) -> bool:
    """Count a 5xx of ``key`` (endpoint, property) in the current UTC hour; whether it is still
    within ``budget`` retries (so worth retrying)."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    with _pauses_lock:
        since, count = _server_errors.get(key, (hour, 0))
        count = count + 1 if since == hour else 1
        _server_errors[key] = (hour, count)
    return count <= budget


@dataclass
class QuotaSnapshot:
    """The remaining amount of each quota after the last report, and when it was read."""

    remaining: dict[str, int]
    cost: int
    read_at: datetime


class QuotaGovernor:
    """Quota state of one property as seen through one endpoint."""

    def __init__(
        self,
        *,
        source: str,
        endpoint: str,
        prop: str,
        reserve_tokens: int,
        max_pace_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.prop = prop
        self.key = (endpoint, prop)
        self.reserve_tokens = reserve_tokens
        self.max_pace_seconds = max_pace_seconds
        self.clock = clock
        self.sleep = sleep
        self.snapshot: QuotaSnapshot | None = None
        self.paced_seconds = 0.0

    def observe(self, quota: PropertyQuota, *, cost: int | None = None) -> None:
        """Record the ``propertyQuota`` of a response (the last report of a batch); ``cost``
        is what the whole call consumed (by default the report's own tokens)."""
        remaining: dict[str, int] = {}
        for name in QUOTA_FIELDS:
            if name in quota:
                status = getattr(quota, name)
                remaining[name] = int(status.remaining)
                remaining_gauge().labels(self.source, self.prop, name).set(status.remaining)
        if not remaining:
            return
        spent = cost if cost is not None else int(quota.tokens_per_hour.consumed)
        self.snapshot = QuotaSnapshot(remaining, max(1, spent), self.clock())

    def pause(self, scope: QuotaScope, until: datetime, message: str) -> None:
        with _pauses_lock:
            _pauses[self.key] = (until, message, scope)

    def _paused(self, now: datetime) -> QuotaExhausted | None:
        with _pauses_lock:
            entry = _pauses.get(self.key)
            if entry is None:
                return None
            until, message, scope = entry
            if now >= until:
                del _pauses[self.key]
                return None
        return QuotaExhausted(message, scope=scope, until=until, now=now, source=self.source)

    def _current(self, now: datetime) -> QuotaSnapshot | None:
        """The snapshot, if it still describes the current hour (UTC) and day (Pacific)."""
        snap = self.snapshot
        if snap is None:
            return None
        if next_hour(snap.read_at) <= now:
            fresh = dict(snap.remaining)
            for name in ("tokens_per_hour", "tokens_per_project_per_hour"):
                fresh.pop(name, None)
            if snap.read_at.astimezone(PACIFIC).date() != now.astimezone(PACIFIC).date():
                fresh.pop("tokens_per_day", None)
            return QuotaSnapshot(fresh, snap.cost, snap.read_at)
        return snap

    def before_call(self) -> None:
        """Wait, or raise :class:`QuotaExhausted`, as the known quota state requires."""
        now = self.clock()
        if (paused := self._paused(now)) is not None:
            raise paused
        snap = self._current(now)
        if snap is None:
            return
        daily = snap.remaining.get("tokens_per_day")
        if daily is not None and daily < snap.cost:
            until = next_pacific_midnight(now)
            message = (
                f"{self.source}: GA4 property {self.prop} has {daily} of its daily tokens left, "
                f"too few for another report; paused until {until.isoformat()}"
            )
            self.pause("day", until, message)
            raise QuotaExhausted(message, scope="day", until=until, now=now, source=self.source)
        hourly = min(
            (
                snap.remaining[n]
                for n in ("tokens_per_hour", "tokens_per_project_per_hour")
                if n in snap.remaining
            ),
            default=None,
        )
        if hourly is None:
            return
        until = next_hour(now)
        if hourly < snap.cost:
            message = (
                f"{self.source}: GA4 property {self.prop} has {hourly} of its hourly tokens left, "
                f"too few for another report; paused until {until.isoformat()}"
            )
            self.pause("hour", until, message)
            raise QuotaExhausted(message, scope="hour", until=until, now=now, source=self.source)
        if hourly < self.reserve_tokens:
            calls_left = max(1.0, hourly / snap.cost)
            wait = min(self.max_pace_seconds, (until - now).total_seconds() / calls_left)
            self.paced_seconds += wait
            self.sleep(wait)
