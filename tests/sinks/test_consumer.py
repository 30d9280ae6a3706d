"""The sink consumer through the recording tool over HTTP: exactly once across passes,
restarts and instances; nothing for an unchanged value; a refused token parks the sink while
the source keeps syncing; other failures are retried by the outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.config import LoadedConfig
from syncd.consumers import ConsumerRunner
from syncd.events import MEASUREMENT_RECORDED
from syncd.sinks.build import opened_sinks
from syncd.sinks.consumer import consumer_name, sink_consumers
from syncd.sinks.drain import drain_sinks
from syncd.store import MeasurementIn, Store
from syncd.sync import Syncer
from tests.sinks.conftest import TOKEN, load, make_warehouse, write_config
from tests.sinks.recording import RecordingSandbox

ZURICH = ZoneInfo("Europe/Zurich")
NOV_21 = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)  # measures Nov 20 (calendar_day)


@pytest.fixture
def workspace(tmp_path: Path, tool: RecordingSandbox) -> LoadedConfig:
    make_warehouse(tmp_path / "warehouse.db", {"2026-11-19": 3, "2026-11-20": 5, "2026-11-21": 2})
    return load(write_config(tmp_path, store=f"sqlite:///{tmp_path}/syncd.db", url=tool.url))


@pytest.fixture
def store(workspace: LoadedConfig) -> Iterator[Store]:
    with Store.open(workspace.config.store.get_secret_value()) as opened:
        opened.sync_definitions(workspace.config)
        yield opened


def sync(loaded: LoadedConfig, store: Store, now: datetime) -> None:
    report = Syncer(loaded).run(store, now)
    assert not report.failures


def test_a_value_is_delivered_once_across_two_passes(
    workspace: LoadedConfig, store: Store, tool: RecordingSandbox, tmp_path: Path
) -> None:
    sync(workspace, store, NOV_21)
    assert drain_sinks(workspace.config, store, owner="a")["tool"]["sent"] == 1
    sync(workspace, store, NOV_21)  # the same value again: the store publishes nothing
    assert drain_sinks(workspace.config, store, owner="a")["tool"].total() == 0
    assert tool.checkins("g-1") == [(date(2026, 11, 20), 5.0)]
    method, path, body = tool.received[0]
    assert (method, path) == ("POST", "/goals/g-1/checkins")
    assert body == {
        "day": "2026-11-20",
        "value": 5.0,
        "note": "syncd: warehouse, 2026-11-20",
        "status": "off_track",
    }
    assert len(tool.received) == 1

    # a restatement of Nov 20 updates its check-in; Nov 21 gets its own
    make_warehouse(tmp_path / "warehouse.db", {"2026-11-20": 7, "2026-11-21": 2})
    sync(workspace, store, NOV_21)
    sync(workspace, store, NOV_21 + timedelta(days=1))
    counts = drain_sinks(workspace.config, store, owner="a")["tool"]
    assert counts["sent"] == 2
    assert tool.checkins("g-1") == [(date(2026, 11, 20), 7.0), (date(2026, 11, 21), 2.0)]
    assert [(m, p) for m, p, _ in tool.received[1:]] == [
        ("PUT", "/goals/g-1/checkins/1"),
        ("POST", "/goals/g-1/checkins"),
    ]


def test_a_restart_sends_nothing_again_even_after_a_crash_before_the_ack(
    workspace: LoadedConfig, tool: RecordingSandbox
) -> None:
    url = workspace.config.store.get_secret_value()
    t0 = datetime(2026, 11, 21, 12, tzinfo=UTC)
    with Store.open(url, owner="first") as first:
        first.sync_definitions(workspace.config)
        sync(workspace, first, NOV_21)
        with opened_sinks(workspace.config) as sinks:
            (consumer,) = sink_consumers(sinks, workspace.config, first, clock=lambda: t0)
            held = first.outbox.claim(
                consumer.name,
                consumer.event_types,
                owner="first",
                lease=timedelta(minutes=5),
                limit=10,
                now=t0,
            )
            assert len(held) == 2  # both KRs' values; only "signups" is pushed
            consumer.handle(held)  # delivered, then the process dies before its ack
    assert len(tool.received) == 1

    with Store.open(url, owner="second") as second, opened_sinks(workspace.config) as sinks:
        later = t0 + timedelta(minutes=10)  # the dead holder's lease ran out
        consumers = sink_consumers(sinks, workspace.config, second, clock=lambda: later)
        runner = ConsumerRunner(second.outbox, consumers, owner="second", clock=lambda: later)
        assert runner.drain() == 2  # handed again (attempt 2) ...
        assert runner.drain() == 0  # ... and acknowledged
    assert len(tool.received) == 1  # ... but the receipt said the tool has it
    assert tool.checkins("g-1") == [(date(2026, 11, 20), 5.0)]


def test_two_instances_deliver_each_value_once(
    sql_store_url: str, tmp_path: Path, tool: RecordingSandbox
) -> None:
    loaded = load(write_config(tmp_path, store=sql_store_url, url=tool.url))
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(12)]
    with Store.open(sql_store_url, owner="writer") as writer:
        writer.sync_definitions(loaded.config)
        items = []
        for n, day in enumerate(days):
            start = datetime(day.year, day.month, day.day, tzinfo=ZURICH)
            end = start + timedelta(days=1)
            items.append(
                MeasurementIn("signups", float(n + 1), start, end, end, "warehouse", "f", None)
            )
        assert writer.record_measurements(items).inserted == 12

    results: dict[str, int] = {}

    def instance(owner: str) -> None:
        with Store.open(sql_store_url, owner=owner) as store:
            counts = drain_sinks(loaded.config, store, owner=owner)["tool"]
            results[owner] = counts["sent"]

    threads = [threading.Thread(target=instance, args=(o,)) for o in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(results.values()) == 12
    assert len(tool.received) == 12
    assert tool.checkins("g-1") == [(day, float(n + 1)) for n, day in enumerate(days)]


def test_a_refused_token_parks_the_sink_while_the_source_keeps_syncing(
    workspace: LoadedConfig, store: Store, tool: RecordingSandbox
) -> None:
    tool.revoke()
    sync(workspace, store, NOV_21)
    counts = drain_sinks(workspace.config, store, owner="a")["tool"]
    assert counts["parked"] == 1 and counts["sent"] == 0
    (parked,) = store.parked_sinks()
    assert parked.sink == "tool"
    assert "answered 401" in parked.reason and "check the credentials" in parked.reason
    assert TOKEN not in parked.reason

    # the source keeps syncing; the parked sink claims nothing, its events wait
    sync(workspace, store, NOV_21 + timedelta(days=1))
    assert [m.window_end.date() for m in store.measurements("signups")] == [
        date(2026, 11, 20),
        date(2026, 11, 21),
    ]
    assert drain_sinks(workspace.config, store, owner="a")["tool"].total() == 0
    assert tool.received == []
    assert store.outbox.parked(consumer_name("tool")) == []

    tool.token = TOKEN  # the credentials are fixed: the next start's check unparks it
    assert drain_sinks(workspace.config, store, owner="a")["tool"]["sent"] == 2
    assert store.parked_sinks() == []
    assert tool.checkins("g-1") == [(date(2026, 11, 20), 5.0), (date(2026, 11, 21), 2.0)]


def test_another_failure_is_retried_by_the_outbox_after_its_backoff(
    workspace: LoadedConfig, store: Store, tool: RecordingSandbox
) -> None:
    sync(workspace, store, NOV_21)
    # the batch fails, then its one event alone: twice refused
    tool.faults.add(
        "/goals/g-1/checkins", status=422, method="POST", message="value refused", times=2
    )
    t0 = datetime.now(UTC)
    with opened_sinks(workspace.config) as sinks:
        consumers = sink_consumers(sinks, workspace.config, store, clock=lambda: t0)
        runner = ConsumerRunner(store.outbox, consumers, owner="a", clock=lambda: t0)
        runner.drain()
        assert tool.received == []
        assert store.parked_sinks() == []  # not an auth problem: the sink stays up
        later = t0 + timedelta(minutes=1)  # past the first backoff (30 s)
        runner.clock = lambda: later
        for consumer in consumers:
            consumer.clock = lambda: later
        assert runner.drain() == 1  # the failed event, due again
    assert tool.checkins("g-1") == [(date(2026, 11, 20), 5.0)]
    assert (
        store.outbox.claim(
            consumer_name("tool"),
            {MEASUREMENT_RECORDED},
            owner="x",
            lease=timedelta(1),
            limit=5,
            now=later,
        )
        == []
    )
