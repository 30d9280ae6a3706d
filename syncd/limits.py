"""Per-source limits on upstream calls: a request rate and a concurrency bound.

Each source gets one :class:`SourceLimiter` for the life of its connector (shared by every run
of a daemon), applied by ``Connector.call`` around each upstream attempt, so a connector
honours its vendor's quotas without code of its own; the runner keeps up to ``concurrency``
fetches of a source in flight, so the limiter, not the runner, sets the pace. The limits come
from the source's config (``rate_limit``, ``concurrency``) or the connector's documented
defaults.

The rate is a sliding window: never more than ``requests`` calls start in any
``per_seconds``-long stretch of time, bursts included (a token bucket that starts full lets
almost twice as many through in its first period). Each call reserves its start time at once,
so a waiting caller sleeps exactly until its turn, in the order the calls were asked. The
window is the process's own (:class:`SlidingWindow`) or, with several instances on one
PostgreSQL store, one shared by all of them (``syncd.store.quota``); both answer
:class:`RateWindow`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol
from urllib.parse import urlsplit

MAX_LOGGED_STARTS = 1000
"""The most call starts a window remembers; a larger limit is enforced as its share over a
proportionally shorter window (see :func:`window_shape`)."""


def window_shape(requests: int, per_seconds: float) -> tuple[int, float]:
    """The (calls, seconds) a window enforces for a limit of ``requests`` per ``per_seconds``.

    Up to :data:`MAX_LOGGED_STARTS` calls the limit itself. Above it, ``k`` windows of
    ``per_seconds / k`` seconds with ``requests // k`` calls each: any ``per_seconds`` stretch
    is covered by ``k`` of them, so it still holds at most ``requests`` calls, while the
    window remembers no more than :data:`MAX_LOGGED_STARTS` starts.
    """
    if requests <= MAX_LOGGED_STARTS:
        return requests, per_seconds
    parts = math.ceil(requests / MAX_LOGGED_STARTS)
    return requests // parts, per_seconds / parts


QUOTA_KEY_LENGTH = 200


def quota_key(source_type: str, account: str | None, source: str) -> str:
    """The name a vendor account's shared window goes by: ``<type>:<account>``, or
    ``<type>:source:<source name>`` when the connector cannot name the account (instances
    running one config then still share it). Cut to :data:`QUOTA_KEY_LENGTH` characters: two
    long keys that meet only share a stricter budget."""
    key = f"{source_type}:{account}" if account else f"{source_type}:source:{source}"
    return key[:QUOTA_KEY_LENGTH]


def url_account(url: str) -> str:
    """A vendor URL as an account name: host, port and path, never a user or password."""
    parts = urlsplit(str(url))
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or ''}{port}{parts.path.rstrip('/')}"


class QuotaShare(Protocol):
    """Rate windows shared with other instances (``syncd.store.quota.SharedQuota``)."""

    def share(self, limiter: SourceLimiter, account: str) -> None:
        """Count ``limiter``'s calls in the shared window named ``account``."""

    def close(self) -> None:
        """Release what the windows hold (connections)."""


class RateWindow(Protocol):
    """Where call starts are counted: this process's own, or shared through the store."""

    def reserve(self) -> float:
        """Reserve the start of the next call; the seconds to wait until it (0: now)."""
        ...


class SlidingWindow:
    """At most ``requests`` call starts in any ``per_seconds`` seconds, in this process.

    It remembers the reserved starts of the latest calls: a new call starts when the call
    ``requests`` places before it is ``per_seconds`` old, or now if that is later. Starts never
    go backwards, so any ``requests + 1`` consecutive calls span at least ``per_seconds``.
    Thread-safe.
    """

    def __init__(
        self,
        requests: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests, self.per_seconds = window_shape(requests, per_seconds)
        self._clock = clock
        self._starts: deque[float] = deque(maxlen=self.requests)
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = self._clock()
            start = now
            if self._starts:
                start = max(start, self._starts[-1])
            if len(self._starts) == self.requests:
                start = max(start, self._starts[0] + self.per_seconds)
            self._starts.append(start)
            return start - now

    def note(self, wait: float) -> None:
        """Count a call reserved elsewhere (the shared window) ``wait`` seconds from now, so
        this window knows the process's own recent calls if it has to stand in."""
        with self._lock:
            start = self._clock() + wait
            if self._starts:
                start = max(start, self._starts[-1])
            self._starts.append(start)


class SourceLimiter:
    """A sliding window of ``requests`` calls per ``per_seconds`` plus at most
    ``concurrency`` calls in flight. Thread-safe; waiting callers sleep rather than spin.

    ``window`` is where the calls are counted: by default this process's own
    :class:`SlidingWindow` (none without a rate); :meth:`share` swaps in one shared with
    other instances.
    """

    def __init__(
        self,
        *,
        requests: int | None,
        per_seconds: float | None,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.requests = requests if requests and per_seconds else None
        self.per_seconds = per_seconds if requests and per_seconds else None
        self.local: SlidingWindow | None = None
        if self.requests is not None and self.per_seconds is not None:
            self.local = SlidingWindow(self.requests, self.per_seconds, clock=clock)
        self.window: RateWindow | None = self.local
        self._sleep = sleep
        self.concurrency = concurrency
        self._in_flight = threading.BoundedSemaphore(concurrency)
        self.waited = 0.0  # seconds spent waiting for the rate limit, for tests and stats

    def share(self, window: RateWindow) -> None:
        """Count this source's calls in ``window`` (shared with other instances) from now on."""
        self.window = window

    @property
    def rate(self) -> float | None:
        """The sustained rate in calls per second; None when the source sets none."""
        if self.requests is None or self.per_seconds is None:
            return None
        return self.requests / self.per_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for the rate limit and a free concurrency slot, then hold the slot."""
        with self._in_flight:
            if self.window is not None and (wait := self.window.reserve()) > 0:
                self.waited += wait
                self._sleep(wait)
            yield
