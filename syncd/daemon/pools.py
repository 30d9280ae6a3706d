"""The daemon's connector pools: the current one, and those a reload replaced until their
last run ends.

A SIGHUP builds a new pool for the new config; runs already under way keep the pool they
started with. A replaced pool is closed as soon as no run uses it (at once when idle), so its
connections and sessions do not live on until shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


P = TypeVar("P", bound=Closable)


class Pools(Generic[P]):
    """Hands out the current pool to runs and closes replaced ones once unused."""

    def __init__(self, pool: P) -> None:
        self._current = pool
        self._users: dict[int, int] = {}
        self._retired: list[P] = []
        self._lock = threading.Lock()

    @property
    def current(self) -> P:
        return self._current

    @contextmanager
    def using(self) -> Iterator[P]:
        """The current pool, held open for the block even if a reload replaces it."""
        with self._lock:
            pool = self._current
            self._users[id(pool)] = self._users.get(id(pool), 0) + 1
        try:
            yield pool
        finally:
            with self._lock:
                self._users[id(pool)] -= 1
                idle = self._take_idle()
            _close(idle)

    def replace(self, pool: P) -> None:
        """Make ``pool`` current; the old one closes now if unused, else after its last run."""
        with self._lock:
            self._retired.append(self._current)
            self._current = pool
            idle = self._take_idle()
        _close(idle)

    def retired(self) -> int:
        """How many replaced pools are still open (in use by a run)."""
        with self._lock:
            return len(self._retired)

    def close(self) -> None:
        """Close every pool, the current one included (at shutdown)."""
        with self._lock:
            every, self._retired = [*self._retired, self._current], []
        _close(every)

    def _take_idle(self) -> list[P]:
        idle = [pool for pool in self._retired if not self._users.get(id(pool))]
        self._retired = [pool for pool in self._retired if self._users.get(id(pool))]
        for pool in idle:
            self._users.pop(id(pool), None)
        return idle


def _close(pools: list[P]) -> None:
    for pool in pools:
        pool.close()
