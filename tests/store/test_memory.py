"""What only the in-memory store has: URLs naming a store shared within the process, and job
locks of the process. (Its semantics otherwise are the store tests', run on every backend.)"""

from __future__ import annotations

import threading

import pytest

from syncd.errors import StoreError
from syncd.store import MemoryStore, Store, open_store
from tests.store.helpers import basic_config, item


def test_a_named_memory_store_is_shared_until_dropped():
    url = "memory://shared-in-this-test"
    try:
        with open_store(url) as first:
            assert isinstance(first, MemoryStore)
            assert (first.url, first.dialect, first.is_current()) == (url, "memory", True)
            first.sync_definitions(basic_config())
            first.record_measurements([item("kr-a", 1.0, 1)])
        with open_store(url) as again:
            assert [m.value for m in again.measurements("kr-a")] == [1.0]
        with open_store("memory://") as private, open_store("memory://") as other:
            private.sync_definitions(basic_config())
            assert private.record_measurements([item("kr-a", 1.0, 1)]).inserted == 1
            assert other.measurements("kr-a") == []
    finally:
        MemoryStore.drop(url)
    with open_store(url) as dropped:
        assert dropped.measurements("kr-a") == []
    MemoryStore.drop(url)


def test_open_store_opens_sql_for_every_other_url(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'syncd.db'}") as store:
        assert isinstance(store, Store)
    with pytest.raises(StoreError, match="no in-memory store URL"):
        MemoryStore.open("sqlite:///x.db")


def test_a_job_lock_is_exclusive_within_the_process():
    first, second = MemoryStore.open("memory://locks"), MemoryStore.open("memory://locks")
    try:
        with first.job_lock("warehouse@hourly") as held:
            assert held is True
            with second.job_lock("warehouse@hourly") as also:
                assert also is False
            with second.job_lock("crm@daily") as other:
                assert other is True
        with second.job_lock("warehouse@hourly") as after:
            assert after is True
        # A waiting taker gets the lock once the holder lets it go.
        taken: list[bool] = []

        def take() -> None:
            with second.job_lock("warehouse@hourly", wait=30) as acquired:
                taken.append(acquired)

        with first.job_lock("warehouse@hourly"):
            taker = threading.Thread(target=take)
            taker.start()
        taker.join(timeout=30)
        assert taken == [True]
    finally:
        MemoryStore.drop("memory://locks")
