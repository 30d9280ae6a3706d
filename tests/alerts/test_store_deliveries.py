"""The store's side of exactly-once: delivery claims with leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.store.notifications import OutgoingMessage

T0 = datetime(2026, 11, 16, 8, tzinfo=UTC)
LEASE = timedelta(minutes=10)
MESSAGE = OutgoingMessage(
    key="alert:kr:nps:0:on_track>at_risk", kind="status_changed", team="growth", title="t", body="b"
)


def test_the_first_claim_wins_and_a_sent_delivery_is_never_claimed_again(store):
    assert store.claim_delivery(MESSAGE, "hook", owner="a", lease=LEASE, now=T0) == 1
    assert store.claim_delivery(MESSAGE, "hook", owner="b", lease=LEASE, now=T0) is None
    assert store.claim_delivery(MESSAGE, "mail", owner="b", lease=LEASE, now=T0) == 1
    assert store.settle_delivery(MESSAGE.key, "hook", owner="a", now=T0, sent=True)
    later = T0 + 2 * LEASE
    assert store.claim_delivery(MESSAGE, "hook", owner="b", lease=LEASE, now=later) is None
    # The unsent "mail" claim ran out: it is due, and taken over as attempt 2.
    assert [(row.key, row.channel) for row in store.due_deliveries(now=later)] == [
        (MESSAGE.key, "mail")
    ]
    assert store.claim_delivery(MESSAGE, "mail", owner="c", lease=LEASE, now=later) == 2
    assert store.due_deliveries(now=later) == []


def test_a_live_lease_is_respected_and_a_lost_claim_cannot_be_settled(store):
    assert store.claim_delivery(MESSAGE, "hook", owner="a", lease=LEASE, now=T0) == 1
    assert (
        store.take_over_delivery(
            MESSAGE.key, "hook", owner="b", lease=LEASE, now=T0 + LEASE - timedelta(seconds=1)
        )
        is None
    )
    assert (
        store.take_over_delivery(
            MESSAGE.key, "hook", owner="b", lease=LEASE, now=T0 + LEASE + timedelta(seconds=1)
        )
        == 2
    )
    assert not store.settle_delivery(MESSAGE.key, "hook", owner="a", now=T0, sent=True)
    assert store.settle_delivery(MESSAGE.key, "hook", owner="b", now=T0, sent=True)
    [row] = store.deliveries(key_prefix="alert:kr:nps:")
    assert (row.owner, row.attempts, row.title, row.body) == ("b", 2, "t", "b")
    assert row.sent_at == T0


def test_a_failed_send_waits_and_a_given_up_one_is_done(store):
    assert store.claim_delivery(MESSAGE, "hook", owner="a", lease=LEASE, now=T0) == 1
    retry_at = T0 + timedelta(minutes=30)
    store.settle_delivery(
        MESSAGE.key, "hook", owner="a", now=T0, sent=False, retry_at=retry_at, error="HTTP 500"
    )
    assert store.due_deliveries(now=retry_at) == []
    [due] = store.due_deliveries(now=retry_at + timedelta(seconds=1))
    assert due.error == "HTTP 500"
    store.settle_delivery(MESSAGE.key, "hook", owner="a", now=T0, sent=False, give_up=True)
    assert store.due_deliveries(now=retry_at + timedelta(days=1)) == []


def test_the_last_sent_digest_of_a_team(store):
    first = OutgoingMessage(
        key="digest:growth:1",
        kind="digest",
        team="growth",
        title="1",
        body="",
        data='{"values": {"nps": 58}}',
    )
    second = OutgoingMessage(
        key="digest:growth:2",
        kind="digest",
        team="growth",
        title="2",
        body="",
        data='{"values": {"nps": 61}}',
    )
    for message, at in ((first, T0), (second, T0 + timedelta(days=7))):
        store.claim_delivery(message, "hook", owner="a", lease=LEASE, now=at)
        store.settle_delivery(message.key, "hook", owner="a", now=at, sent=True)
    assert store.last_sent_delivery("growth", "digest").key == "digest:growth:2"
    assert store.last_sent_delivery("growth", "digest", exclude_key="digest:growth:2").key == (
        "digest:growth:1"
    )
    assert store.last_sent_delivery("support", "digest") is None
