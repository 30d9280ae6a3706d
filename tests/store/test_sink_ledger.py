"""The sink ledger on every backend: receipts per (sink, KR, key) and parked sinks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from syncd.store import ParkedSink, SinkReceipt, StateStore

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def receipt(
    value: float, *, key: str = "kr-a@2026-11-20", remote: str | None = "c-1"
) -> SinkReceipt:
    return SinkReceipt(
        sink="perdoo",
        kr_id="kr-a",
        key=key,
        remote_id=remote,
        value=value,
        window_end=NOON,
        delivered_at=NOON + timedelta(minutes=5),
    )


def test_a_receipt_is_kept_and_replaced_per_key(store: StateStore) -> None:
    assert store.sink_receipt("perdoo", "kr-a", "kr-a@2026-11-20") is None
    store.keep_sink_receipt(receipt(0.25))
    store.keep_sink_receipt(receipt(0.5, remote="c-2"))
    store.keep_sink_receipt(receipt(0.75, key="kr-a@2026-11-21", remote=None))

    kept = store.sink_receipt("perdoo", "kr-a", "kr-a@2026-11-20")
    assert kept == receipt(0.5, remote="c-2")
    assert kept is not None and kept.window_end.tzinfo is not None
    assert [(r.key, r.value) for r in store.sink_receipts("perdoo")] == [
        ("kr-a@2026-11-20", 0.5),
        ("kr-a@2026-11-21", 0.75),
    ]
    assert store.sink_receipts("perdoo", kr_id="kr-b") == []
    assert store.sink_receipts("sheet") == []


def test_window_end_reads_back_in_utc(store: StateStore) -> None:
    zurich = timezone(timedelta(hours=1))
    local = SinkReceipt("s", "k", "k@1", None, 1.0, NOON.astimezone(zurich), NOON)
    store.keep_sink_receipt(local)
    kept = store.sink_receipt("s", "k", "k@1")
    assert kept is not None
    assert kept.window_end == NOON and kept.window_end.utcoffset() == timedelta(0)


def test_park_keeps_the_first_moment_and_the_newest_reason(store: StateStore) -> None:
    assert store.parked_sinks() == []
    store.park_sink("perdoo", "401: token revoked", now=NOON)
    store.park_sink("perdoo", "403: no access", now=NOON + timedelta(hours=1))
    store.park_sink("sheet", "401", now=NOON)

    assert store.parked_sinks() == [
        ParkedSink("perdoo", "403: no access", NOON),
        ParkedSink("sheet", "401", NOON),
    ]
    assert store.unpark_sink("perdoo") is True
    assert store.unpark_sink("perdoo") is False
    assert [p.sink for p in store.parked_sinks()] == ["sheet"]
