"""The outbox: events written with the writes that cause them, each acknowledged event never
handed to a consumer again, across restarts and instances (SQLite, PostgreSQL and in memory)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syncd.events import (
    MEASUREMENT_RECORDED,
    SOURCE_HEALTH_CHANGED,
    STATUS_CHANGED,
    MeasurementRecorded,
    SourceHealthChanged,
    StatusChanged,
)
from syncd.store import Store
from syncd.store.outbox import SETTLE_HORIZON, MemoryOutbox, Outbox, Retry

from .helpers import basic_config, day, item

T0 = datetime(2026, 11, 16, 8, tzinfo=UTC)
LEASE = timedelta(minutes=10)
ALL = (MEASUREMENT_RECORDED, STATUS_CHANGED, SOURCE_HEALTH_CHANGED)


def measured(kr_id: str, value: float) -> MeasurementRecorded:
    return MeasurementRecorded(
        kr_id=kr_id,
        window_start=T0,
        window_end=T0,
        value=value,
        measured_at=T0,
        source="web",
        run_id="r1",
    )


def changed(kr_id: str, previous: str | None, current: str, generation: int) -> StatusChanged:
    return StatusChanged(
        kr_id=kr_id,
        previous=previous,
        current=current,
        generation=generation,
        at=T0,
        team="growth",
        title=f"KR {kr_id}",
        objective_title="O",
        value=1.5,
        collected_at=T0,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest, tmp_path) -> Iterator[Outbox]:
    """An empty outbox in memory, and on a store of each backend."""
    if request.param == "memory":
        yield MemoryOutbox()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'syncd.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with Store.open(url) as store:
        yield store.outbox


def test_events_come_back_as_appended_oldest_first(outbox):
    ids = outbox.append([measured("a", 1.0), changed("a", None, "on_track", 0)], now=T0)
    assert len(ids) == 2 and ids[0] < ids[1]
    [first, second] = outbox.claim("alerts", ALL, owner="one", lease=LEASE, limit=10, now=T0)
    assert first.event == measured("a", 1.0)
    assert second.event == changed("a", None, "on_track", 0)
    assert (first.id, second.id) == tuple(ids)
    assert first.attempt == 1
    assert first.recorded_at == T0
    assert outbox.position() == ids[1]


def test_a_change_appended_twice_is_kept_once(outbox):
    assert len(outbox.append([changed("a", "on_track", "at_risk", 1)], now=T0)) == 1
    assert outbox.append([changed("a", "on_track", "at_risk", 1)], now=T0) == []
    assert len(outbox.append([changed("a", "at_risk", "on_track", 2)], now=T0)) == 1


def test_a_consumer_only_gets_its_types_and_consumers_are_independent(outbox):
    outbox.append([measured("a", 1.0), changed("a", None, "on_track", 0)], now=T0)
    [status] = outbox.claim("alerts", [STATUS_CHANGED], owner="x", lease=LEASE, limit=10, now=T0)
    assert status.event.type == STATUS_CHANGED
    assert outbox.ack("alerts", [status.id], owner="x", now=T0) == 1
    got = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=10, now=T0)
    assert [d.event.type for d in got] == [MEASUREMENT_RECORDED, STATUS_CHANGED]


def test_a_crash_mid_batch_redelivers_after_the_lease_and_acked_events_never_again(outbox):
    outbox.append([measured("a", float(n)) for n in range(5)], now=T0)
    batch = outbox.claim("sink", ALL, owner="first", lease=LEASE, limit=3, now=T0)
    assert [d.event.value for d in batch] == [0.0, 1.0, 2.0]
    # It handled and acknowledged the first two, then died holding the third.
    assert outbox.ack("sink", [d.id for d in batch[:2]], owner="first", now=T0) == 2
    # While its lease lives, the held event goes to nobody; the rest of the outbox does.
    during = outbox.claim("sink", ALL, owner="second", lease=LEASE, limit=10, now=T0 + LEASE / 2)
    assert [d.event.value for d in during] == [3.0, 4.0]
    assert outbox.ack("sink", [d.id for d in during], owner="second", now=T0 + LEASE / 2) == 2
    after = T0 + LEASE + timedelta(seconds=1)
    [again] = outbox.claim("sink", ALL, owner="second", lease=LEASE, limit=10, now=after)
    assert (again.id, again.event.value, again.attempt) == (batch[2].id, 2.0, 2)
    # The dead holder lost it: its late acknowledgement counts for nothing.
    assert outbox.ack("sink", [again.id], owner="first", now=after) == 0
    assert outbox.ack("sink", [again.id], owner="second", now=after) == 1
    for later in (after + LEASE * 2, after + timedelta(days=2)):
        assert outbox.claim("sink", ALL, owner="third", lease=LEASE, limit=10, now=later) == []


def test_the_sql_outbox_survives_a_restart(sql_store_url):
    with Store.open(sql_store_url) as store:
        store.outbox.append([measured("a", 1.0), measured("a", 2.0)], now=T0)
        [one, two] = store.outbox.claim("sink", ALL, owner="p1", lease=LEASE, limit=10, now=T0)
        store.outbox.ack("sink", [one.id], owner="p1", now=T0)
    # p1 died holding ``two``; a new process on the same store takes it after the lease.
    with Store.open(sql_store_url) as restarted:
        outbox = restarted.outbox
        assert outbox.claim("sink", ALL, owner="p2", lease=LEASE, limit=10, now=T0) == []
        later = T0 + LEASE * 2
        [redelivered] = outbox.claim("sink", ALL, owner="p2", lease=LEASE, limit=10, now=later)
        assert (redelivered.id, redelivered.attempt) == (two.id, 2)
        assert outbox.ack("sink", [two.id], owner="p2", now=later) == 1
        assert outbox.claim("sink", ALL, owner="p2", lease=LEASE, limit=10, now=later) == []


def test_failures_back_off_then_park(outbox):
    [event_id] = outbox.append([measured("a", 1.0)], now=T0)
    retry = Retry(first=timedelta(minutes=1), longest=timedelta(minutes=3), max_attempts=3)
    now = T0
    waits = []
    for attempt in (1, 2, 3):
        [held] = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=1, now=now)
        assert held.attempt == attempt
        parked = outbox.fail(
            "sink", event_id, owner="x", now=now, error=f"boom {attempt}", retry=retry
        )
        assert parked is (attempt == 3)
        # Due again only after its backoff: 1, then 2 minutes.
        wait = retry.delay(attempt)
        waits.append(wait)
        assert outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=1, now=now + wait) == []
        now = now + wait + timedelta(seconds=1)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=3)]
    assert (
        outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=1, now=now + timedelta(days=1))
        == []
    )
    [parked_event] = outbox.parked("sink")
    assert (parked_event.delivered.id, parked_event.error) == (event_id, "boom 3")
    assert outbox.unpark("sink", [event_id]) == 1
    later = datetime.now(UTC) + timedelta(seconds=1)
    [back] = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=1, now=later)
    assert (back.id, back.attempt) == (event_id, 1)


def test_an_acknowledgement_publishes_its_follow_ups_with_it(outbox):
    [event_id] = outbox.append([measured("a", 1.0)], now=T0)
    outbox.claim("progress", [MEASUREMENT_RECORDED], owner="x", lease=LEASE, limit=5, now=T0)
    follow_up = changed("a", None, "on_track", 0)
    assert outbox.ack("progress", [event_id], owner="x", now=T0, publish=[follow_up]) == 1
    [published] = outbox.claim("alerts", [STATUS_CHANGED], owner="y", lease=LEASE, limit=5, now=T0)
    assert published.event == follow_up


def test_the_latest_event_of_each_subject(outbox):
    outbox.append(
        [
            changed("a", None, "on_track", 0),
            changed("b", None, "at_risk", 0),
            changed("a", "on_track", "stale", 1),
            measured("a", 3.0),
        ],
        now=T0,
    )
    latest = outbox.latest(STATUS_CHANGED)
    assert {subject: d.event.current for subject, d in latest.items()} == {
        "kr:a": "stale",
        "kr:b": "at_risk",
    }
    assert set(outbox.latest(STATUS_CHANGED, ["kr:b", "kr:c"])) == {"kr:b"}
    assert outbox.latest(SOURCE_HEALTH_CHANGED) == {}


def test_a_follower_reads_after_its_position(outbox):
    start = outbox.position()
    outbox.append(
        [measured("a", 1.0), changed("a", None, "on_track", 0), measured("b", 2.0)], now=T0
    )
    found = outbox.read_after(start, [MEASUREMENT_RECORDED], limit=10)
    assert [d.event.kr_id for d in found] == ["a", "b"]
    assert outbox.read_after(found[0].id, [MEASUREMENT_RECORDED], limit=10)[0].event.kr_id == "b"
    assert outbox.read_after(found[-1].id, ALL, limit=10) == []


def test_the_cursor_passes_settled_old_events_and_never_an_open_one(store):
    outbox = store.outbox
    ids = outbox.append([measured("a", float(n)) for n in range(4)], now=T0)
    held = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=4, now=T0)
    outbox.ack("sink", [ids[0], ids[1], ids[3]], owner="x", now=T0)
    # Long after: the cursor moves to just before the open event, which comes back alone.
    later = T0 + SETTLE_HORIZON * 4
    [open_event] = outbox.claim("sink", ALL, owner="y", lease=LEASE, limit=4, now=later)
    assert open_event.id == ids[2] and len(held) == 4
    outbox.ack("sink", [ids[2]], owner="y", now=later)
    [newer] = outbox.append([measured("a", 9.0)], now=later)
    much_later = later + SETTLE_HORIZON * 4
    [fresh] = outbox.claim("sink", ALL, owner="y", lease=LEASE, limit=4, now=much_later)
    assert fresh.id == newer
    outbox.ack("sink", [newer], owner="y", now=much_later)
    assert outbox.claim("sink", ALL, owner="y", lease=LEASE, limit=4, now=much_later) == []


# -- the measurement write publishes ------------------------------------------------------


@pytest.fixture
def kr_store(store):
    store.sync_definitions(basic_config())
    return store


def recorded(store: Store, after: int = 0) -> list[MeasurementRecorded]:
    events = store.outbox.read_after(after, [MEASUREMENT_RECORDED], limit=1000)
    return [d.event for d in events if isinstance(d.event, MeasurementRecorded)]


def test_an_event_is_written_iff_the_measurement_changed(kr_store):
    kr_store.record_measurements([item("kr-a", 10.0, 1), item("kr-b", 5.0, 1)])
    first = recorded(kr_store)
    assert [(e.kr_id, e.value, e.revision, e.previous) for e in first] == [
        ("kr-a", 10.0, 1, None),
        ("kr-b", 5.0, 1, None),
    ]
    assert first[0].window_end == day(1) and first[0].run_id == "run-1"
    assert first[0].source == "web"
    mark = kr_store.outbox.position()
    # The same values again (another run): nothing changed, nothing is published.
    kr_store.record_measurements(
        [item("kr-a", 10.0, 1, run_id="run-2"), item("kr-b", 5.0, 1, run_id="run-2")]
    )
    assert recorded(kr_store, mark) == []
    later = day(3)
    kr_store.record_measurements(
        [item("kr-a", 12.0, 1, collected=later, run_id="run-3"), item("kr-b", 5.0, 1)]
    )
    [revised] = recorded(kr_store, mark)
    assert (revised.kr_id, revised.value, revised.revision, revised.previous) == (
        "kr-a",
        12.0,
        2,
        10.0,
    )
    assert (revised.measured_at, revised.run_id) == (later, "run-3")


def test_a_refused_item_publishes_nothing_and_a_failed_write_nothing_at_all(kr_store):
    result = kr_store.record_measurements(
        [item("kr-a", float("nan"), 1), item("nope", 1.0, 1), item("kr-b", 4.0, 2)]
    )
    assert len(result.refused) == 2
    assert [e.kr_id for e in recorded(kr_store)] == ["kr-b"]


def test_a_source_turning_publishes_its_health_once(store):
    def run(outcome: str, error: str | None = None) -> str:
        run_id = store.start_run(source="web", trigger="schedule")
        store.finish_run(
            run_id,
            outcome=outcome,
            error=error,
            upstream_calls=1,
            retries=0,
            requests=1,
            measurements=0,
        )
        return run_id

    run("ok")
    run("partial")
    failed = run("failed", "AuthError: 401")
    run("failed", "AuthError: 401")
    run("ok")
    events = store.outbox.read_after(0, [SOURCE_HEALTH_CHANGED], limit=10)
    changes = [d.event for d in events if isinstance(d.event, SourceHealthChanged)]
    assert [(e.previous, e.failing, e.generation) for e in changes] == [
        (None, False, 0),
        (False, True, 1),
        (True, False, 2),
    ]
    assert (changes[1].run_id, changes[1].reason) == (failed, "AuthError: 401")


@pytest.mark.postgres
def test_two_instances_on_postgresql_each_take_every_event_once(postgres_url):
    with Store.open(postgres_url) as first, Store.open(postgres_url) as second:
        ids = first.outbox.append([measured("a", float(n)) for n in range(200)], now=T0)
        handled: dict[str, list[int]] = {"one": [], "two": []}
        barrier = threading.Barrier(2)

        def instance(store: Store, owner: str) -> None:
            barrier.wait()
            while batch := store.outbox.claim(
                "sink", ALL, owner=owner, lease=LEASE, limit=7, now=T0
            ):
                handled[owner].extend(d.id for d in batch)
                store.outbox.ack("sink", [d.id for d in batch], owner=owner, now=T0)

        threads = [
            threading.Thread(target=instance, args=(first, "one")),
            threading.Thread(target=instance, args=(second, "two")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        together = handled["one"] + handled["two"]
        assert sorted(together) == ids
        assert len(set(together)) == len(together)
        assert (
            first.outbox.claim(
                "sink", ALL, owner="three", lease=LEASE, limit=500, now=T0 + timedelta(days=1)
            )
            == []
        )


def test_pruning_keeps_what_a_consumer_has_not_passed_and_each_subjects_state(outbox):
    outbox.append(
        [
            measured("a", 1.0),
            changed("a", None, "on_track", 0),
            changed("a", "on_track", "at_risk", 1),
            measured("a", 2.0),
        ],
        now=T0,
    )
    hour = timedelta(hours=1)
    batch = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=10, now=T0 + hour)
    assert outbox.prune(before=T0 + 24 * hour) == 0  # nothing acknowledged yet
    outbox.ack("sink", [d.id for d in batch], owner="x", now=T0 + hour)
    assert outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=10, now=T0 + 2 * hour) == []
    assert outbox.prune(before=T0) == 0  # none recorded before T0
    assert outbox.prune(before=T0 + 24 * hour) == 3
    [kept] = outbox.read_after(0, ALL, limit=10)
    assert kept.event == changed("a", "on_track", "at_risk", 1)
    assert outbox.latest(STATUS_CHANGED)["kr:a"].event.generation == 1
    [new] = outbox.append([measured("a", 3.0)], now=T0 + 3 * hour)
    assert new > kept.id
    [fresh] = outbox.claim("sink", ALL, owner="x", lease=LEASE, limit=10, now=T0 + 3 * hour)
    assert fresh.id == new


def test_a_released_event_is_due_at_once_without_counting_the_attempt(outbox):
    [first, second] = outbox.append([measured("a", 1.0), measured("b", 2.0)], now=T0)
    held = outbox.claim("sink:x", ALL, owner="x", lease=LEASE, limit=5, now=T0)
    assert [(d.id, d.attempt) for d in held] == [(first, 1), (second, 1)]
    assert outbox.release("sink:x", [first, second], owner="other", now=T0) == 0
    assert outbox.release("sink:x", [first, second], owner="x", now=T0) == 2
    later = T0 + timedelta(seconds=1)
    again = outbox.claim("sink:x", ALL, owner="y", lease=LEASE, limit=5, now=later)
    assert [(d.id, d.attempt) for d in again] == [(first, 1), (second, 1)]


def test_failing_lists_the_events_due_again_with_their_error(outbox):
    [event_id] = outbox.append([measured("a", 1.0)], now=T0)
    assert outbox.failing("sink:x") == []
    outbox.claim("sink:x", ALL, owner="x", lease=LEASE, limit=1, now=T0)
    outbox.fail("sink:x", event_id, owner="x", now=T0, error="422 refused", retry=Retry())
    [failing] = outbox.failing("sink:x")
    assert (failing.delivered.id, failing.delivered.attempt, failing.error) == (
        event_id,
        1,
        "422 refused",
    )
    assert failing.due_at == T0 + Retry().first
    assert outbox.failing("other") == []
    [held] = outbox.claim(
        "sink:x", ALL, owner="x", lease=LEASE, limit=1, now=failing.due_at + LEASE
    )
    outbox.ack("sink:x", [held.id], owner="x", now=failing.due_at + LEASE)
    assert outbox.failing("sink:x") == []
