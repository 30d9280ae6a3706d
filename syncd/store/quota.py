"""Rate limits shared by every instance on one PostgreSQL store.

Three instances each pacing themselves at a vendor's limit make three times its rate. On a
PostgreSQL store they count their calls in one window per vendor account instead (a row of
``quota_windows``): each call reserves its start in one statement, ``INSERT … ON CONFLICT DO
UPDATE … RETURNING``, which PostgreSQL runs atomically on the account's row, so the instances
together never start more than ``requests`` calls in any ``per_seconds``. The arithmetic is
:class:`syncd.limits.SlidingWindow`'s, on the database's clock (the instances' clocks may
differ); the caller sleeps the wait the statement returns, so a call costs one round trip,
never a polling loop.

SQLite stores are one machine's, and keep each process's own window (:func:`shared_quota`
answers None).

**When the store cannot be asked** (down, slow beyond :data:`STATEMENT_TIMEOUT_MS`, out of
connections) a call never waits for it and never fails for it: the source falls back to its
own window at the full limit, logged once as ``quota.shared_unavailable``, and the store is
asked again after :data:`RETRY_AFTER_S` (``quota.shared_restored`` when it answers). During
the outage N instances may together reach N times the limit; the vendor then answers 429 and
the retry policy waits its ``Retry-After``. A share of 1/N would need N, which only the store
knows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from syncd.limits import SlidingWindow, SourceLimiter, window_shape
from syncd.logs import get_logger, scrub
from syncd.store.engine import parse_url
from syncd.store.failures import driver_reason, redact_url_text

log = get_logger("syncd.quota")

STATEMENT_TIMEOUT_MS = 2000
"""How long one reservation may take (waiting for the row's lock included) before the call
falls back to the process's own window."""
CONNECT_TIMEOUT_S = 3
RETRY_AFTER_S = 30.0
"""How long after a failure calls use the local window before the store is asked again."""

# One statement, atomic on the account's row: append the next start, keep the latest
# max(requests, kept) starts. The next start is the latest of: now, the previous start (starts
# never go backwards), and the start ``requests`` calls back plus the window (an index below 1
# reads NULL, which GREATEST ignores).
_RESERVE = text(
    """
    INSERT INTO quota_windows AS q (account, starts, updated_at)
    VALUES (:account, ARRAY[extract(epoch FROM clock_timestamp())::float8], clock_timestamp())
    ON CONFLICT (account) DO UPDATE SET
        starts = (
            q.starts || GREATEST(
                extract(epoch FROM clock_timestamp())::float8,
                q.starts[cardinality(q.starts)],
                q.starts[cardinality(q.starts) - :requests + 1] + :per_seconds
            )
        )[CASE WHEN cardinality(q.starts) >= :requests THEN 2 ELSE 1 END:],
        updated_at = clock_timestamp()
    RETURNING GREATEST(
        q.starts[cardinality(q.starts)] - extract(epoch FROM clock_timestamp())::float8, 0
    )
    """
)


def shared_quota(store_url: str) -> SharedQuota | None:
    """The shared windows of the store at ``store_url`` when it is PostgreSQL; None for SQLite
    (each process keeps its own). Connects lazily: a store down now is no error here."""
    url = parse_url(store_url)
    if url.get_backend_name() != "postgresql":
        return None
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={STATEMENT_TIMEOUT_MS}"
    connect_args: dict[str, Any] = {"options": options}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=2,
        max_overflow=30,
        pool_timeout=STATEMENT_TIMEOUT_MS / 1000,
        pool_pre_ping=True,
        connect_args=connect_args,
    )
    return SharedQuota(engine)


class SharedQuota:
    """The store's rate windows, one per vendor account; hands each source a
    :class:`SharedWindow`. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        *,
        retry_after: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._retry_after = retry_after
        self._clock = clock
        self._down_until: float | None = None
        self._lock = threading.Lock()

    def share(self, limiter: SourceLimiter, account: str) -> None:
        """Count ``limiter``'s calls in the shared window of ``account`` (a limiter without a
        rate has nothing to share)."""
        if limiter.requests is None or limiter.per_seconds is None or limiter.local is None:
            return
        limiter.share(
            SharedWindow(self, account, limiter.requests, limiter.per_seconds, limiter.local)
        )

    def reserve(self, account: str, requests: int, per_seconds: float) -> float | None:
        """Reserve the next call's start in ``account``'s window; the seconds to wait, or None
        when the store cannot be asked (the caller uses its own window)."""
        with self._lock:
            if self._down_until is not None and self._clock() < self._down_until:
                return None
        calls, seconds = window_shape(requests, per_seconds)
        params = {"account": account, "requests": calls, "per_seconds": seconds}
        try:
            with self._engine.connect() as connection:
                wait = connection.execute(_RESERVE, params).scalar_one()
        except SQLAlchemyError as exc:
            with self._lock:
                first = self._down_until is None
                self._down_until = self._clock() + self._retry_after
            if first:
                log.warning(
                    "quota.shared_unavailable",
                    account=account,
                    error=scrub(redact_url_text(driver_reason(exc))),
                    fallback="this instance's own limit",
                    retry_in=self._retry_after,
                )
            return None
        with self._lock:
            recovered, self._down_until = self._down_until is not None, None
        if recovered:
            log.info("quota.shared_restored", account=account)
        return float(wait)

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()


class SharedWindow:
    """One source's calls counted in its vendor account's shared window, or in its own
    ``local`` window while the store cannot be asked."""

    def __init__(
        self,
        quota: SharedQuota,
        account: str,
        requests: int,
        per_seconds: float,
        local: SlidingWindow,
    ) -> None:
        self.account = account
        self.requests = requests
        self.per_seconds = per_seconds
        self._quota = quota
        self._local = local

    def reserve(self) -> float:
        wait = self._quota.reserve(self.account, self.requests, self.per_seconds)
        if wait is None:
            return self._local.reserve()
        self._local.note(wait)
        return wait
