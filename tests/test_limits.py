"""Per-source limits: the token bucket's waits and the concurrency bound, with a fake clock."""

from __future__ import annotations

import threading
import time
from zoneinfo import ZoneInfo

from upstream_call import call_upstream

from syncd.abc import ConnectorContext
from syncd.limits import SourceLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_burst_beyond_the_bucket_waits_for_tokens() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(
        requests=5, per_seconds=1.0, concurrency=4, clock=clock, sleep=clock.sleep
    )
    for _ in range(7):
        with limiter.slot():
            pass
    # Five calls use the full bucket; each of the next two waits one token's time (0.2 s).
    assert len(clock.sleeps) == 2
    assert [round(s, 6) for s in clock.sleeps] == [0.2, 0.2]
    assert round(clock.now, 6) == 0.4


def test_call_upstream_goes_through_the_sources_limiter() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(
        requests=2, per_seconds=10.0, concurrency=1, clock=clock, sleep=clock.sleep
    )
    context = ConnectorContext(source="crm", timezone=ZoneInfo("UTC"), limiter=limiter)
    results = [call_upstream(lambda n=n: n * 10, context, what="t") for n in range(3)]
    assert results == [0, 10, 20]
    assert context.stats.calls == 3
    assert [round(s, 6) for s in clock.sleeps] == [5.0]  # the third waits for one token


def test_concurrency_bound_holds_under_threads() -> None:
    limiter = SourceLimiter(requests=None, per_seconds=None, concurrency=2)
    lock = threading.Lock()
    in_flight = peak = 0

    def call() -> None:
        nonlocal in_flight, peak
        with limiter.slot():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2
