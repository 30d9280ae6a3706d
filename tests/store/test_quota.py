"""The shared rate windows on PostgreSQL: one atomic reservation per call, shared by every
instance and thread; SQLite keeps the local window; a store that cannot be asked costs no call.

Windows here are 100 s long, so the few milliseconds the calls themselves take are small next
to the waits the windows hand out (each expected wait is a whole number of windows)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from structlog.testing import capture_logs

from connectors.hubspot.sandbox import HubSpotSandbox
from syncd.config import load_config
from syncd.limits import SourceLimiter
from syncd.store import Store
from syncd.store.quota import SharedQuota, SharedWindow, shared_quota
from syncd.sync import Syncer

WINDOW = 100.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def limiter(requests: int, clock: Clock | None = None) -> SourceLimiter:
    return SourceLimiter(
        requests=requests,
        per_seconds=WINDOW,
        concurrency=1,
        clock=clock or Clock(),
        sleep=lambda seconds: None,
    )


def whole_windows(waits: list[float]) -> list[int]:
    """Each wait in whole windows (a wait of 99.997 s is one window less the call's time)."""
    return sorted(round(wait / WINDOW) for wait in waits)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def quotas(postgres_url: str) -> Iterator[list[SharedQuota]]:
    """Three instances' shared windows on one migrated PostgreSQL store."""
    Store.open(postgres_url).close()
    opened = [shared_quota(postgres_url) for _ in range(3)]
    assert all(quota is not None for quota in opened)
    yield [quota for quota in opened if quota is not None]
    for quota in opened:
        if quota is not None:
            quota.close()


@pytest.mark.postgres
def test_three_instances_with_threads_share_one_window(quotas: list[SharedQuota]) -> None:
    waits: list[float] = []
    lock = threading.Lock()

    def instance_thread(quota: SharedQuota) -> None:
        for _ in range(5):
            wait = quota.reserve("hubspot:source:crm", 3, WINDOW)
            assert wait is not None
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=instance_thread, args=(q,)) for q in quotas * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 30 calls, 3 per window: three start now, three a window later, and so on; an update lost
    # between instances would start a fourth call in some window.
    assert whole_windows(waits) == [n // 3 for n in range(30)]


@pytest.mark.postgres
def test_accounts_and_limits_are_counted_apart(quotas: list[SharedQuota]) -> None:
    first, second, _ = quotas
    assert first.reserve("zendesk:a.zendesk.com", 1, WINDOW) == 0.0
    assert second.reserve("zendesk:b.zendesk.com", 1, WINDOW) == 0.0
    # One account under two limits: each call is paced by its own limit over the shared
    # history. Three calls fit a limit of 4; the next under a limit of 2 waits a window (two
    # calls already started in it), and so does the next under 4 (starts never go backwards).
    waits = [first.reserve("jira:acme", 4, WINDOW) for _ in range(3)]
    waits.append(second.reserve("jira:acme", 2, WINDOW))
    waits.append(first.reserve("jira:acme", 4, WINDOW))
    assert whole_windows([wait if wait is not None else -1.0 for wait in waits]) == [0, 0, 0, 1, 1]


@pytest.mark.postgres
def test_a_limiter_shares_its_window_and_keeps_its_own_in_step(
    quotas: list[SharedQuota],
) -> None:
    clock = Clock()
    paced = limiter(2, clock)
    quotas[0].share(paced, "mixpanel:project-1")
    assert isinstance(paced.window, SharedWindow)
    assert paced.local is not None
    other = quotas[1]
    assert other.reserve("mixpanel:project-1", 2, WINDOW) == 0.0  # another instance's call
    assert whole_windows([paced.window.reserve(), paced.window.reserve()]) == [0, 1]
    # The local window noted this instance's two calls: standing in, it would wait a window.
    assert whole_windows([paced.local.reserve()]) == [1]


def test_sqlite_keeps_each_process_its_own_window(tmp_path: Path) -> None:
    assert shared_quota(f"sqlite:///{tmp_path / 'syncd.db'}") is None
    loaded = load_config(
        write_config(tmp_path, f"sqlite:///{tmp_path / 'syncd.db'}", "http://127.0.0.1:1"),
        environ={"HUBSPOT_TOKEN": "pat-test"},
    )
    with Syncer(loaded).pool() as pool:
        paced = pool.get("crm").context.limiter
        assert paced is not None and paced.window is paced.local is not None


def test_an_unreachable_store_falls_back_to_the_local_window_and_is_asked_again_later() -> None:
    quota = shared_quota(f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/syncd")
    assert isinstance(quota, SharedQuota)
    clock = Clock()
    quota._clock = clock
    attempts: list[int] = []
    event.listen(quota._engine, "do_connect", lambda *args: attempts.append(1))
    paced = limiter(2, clock)
    quota.share(paced, "hubspot:source:crm")
    assert paced.window is not None
    with capture_logs() as logs:
        waits = [paced.window.reserve() for _ in range(3)]
        clock.now = 10.0
        waits.append(paced.window.reserve())
    # The local window at the full limit: two now, the next two a window after the first two.
    assert waits == [0.0, 0.0, WINDOW, WINDOW - 10.0]
    assert len(attempts) == 1  # asked once, then left alone for RETRY_AFTER_S
    assert [entry["event"] for entry in logs] == ["quota.shared_unavailable"]
    assert "127.0.0.1" in logs[0]["error"] and "s3cret" not in str(logs)
    clock.now = 40.0
    assert paced.window.reserve() == 2 * WINDOW - 40.0  # after the fourth, itself at 100
    assert len(attempts) == 2
    quota.close()


@pytest.mark.postgres
def test_a_store_without_the_table_falls_back_then_recovers(postgres_url: str) -> None:
    # A store not migrated yet answers every reservation with an error, as an outage does.
    quota = shared_quota(postgres_url)
    assert isinstance(quota, SharedQuota)
    clock = Clock()
    quota._clock = clock
    paced = limiter(1, clock)
    quota.share(paced, "zendesk:acme.zendesk.com")
    assert paced.window is not None
    with capture_logs() as logs:
        assert paced.window.reserve() == 0.0
        Store.open(postgres_url).close()
        clock.now = 5.0
        assert paced.window.reserve() == WINDOW - 5.0  # still local: not asked again yet
        clock.now = 31.0
        shared = paced.window.reserve()  # asked again: a fresh shared window
    assert shared == 0.0
    assert [entry["event"] for entry in logs] == [
        "quota.shared_unavailable",
        "quota.shared_restored",
    ]
    quota.close()


def test_a_sync_with_its_store_unreachable_for_the_quota_measures_everything(
    tmp_path: Path,
) -> None:
    # The config names a PostgreSQL store nobody answers on; the pass writes to SQLite.
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/syncd"
    with HubSpotSandbox(search_per_second=5) as box:
        loaded = load_config(
            write_config(tmp_path, dead, box.url), environ={"HUBSPOT_TOKEN": box.private_app_token}
        )
        with Store.open(f"sqlite:///{tmp_path / 'syncd.db'}") as store, capture_logs() as logs:
            report = Syncer(loaded).run(store, datetime.now(UTC))
    assert [r.binding.kr.id for r in report.results if r.evaluated.value is not None] == [
        "won-1",
        "won-2",
    ]
    assert report.failures == []
    unavailable = [entry for entry in logs if entry["event"] == "quota.shared_unavailable"]
    assert len(unavailable) == 1


def write_config(directory: Path, store: str, endpoint: str) -> Path:
    today = datetime.now(UTC).date()
    path = directory / "syncd.yaml"
    path.write_text(
        f"""\
timezone: UTC
store: "{store}"
sources:
  crm: {{type: hubspot, token: "${{env:HUBSPOT_TOKEN}}", endpoint: "{endpoint}"}}
cycles:
  now: {{start: {today - timedelta(days=30)}, end: {today + timedelta(days=30)}}}
metrics:
  won_1: {{source: crm, query: {{object: deals, date_property: closedate}}, window: trailing_1d}}
  won_2: {{source: crm, query: {{object: deals, date_property: closedate}}, window: trailing_2d}}
objectives:
  - id: sales
    title: Win more deals
    team: sales
    cycle: now
    key_results:
      - {{id: won-1, title: A, metric: won_1, focus: business, baseline: 0, target: 9,
         schedule: daily}}
      - {{id: won-2, title: B, metric: won_2, focus: business, baseline: 0, target: 9,
         schedule: daily}}
"""
    )
    return path
