"""Claims on (job, slot) and per-job locks: what lets several instances share one store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from syncd.store import Store

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
    stores = [Store.open(store_url) for _ in range(4)]
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
