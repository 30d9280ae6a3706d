"""Per-source limits: the token bucket's waits and the concurrency bound, with a fake clock."""

from __future__ import annotations

import bisect
import threading
import time
from zoneinfo import ZoneInfo

from upstream_call import call_upstream

from connectors.hubspot import HubSpotConnector, HubSpotSourceConfig
from connectors.mixpanel.config import MixpanelSourceConfig
from connectors.mixpanel.connector import MixpanelConnector
from connectors.zendesk.config import ZendeskSourceConfig
from connectors.zendesk.connector import ZendeskConnector
from syncd.abc import ConnectorContext
from syncd.limits import SlidingWindow, SourceLimiter, quota_key, url_account, window_shape


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def most_in_any_window(starts: list[float], seconds: float) -> int:
    """The most of ``starts`` inside any half-open stretch ``[t, t + seconds)``: the busiest
    stretch begins at one of the starts."""
    ordered = sorted(starts)
    return max(
        bisect.bisect_left(ordered, start + seconds) - index for index, start in enumerate(ordered)
    )


def starts_of(window: SlidingWindow, clock: FakeClock, arrivals: list[float]) -> list[float]:
    """When each call arriving at ``arrivals`` (ascending) may start: its arrival plus the
    wait the window reserves for it."""
    starts = []
    for arrival in arrivals:
        clock.now = arrival
        starts.append(arrival + window.reserve())
    return starts


def test_a_burst_beyond_the_limit_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(
        requests=5, per_seconds=1.0, concurrency=4, clock=clock, sleep=clock.sleep
    )
    for _ in range(7):
        with limiter.slot():
            pass
    # Five calls start at once; the sixth and seventh when the first is a second old.
    assert clock.sleeps == [1.0]
    assert clock.now == 1.0


def test_an_hourly_limit_is_never_exceeded_in_any_hour() -> None:
    # A token bucket that starts full lets 60 through at once and 59 more over the next
    # hour: 119 in the first rolling hour. The window lets 60.
    clock = FakeClock()
    window = SlidingWindow(60, 3600.0, clock=clock)
    arrivals = [0.0] * 60 + [30.0 * n for n in range(1, 240)]
    starts = starts_of(window, clock, arrivals)
    assert most_in_any_window(starts, 3600.0) == 60
    assert sum(1 for start in starts if start < 3600.0) == 60
    assert starts[60] == 3600.0  # the 61st call waits for the first to be an hour old


def test_starts_keep_the_order_calls_were_asked_in() -> None:
    clock = FakeClock()
    window = SlidingWindow(3, 10.0, clock=clock)
    arrivals = [0.0, 0.5, 0.5, 1.0, 1.0, 2.0, 15.0, 15.0, 40.0]
    starts = starts_of(window, clock, arrivals)
    # Each start is the later of its arrival and ten seconds after the call three before it.
    assert starts == [0.0, 0.5, 0.5, 10.0, 10.5, 10.5, 20.0, 20.5, 40.0]
    assert starts == sorted(starts)
    assert most_in_any_window(starts, 10.0) == 3


def test_a_limit_larger_than_the_log_is_kept_over_shorter_windows() -> None:
    assert window_shape(5000, 86400.0) == (1000, 17280.0)
    assert window_shape(1000, 60.0) == (1000, 60.0)
    clock = FakeClock()
    window = SlidingWindow(2500, 100.0, clock=clock)
    assert (window.requests, window.per_seconds) == (833, 100.0 / 3)
    starts = starts_of(window, clock, [0.0] * 6000)
    assert most_in_any_window(starts[:3000], 100.0) <= 2500
    assert sum(1 for start in starts if start < 100.0) == 2499  # three windows of 833


def test_a_limiter_without_a_rate_never_waits() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(
        requests=None, per_seconds=None, concurrency=1, clock=clock, sleep=clock.sleep
    )
    for _ in range(100):
        with limiter.slot():
            pass
    assert limiter.window is None and clock.sleeps == []


def test_a_shared_window_replaces_the_local_one() -> None:
    class Counted:
        def __init__(self) -> None:
            self.asked = 0

        def reserve(self) -> float:
            self.asked += 1
            return 2.5

    clock = FakeClock()
    limiter = SourceLimiter(
        requests=5, per_seconds=1.0, concurrency=1, clock=clock, sleep=clock.sleep
    )
    shared = Counted()
    limiter.share(shared)
    for _ in range(3):
        with limiter.slot():
            pass
    assert shared.asked == 3
    assert clock.sleeps == [2.5, 2.5, 2.5]  # the shared window's waits, slept once each


def test_quota_keys_name_the_account_or_else_the_source() -> None:
    assert quota_key("zendesk", "acme.zendesk.com", "support") == "zendesk:acme.zendesk.com"
    assert quota_key("hubspot", None, "crm") == "hubspot:source:crm"
    assert len(quota_key("jira", "x" * 500, "issues")) == 200


def test_call_upstream_goes_through_the_sources_limiter() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(
        requests=2, per_seconds=10.0, concurrency=1, clock=clock, sleep=clock.sleep
    )
    context = ConnectorContext(source="crm", timezone=ZoneInfo("UTC"), limiter=limiter)
    results = [call_upstream(lambda n=n: n * 10, context, what="t") for n in range(3)]
    assert results == [0, 10, 20]
    assert context.stats.calls == 3
    assert clock.sleeps == [10.0]  # the third waits for the first to be ten seconds old


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


def test_a_url_names_an_account_without_its_credentials() -> None:
    named = url_account("https://bot:s3cret@acme.zendesk.com:8443/api/")
    assert named == "acme.zendesk.com:8443/api"
    assert url_account("https://acme.atlassian.net") == "acme.atlassian.net"


def test_connectors_name_their_accounts_without_secrets() -> None:
    zendesk = ZendeskSourceConfig.model_validate(
        {"type": "zendesk", "subdomain": "acme", "email": "ops@acme.example", "token": "s3cret"}
    )
    assert ZendeskConnector.quota_account(zendesk) == "acme.zendesk.com"
    mixpanel = MixpanelSourceConfig.model_validate(
        {
            "type": "mixpanel",
            "project_id": 42,
            "username": "bot",
            "secret": "s3cret",
            "timezone": "UTC",
        }
    )
    assert MixpanelConnector.quota_account(mixpanel) == "project-42"
    hubspot = HubSpotSourceConfig.model_validate({"type": "hubspot", "token": "pat-s3cret"})
    assert HubSpotConnector.quota_account(hubspot) is None  # only its token tells the portal
