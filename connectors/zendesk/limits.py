"""Client-side pacing: never more than N calls in any 60 seconds.

Zendesk answers a call over budget with 429; pacing ourselves below the plan's limit (and the
incremental export's 10 per minute) keeps a big sync from spending its retries on waiting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class MinuteLimiter:
    """A sliding-window limiter: :meth:`acquire` blocks until a call fits the budget."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one call's slot, waiting if needed; returns the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._calls and now - self._calls[0] >= self.window:
                    self._calls.popleft()
                if len(self._calls) < self.per_minute:
                    self._calls.append(now)
                    return waited
                pause = self.window - (now - self._calls[0])
                self._sleep(pause)
                waited += pause
