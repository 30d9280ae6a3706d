"""Claims on (job, slot) and per-job locks: what lets several instances share one store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from syncd.store import Store, open_store
from syncd.store.records import Backoff
from tests.store.backdoor import pass_retry_time

SLOT = datetime(2026, 11, 21, 10, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def test_the_first_claim_wins_and_a_finished_slot_stays_done(store):
    assert store.claim_slot("warehouse@hourly", SLOT, "a", LEASE) is True
    assert store.claim_slot("warehouse@hourly", SLOT, "b", LEASE) is False
    # Another slot or another job is free.
    assert store.claim_slot("warehouse@hourly", SLOT + timedelta(hours=1), "b", LEASE) is True
    assert store.claim_slot("crm@daily", SLOT, "b", LEASE) is True
    assert store.finish_slot("warehouse@hourly", SLOT, "b", "ok") is False  # b does not hold it
    assert store.finish_slot("warehouse@hourly", SLOT, "a", "ok") is True
    assert store.claim_slot("warehouse@hourly", SLOT, "a", LEASE) is False


def test_an_expired_unfinished_claim_is_taken_over(store):
    assert store.claim_slot("warehouse@hourly", SLOT, "crashed", timedelta(milliseconds=1))
    time.sleep(0.01)
    assert store.claim_slot("warehouse@hourly", SLOT, "survivor", LEASE) is True
    # The crashed owner's late finish no longer counts; the survivor's does.
    assert store.finish_slot("warehouse@hourly", SLOT, "crashed", "ok") is False
    assert store.finish_slot("warehouse@hourly", SLOT, "survivor", "ok") is True


def test_concurrent_claims_have_exactly_one_winner(store_url):
    stores = [open_store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    won: list[str] = []

    def contend(index: int) -> None:
        barrier.wait()
        for minute in range(20):
            slot = SLOT + timedelta(minutes=minute)
            if stores[index].claim_slot("job", slot, f"i{index}", LEASE):
                won.append(f"{minute}:{index}")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    assert sorted(int(w.split(":")[0]) for w in won) == list(range(20))


@pytest.mark.postgres
def test_a_job_lock_is_exclusive_across_connections(postgres_url):
    with Store.open(postgres_url) as first, Store.open(postgres_url) as second:
        with first.job_lock("warehouse@hourly") as held:
            assert held is True
            with second.job_lock("warehouse@hourly") as also:
                assert also is False
            with second.job_lock("crm@daily") as other:
                assert other is True
        with second.job_lock("warehouse@hourly") as after:
            assert after is True


def test_a_failed_slot_is_claimed_again_once_its_backoff_has_passed(store, store_url):
    job, retry = "warehouse@hourly", Backoff(first=timedelta(minutes=1), longest=LEASE)
    later = SLOT + timedelta(hours=1)
    assert store.claim_slot(job, SLOT, "a", LEASE) is True
    assert store.claim_slot(job, later, "a", LEASE) is True
    assert store.finish_slot(job, SLOT, "a", "failed", retry=retry) is True
    assert store.finish_slot(job, later, "a", "ok", retry=retry) is True
    # Waiting for its retry time: done for now, for every instance.
    assert store.due_slots(job, [SLOT, later], now_slot=later) == []
    assert store.claim_slot(job, SLOT, "b", LEASE) is False
    assert pass_retry_time(store_url, job, SLOT) == timedelta(minutes=1)
    assert store.due_slots(job, [SLOT, later], now_slot=later) == [SLOT]
    assert store.claim_slot(job, SLOT, "b", LEASE) is True
    assert store.claim_slot(job, SLOT, "a", LEASE) is False  # one taker
    # The second failure waits twice as long.
    assert store.finish_slot(job, SLOT, "b", "failed", retry=retry) is True
    assert store.claim_slot(job, SLOT, "a", LEASE) is False
    assert pass_retry_time(store_url, job, SLOT) == timedelta(minutes=2)
    assert store.claim_slot(job, SLOT, "a", LEASE) is True
    assert store.finish_slot(job, SLOT, "b", "ok") is False  # b no longer holds it
    assert store.finish_slot(job, SLOT, "a", "ok", retry=retry) is True
    assert store.due_slots(job, [SLOT, later], now_slot=later) == []
    assert store.slot_attempts(job) == {SLOT: (3, "ok"), later: (1, "ok")}
    assert store.claim_slot(job, SLOT, "b", LEASE) is False


def test_a_failure_without_retry_policy_or_a_partial_slot_stays_done(store):
    job = "warehouse@hourly"
    later = SLOT + timedelta(hours=1)
    store.claim_slot(job, SLOT, "a", LEASE)
    store.claim_slot(job, later, "a", LEASE)
    retry = Backoff(first=timedelta(0), longest=timedelta(0))
    assert store.finish_slot(job, SLOT, "a", "failed") is True
    assert store.finish_slot(job, later, "a", "partial", retry=retry) is True
    assert store.due_slots(job, [SLOT, later], now_slot=later) == []
    assert store.claim_slot(job, SLOT, "b", LEASE) is False
    assert store.claim_slot(job, later, "b", LEASE) is False


def test_backoff_doubles_up_to_its_longest():
    backoff = Backoff(first=timedelta(seconds=5), longest=timedelta(minutes=1))
    assert [backoff.after(n).total_seconds() for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff.after(10**9) == timedelta(minutes=1)


def test_the_next_claim_change_is_the_earliest_lease_end_or_retry_time(store):
    start = datetime.now(UTC)
    assert store.next_claim_change(start) is None
    assert store.claim_slot("crm@daily", SLOT, "a", timedelta(minutes=30))
    assert store.claim_slot("warehouse@hourly", SLOT, "b", timedelta(minutes=10))
    lease_end = store.next_claim_change(start)
    assert start + timedelta(minutes=10) <= lease_end <= datetime.now(UTC) + timedelta(minutes=10)

    retry = Backoff(first=timedelta(minutes=2), longest=timedelta(hours=1))
    assert store.finish_slot("warehouse@hourly", SLOT, "b", "failed", retry=retry)
    retry_at = store.next_claim_change(start)
    assert start + timedelta(minutes=2) <= retry_at <= datetime.now(UTC) + timedelta(minutes=2)

    # Finished claims wait for nothing; moments already past are not "next".
    assert store.finish_slot("crm@daily", SLOT, "a", "ok")
    assert store.next_claim_change(start) == retry_at
    assert store.next_claim_change(retry_at) is None
