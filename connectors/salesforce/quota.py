"""Keeping a Salesforce source within its share of the org's daily API allocation.

Salesforce reports the org's rolling 24-hour usage on every REST response
(``Sforce-Limit-Info: api-usage=<used>/<max>``). The guard refuses further calls once
``max_api_share`` of it is used, and pauses the source for ``pause_seconds`` after a
``REQUEST_LIMIT_EXCEEDED``. Pauses are kept per source in the process, so a new connector
instance (a new run) honours a pause an earlier one started.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.salesforce.errors import ApiAllocationExhausted

_pauses: dict[str, float] = {}
_pauses_lock = threading.Lock()


@dataclass
class ApiUsage:
    used: int
    total: int


class QuotaGuard:
    """Decides, before each call, whether the source may still call Salesforce."""

    def __init__(
        self,
        key: str,
        source: str,
        *,
        max_share: float,
        pause_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.source = source
        self.max_share = max_share
        self.pause_seconds = pause_seconds
        self.clock = clock
        self.usage: ApiUsage | None = None

    def observe(self, used: int, total: int) -> None:
        """Record the usage Salesforce last reported."""
        self.usage = ApiUsage(used, total)

    def check(self) -> None:
        """Raise :class:`ApiAllocationExhausted` when the source must not call now."""
        refusal = self.refusal()
        if refusal is not None:
            raise refusal

    def refusal(self) -> ApiAllocationExhausted | None:
        """Why the source must not call now (paused, or its share used), else None."""
        with _pauses_lock:
            until = _pauses.get(self.key)
        now = self.clock()
        if until is not None and now < until:
            return ApiAllocationExhausted(
                f"{self.source}: paused after REQUEST_LIMIT_EXCEEDED for another "
                f"{until - now:.0f} s",
                retry_after=until - now,
                source=self.source,
            )
        usage = self.usage
        if usage is not None and usage.total > 0 and usage.used >= self.max_share * usage.total:
            return self.share_used()
        return None

    def share_used(self) -> ApiAllocationExhausted:
        """The error of a call beyond ``max_share`` of the allocation."""
        usage = self.usage or ApiUsage(0, 0)
        return ApiAllocationExhausted(
            f"{self.source}: {usage.used} of the org's {usage.total} daily API requests are "
            f"used; syncd stops at {self.max_share:.0%} (max_api_share)",
            retry_after=self.pause_seconds,
            source=self.source,
        )

    def allowance(self) -> int | None:
        """How many more API requests the share allows; None before Salesforce reported the
        usage."""
        usage = self.usage
        if usage is None or usage.total <= 0:
            return None
        return max(0, math.ceil(self.max_share * usage.total) - usage.used)

    def pause(self, message: str) -> ApiAllocationExhausted:
        """Pause the source after ``REQUEST_LIMIT_EXCEEDED``; returns the error to raise."""
        with _pauses_lock:
            _pauses[self.key] = self.clock() + self.pause_seconds
        return ApiAllocationExhausted(
            f"{message}; source paused for {self.pause_seconds:.0f} s",
            retry_after=self.pause_seconds,
            source=self.source,
        )

    def resume(self) -> None:
        """Lift a pause (tests, or an operator who raised the org's allocation)."""
        with _pauses_lock:
            _pauses.pop(self.key, None)
