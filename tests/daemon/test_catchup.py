"""Catch-up's decision, without a daemon: which slots of which jobs are due, from the claims
an in-memory store keeps (the SQL stores implement the same protocol)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.daemon.catchup import CATCH_UP_SLOTS, PEER_CHECK, CatchUp, retry_policy
from syncd.errors import StoreError
from syncd.planner import Job
from syncd.schedule import parse_schedule
from syncd.store import open_store
from syncd.store.abc import StateStore
from syncd.store.records import Backoff

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def job(key: str = "warehouse@hourly", schedule: str = "hourly") -> Job:
    return Job(key=key, schedule=parse_schedule(schedule), sources=("warehouse",), kr_ids=("a",))


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def store() -> StateStore:
    return open_store("memory://")


def test_a_job_never_claimed_has_only_its_current_slot_due(store):
    catch_up = CatchUp(store, UTC_ZONE, timedelta(days=2))
    assert catch_up.due_slots(job(), NOW) == [at(12)]


def test_unfinished_and_unclaimed_slots_since_the_first_claim_are_due(store):
    hourly = job()
    assert store.claim_slot(hourly.key, at(9), "a", LEASE)
    assert store.finish_slot(hourly.key, at(9), "a", "ok")
    assert store.claim_slot(hourly.key, at(10), "dead", LEASE)  # its instance died mid-slot
    assert store.claim_slot(hourly.key, at(11), "a", LEASE)
    assert store.finish_slot(hourly.key, at(11), "a", "failed")  # no retry policy: done
    catch_up = CatchUp(store, UTC_ZONE, timedelta(days=2))
    assert catch_up.due_slots(hourly, NOW) == [at(10), at(12)]


def test_slots_older_than_the_catch_up_span_are_left(store):
    hourly = job()
    assert store.claim_slot(hourly.key, at(9), "dead", LEASE)
    # 12:30 less 90 minutes is 11:00, the first slot looked at.
    assert CatchUp(store, UTC_ZONE, timedelta(minutes=90)).due_slots(hourly, NOW) == [
        at(11),
        at(12),
    ]
    assert CatchUp(store, UTC_ZONE, timedelta(hours=4)).due_slots(hourly, NOW) == [
        at(9),
        at(10),
        at(11),
        at(12),
    ]


def test_a_short_schedule_looks_back_at_most_its_slot_cap(store):
    often = job("warehouse@10s", "every 10s")
    first = NOW - timedelta(hours=3)
    assert store.claim_slot(often.key, first, "dead", LEASE)
    due = CatchUp(store, UTC_ZONE, timedelta(days=2)).due_slots(often, NOW)
    reach = CATCH_UP_SLOTS * timedelta(seconds=10)  # 83 minutes, not the 2 days asked
    assert first not in due
    assert due[-1] == NOW
    assert min(due) >= NOW - reach
    assert NOW - reach + timedelta(seconds=10) in due


def test_due_lists_each_job_with_its_slots(store):
    hourly, daily = job(), job("crm@daily", "daily")
    assert store.claim_slot(hourly.key, at(11), "a", LEASE)
    assert store.finish_slot(hourly.key, at(11), "a", "ok")
    due = CatchUp(store, UTC_ZONE, timedelta(days=2)).due([hourly, daily], NOW)
    assert due == [(hourly, at(12)), (daily, at(0))]


class UnreachableStore:
    """A coordination whose store does not answer."""

    def due_slots(
        self, job: str, candidates: Sequence[datetime], *, now_slot: datetime
    ) -> list[datetime]:
        raise StoreError("connection refused")


def test_an_unreachable_store_leaves_nothing_due_and_raises_nothing():
    catch_up = CatchUp(UnreachableStore(), UTC_ZONE, timedelta(days=2))  # type: ignore[arg-type]
    assert catch_up.due_slots(job(), NOW) == []


@pytest.mark.parametrize(
    ("schedule", "failure_backoff", "first"),
    [
        ("hourly", timedelta(hours=1), timedelta(minutes=5)),  # RETRY_FIRST
        ("every 1m", timedelta(hours=1), timedelta(minutes=1)),  # its interval
        ("hourly", timedelta(minutes=2), timedelta(minutes=2)),  # the longest pause
    ],
)
def test_a_failed_slot_is_retried_first_after_the_shortest_of_the_three(
    schedule, failure_backoff, first
):
    policy = retry_policy(job(schedule=schedule), failure_backoff)
    assert policy == Backoff(first=first, longest=failure_backoff)


def test_catch_up_looks_again_after_the_next_slot_a_lease_end_or_a_minute(store):
    catch_up = CatchUp(store, UTC_ZONE, timedelta(days=2))
    settle = timedelta(seconds=7)
    hourly, daily = job(), job("crm@daily", "daily")
    # Nothing claimed: a minute at most (claims of other instances), the slot when sooner.
    assert catch_up.next_check([daily], NOW, settle=settle) == NOW + PEER_CHECK
    at_59 = at(12, 59, 30)
    assert catch_up.next_check([hourly, daily], at_59, settle=settle) == at(13) + settle
    # A claim whose lease ends sooner than all that.
    now = datetime.now(UTC)
    assert store.claim_slot(hourly.key, at(12), "dead", timedelta(seconds=20))
    check = catch_up.next_check([daily], now, settle=settle)
    assert now + timedelta(seconds=20) <= check <= datetime.now(UTC) + timedelta(seconds=20)
