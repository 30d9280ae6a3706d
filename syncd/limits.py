"""Per-source limits on upstream calls: a request rate and a concurrency bound.

Each source gets one :class:`SourceLimiter` for the life of its connector (shared by every run
of a daemon), applied by ``Connector.call`` around each upstream attempt, so a connector
honours its vendor's quotas without code of its own; the runner keeps up to ``concurrency``
fetches of a source in flight, so the limiter, not the runner, sets the pace. The limits come
from the source's config (``rate_limit``, ``concurrency``) or the connector's documented
defaults.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SourceLimiter:
    """A token bucket of ``requests`` per ``per_seconds`` plus at most ``concurrency`` calls
    in flight. Thread-safe; waiting callers sleep rather than spin."""

    def __init__(
        self,
        *,
        requests: int | None,
        per_seconds: float | None,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = requests / per_seconds if requests and per_seconds else None
        self._capacity = float(requests or 0)
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()
        self.concurrency = concurrency
        self._in_flight = threading.BoundedSemaphore(concurrency)
        self.waited = 0.0  # seconds spent waiting for the rate limit, for tests and stats

    @property
    def rate(self) -> float | None:
        """The sustained rate in calls per second; None when the source sets none."""
        return self._rate

    def _take_token(self) -> float:
        """Take a token if one is there; else how long until one is."""
        with self._lock:
            now = self._clock()
            assert self._rate is not None
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._rate

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for the rate limit and a free concurrency slot, then hold the slot."""
        with self._in_flight:
            while self._rate is not None and (wait := self._take_token()) > 0:
                self.waited += wait
                self._sleep(wait)
            yield
