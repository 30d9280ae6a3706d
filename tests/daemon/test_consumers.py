"""The consumer runner over a real outbox (SQLite, PostgreSQL, memory), and the pools a
reload replaces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from syncd.consumers import ConsumerRunner
from syncd.daemon.pools import Pools
from syncd.events import (
    MEASUREMENT_RECORDED,
    STATUS_CHANGED,
    Delivered,
    Event,
    MeasurementRecorded,
    StatusChanged,
)
from syncd.store import Store
from syncd.store.outbox import MemoryOutbox, Outbox, Retry

T0 = datetime(2026, 11, 16, 8, tzinfo=UTC)


def measured(kr_id: str, value: float) -> MeasurementRecorded:
    return MeasurementRecorded(
        kr_id=kr_id,
        window_start=T0,
        window_end=T0,
        value=value,
        measured_at=T0,
        source="web",
        run_id=None,
    )


class Recorder:
    """A consumer that notes the values it sees, fails on the values in ``poison`` and, when
    ``crash_after`` is set, dies (raises SystemExit) after handling that many batches."""

    event_types = frozenset({MEASUREMENT_RECORDED})

    def __init__(self, name: str, *, shared: bool = True, poison: set[float] | None = None):
        self.name = name
        self.shared = shared
        self.poison = poison or set()
        self.seen: list[float] = []
        self.crash = False

    def handle(self, events: Sequence[Delivered]) -> Sequence[Event]:
        values = [d.event.value for d in events if isinstance(d.event, MeasurementRecorded)]
        if self.poison & set(values):
            raise ValueError(f"cannot take {sorted(self.poison & set(values))}")
        self.seen.extend(values)
        if self.crash:
            raise SystemExit("killed mid-batch")
        return [
            StatusChanged(
                kr_id=f"seen-{value}",
                previous=None,
                current="on_track",
                generation=0,
                at=T0,
                team="t",
                title="x",
                objective_title="o",
            )
            for value in values
        ]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_or_memory(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, object]]:
    if request.param == "memory":
        yield "memory", MemoryOutbox()
        return
    url = (
        f"sqlite:///{tmp_path / 'syncd.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    yield "url", url


def outbox_of(kind: str, thing: object, stack: list[Store]) -> Outbox:
    if kind == "memory":
        assert isinstance(thing, MemoryOutbox)
        return thing
    store = Store.open(str(thing))
    stack.append(store)
    return store.outbox


def test_a_crash_mid_batch_is_redelivered_to_the_next_process_and_acked_events_never_again(
    store_or_memory,
):
    kind, thing = store_or_memory
    opened: list[Store] = []
    try:
        outbox = outbox_of(kind, thing, opened)
        outbox.append([measured("a", 1.0), measured("a", 2.0)], now=T0)
        now = [T0]
        first = Recorder("sink")
        runner = ConsumerRunner(outbox, [first], owner="p1", batch=10, clock=lambda: now[0])
        assert runner.run_once() == 2
        assert first.seen == [1.0, 2.0]
        outbox.append([measured("a", 3.0), measured("a", 4.0)], now=T0)
        first.crash = True
        with pytest.raises(SystemExit):
            runner.run_once()  # handled 3 and 4, died before acknowledging them
        # A new process (a new store object on the same database) after the lease.
        restarted = outbox_of(kind, thing, opened)
        second = Recorder("sink")
        now[0] = T0 + timedelta(minutes=6)
        again = ConsumerRunner(restarted, [second], owner="p2", batch=10, clock=lambda: now[0])
        assert again.drain() == 2
        assert second.seen == [3.0, 4.0]
        now[0] = T0 + timedelta(days=1)
        assert again.drain() == 0
        # Each handled batch published its follow-ups with its acknowledgement, once.
        published = restarted.read_after(0, [STATUS_CHANGED], limit=100)
        assert sorted(d.event.kr_id for d in published) == [
            "seen-1.0",
            "seen-2.0",
            "seen-3.0",
            "seen-4.0",
        ]
    finally:
        for store in opened:
            store.close()


def test_a_poison_event_fails_alone_and_is_parked():
    outbox = MemoryOutbox()
    outbox.append([measured("a", 1.0), measured("a", 13.0), measured("a", 2.0)], now=T0)
    now = [T0]
    sink = Recorder("sink", poison={13.0})
    retry = Retry(first=timedelta(minutes=1), longest=timedelta(minutes=1), max_attempts=2)
    runner = ConsumerRunner(outbox, [sink], owner="p", retry=retry, clock=lambda: now[0])
    assert runner.run_once() == 3
    assert sink.seen == [1.0, 2.0]
    now[0] += timedelta(minutes=2)
    assert runner.run_once() == 1  # the second attempt
    [parked] = outbox.parked("sink")
    assert parked.delivered.event == measured("a", 13.0)
    assert parked.error == "ValueError: cannot take [13.0]"
    now[0] += timedelta(days=1)
    assert runner.drain() == 0
    assert sink.seen == [1.0, 2.0]


def test_a_local_consumer_sees_what_is_appended_after_it_starts_in_every_process():
    outbox = MemoryOutbox()
    outbox.append([measured("a", 1.0)], now=T0)
    one, two = Recorder("gauges", shared=False), Recorder("gauges", shared=False)
    first = ConsumerRunner(outbox, [one], owner="p1", clock=lambda: T0)
    second = ConsumerRunner(outbox, [two], owner="p2", clock=lambda: T0)
    outbox.append([measured("a", 2.0), measured("a", 3.0)], now=T0)
    assert first.run_once() == 2 and second.run_once() == 2
    assert one.seen == two.seen == [2.0, 3.0]
    assert first.run_once() == 0


class Pool:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_replaced_pool_closes_when_idle_or_after_its_last_run():
    first, second, third = Pool(), Pool(), Pool()
    pools: Pools[Pool] = Pools(first)
    pools.replace(second)
    assert first.closed == 1  # nothing used it: closed at once, not at shutdown
    with pools.using() as running:
        assert running is second
        pools.replace(third)
        assert second.closed == 0 and pools.retired() == 1
    assert second.closed == 1 and pools.retired() == 0
    pools.close()
    assert (first.closed, second.closed, third.closed) == (1, 1, 1)


@pytest.mark.postgres
def test_two_instances_on_postgresql_hand_each_event_to_one_of_them_once(postgres_url):
    import threading

    with Store.open(postgres_url) as first, Store.open(postgres_url) as second:
        first.outbox.append([measured("a", float(n)) for n in range(300)], now=T0)
        one, two = Recorder("sink"), Recorder("sink")
        runners = [
            ConsumerRunner(first.outbox, [one], owner="i1", batch=9, clock=lambda: T0),
            ConsumerRunner(second.outbox, [two], owner="i2", batch=9, clock=lambda: T0),
        ]
        barrier = threading.Barrier(2)

        def run(runner: ConsumerRunner) -> None:
            barrier.wait()
            runner.drain(rounds=1000)

        threads = [threading.Thread(target=run, args=(runner,)) for runner in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        together = one.seen + two.seen
        assert sorted(together) == [float(n) for n in range(300)]
        # Restarted later, neither gets anything again.
        later = ConsumerRunner(
            second.outbox, [Recorder("sink")], owner="i3", clock=lambda: T0 + timedelta(days=1)
        )
        assert later.drain() == 0
