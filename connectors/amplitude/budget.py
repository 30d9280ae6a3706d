"""Client-side pacing by query cost: Amplitude's budget is cost, not calls.

A segmentation query costs days × conditions × its query cost (events, plus 4 per group by);
a project may spend 1,000 cost in any five minutes and 108,000 in an hour, shared by every
client of the project. Spending below that keeps a sync of many KRs from being refused: a
query that does not fit waits for the window to free enough cost, and one that would wait
longer than the retry policy allows fails fast as :class:`~syncd.errors.RateLimited` (the
runner then stops asking the source for this run).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from syncd.errors import RateLimited


class CostBudget:
    """Sliding windows of spent cost: ``limits`` are ``(seconds, cost)`` pairs."""

    def __init__(
        self,
        limits: Sequence[tuple[float, int]],
        *,
        max_wait: float,
        source: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = tuple(limits)
        self.max_wait = max_wait
        self.source = source
        self._clock = clock
        self._sleep = sleep
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _wait_for(self, cost: int, now: float) -> float:
        """Seconds until ``cost`` fits every window (0: it fits now)."""
        longest = max(seconds for seconds, _ in self.limits)
        while self._spent and now - self._spent[0][0] >= longest:
            self._spent.popleft()
        wait = 0.0
        for seconds, budget in self.limits:
            need = min(cost, budget)
            inside = [(at, spent) for at, spent in self._spent if now - at < seconds]
            used = sum(spent for _, spent in inside)
            # The oldest spends leave the window first; wait until enough have left.
            for at, spent in inside:
                if used + need <= budget:
                    break
                used -= spent
                wait = max(wait, at + seconds - now)
        return wait

    def spend(self, cost: int) -> float:
        """Spend ``cost`` (a query above a whole window's budget counts as that budget),
        waiting until it fits; returns the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                wait = self._wait_for(cost, now)
                if wait <= 0:
                    self._spent.append((now, cost))
                    self.waited += waited
                    return waited
                if wait > self.max_wait:
                    raise RateLimited(
                        f"{self.source}: Amplitude's query-cost budget is spent for the next "
                        f"{wait:.0f} s (a query costing {cost} does not fit); not asking",
                        retry_after=wait,
                        source=self.source,
                    )
                self._sleep(wait)
                waited += wait
