"""retry_call: which errors are retried, how long it waits, what it counts and logs."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs
from upstream_call import call_upstream

from syncd.abc import ConnectorContext, RetryPolicy
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError


def make_context(**policy: float) -> ConnectorContext:
    return ConnectorContext(
        source="crm", timezone=ZoneInfo("Europe/Zurich"), retry=RetryPolicy(**policy)
    )


def scripted(*outcomes: BaseException | int) -> Callable[[], int]:
    """A fake upstream call: raises or returns the outcomes in order."""
    remaining = list(outcomes)

    def call() -> int:
        outcome = remaining.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return call


class FakeClock:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_retry_after_sets_the_exact_waits_and_counts():
    context = make_context(attempts=4, initial_wait=0.1, max_wait=1.0, max_retry_after=60)
    clock = FakeClock()
    fn = scripted(
        RateLimited("slow down", retry_after=7),
        RateLimited("slow down", retry_after=12.5),
        42,
    )

    assert call_upstream(fn, context, what="search", sleep=clock) == 42

    # Backoff here is at most 0.1*2 + 0.1 = 0.3 s, so Retry-After decides each wait.
    assert clock.waits == [7, 12.5]
    assert context.stats.calls == 3
    assert context.stats.retries == 2


def test_retry_after_may_exceed_max_wait_but_not_max_retry_after():
    context = make_context(attempts=5, initial_wait=0.1, max_wait=1.0, max_retry_after=30)
    clock = FakeClock()
    error = RateLimited("daily quota", retry_after=3600)
    fn = scripted(RateLimited("busy", retry_after=20), error, 1)

    with pytest.raises(RateLimited) as raised:
        call_upstream(fn, context, what="search", sleep=clock)

    assert raised.value is error
    assert clock.waits == [20]
    assert context.stats.calls == 2
    assert context.stats.retries == 1


def test_transient_errors_back_off_exponentially_and_the_last_error_is_reraised():
    context = make_context(attempts=3, initial_wait=0.5, max_wait=30)
    clock = FakeClock()
    last = TransientSourceError("502 again")
    fn = scripted(TransientSourceError("502"), TransientSourceError("503"), last)

    with pytest.raises(TransientSourceError) as raised:
        call_upstream(fn, context, what="report", sleep=clock)

    assert raised.value is last
    assert context.stats.calls == 3
    assert context.stats.retries == 2
    # Retry 1: 0.5 s base, retry 2: 1.0 s base, each plus up to 0.5 s of jitter.
    assert len(clock.waits) == 2
    assert 0.5 <= clock.waits[0] <= 1.0
    assert 1.0 <= clock.waits[1] <= 1.5


def test_backoff_is_capped_by_max_wait():
    context = make_context(attempts=6, initial_wait=1.0, max_wait=3.0)
    clock = FakeClock()
    fn = scripted(*[TransientSourceError("timeout")] * 5, 7)

    assert call_upstream(fn, context, what="report", sleep=clock) == 7

    assert len(clock.waits) == 5
    assert 1.0 <= clock.waits[0] <= 2.0
    assert 2.0 <= clock.waits[1] <= 3.0
    assert clock.waits[2:] == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("error", [QueryError("no such column"), AuthError("401")])
def test_fatal_source_errors_are_not_retried(error):
    context = make_context()
    clock = FakeClock()

    with pytest.raises(type(error)) as raised:
        call_upstream(scripted(error, 1), context, what="report", sleep=clock)

    assert raised.value is error
    assert clock.waits == []
    assert context.stats.calls == 1
    assert context.stats.retries == 0


def test_unexpected_exceptions_pass_through_unretried():
    context = make_context()
    clock = FakeClock()

    with pytest.raises(ZeroDivisionError):
        call_upstream(scripted(ZeroDivisionError("bug"), 1), context, what="x", sleep=clock)

    assert clock.waits == []
    assert context.stats.calls == 1


def test_each_retry_is_logged_with_source_what_attempt_wait_and_error():
    context = make_context(attempts=3, initial_wait=0.1, max_wait=1.0)
    clock = FakeClock()
    fn = scripted(RateLimited("429 Too Many Requests", retry_after=4), 5)

    with capture_logs() as logs:
        call_upstream(fn, context, what="POST /search", sleep=clock)

    assert logs == [
        {
            "event": "upstream.retry",
            "log_level": "info",
            "source": "crm",
            "what": "POST /search",
            "attempt": 1,
            "wait": 4,
            "error": "429 Too Many Requests",
        }
    ]


def test_success_on_first_attempt_counts_one_call_and_never_sleeps():
    context = make_context()
    clock = FakeClock()

    assert call_upstream(lambda: "ok", context, what="x", sleep=clock) == "ok"
    assert context.stats.calls == 1
    assert context.stats.retries == 0
    assert clock.waits == []
