"""Retrying one fetch: exponential backoff with jitter, honouring ``Retry-After``.

The runner (``syncd.collect``) wraps each ``fetch``/``fetch_batch`` of a connector in
:func:`retry_call`; connectors hold no retry code. Only errors that say they are
``retryable`` (:class:`~syncd.errors.RateLimited`, :class:`~syncd.errors.TransientSourceError`)
are retried; any other error goes straight up.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_exponential

from syncd.abc import RetryPolicy, UpstreamStats
from syncd.errors import RateLimited, SourceError
from syncd.logs import get_logger

T = TypeVar("T")

log = get_logger(__name__)


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, SourceError) and exc.retryable


def _retry_after(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome is not None else None
    return exc.retry_after if isinstance(exc, RateLimited) else None


class _RetryAfterTooLong(stop_base):
    """Give up at once when the source asks for a longer pause than we are willing to wait."""

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> bool:
        retry_after = _retry_after(retry_state)
        return retry_after is not None and retry_after > self.cap


class _BackoffOrRetryAfter(wait_base):
    """Exponential backoff plus up to ``initial_wait`` of jitter, capped at ``max_wait``, but
    never shorter than the ``Retry-After`` the source gave."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.exponential = wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait)

    def __call__(self, retry_state: RetryCallState) -> float:
        jitter = random.uniform(0, self.policy.initial_wait)
        backoff = min(self.exponential(retry_state) + jitter, self.policy.max_wait)
        retry_after = _retry_after(retry_state)
        return max(backoff, retry_after) if retry_after is not None else backoff


def retry_call(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    stats: UpstreamStats,
    source: str,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn``, retrying retryable source errors per ``policy``; count each retry in
    ``stats``. A ``RateLimited.retry_after`` beyond ``max_retry_after`` ends the retries at
    once. The final error is re-raised as itself. ``what`` names the request in the retry
    logs; ``sleep`` is injectable for tests."""

    def before_sleep(state: RetryCallState) -> None:
        stats.count_retry()
        error = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "upstream.retry",
            source=source,
            what=what,
            attempt=state.attempt_number,
            wait=state.next_action.sleep if state.next_action is not None else None,
            error=str(error),
        )

    retrying = Retrying(
        retry=retry_if_exception(_is_retryable),
        stop=stop_after_attempt(max(1, policy.attempts))
        | _RetryAfterTooLong(policy.max_retry_after),
        wait=_BackoffOrRetryAfter(policy),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    return retrying(fn)
