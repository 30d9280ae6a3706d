"""Building deliveries (day rule, key, note, status) and the skip rules, by hand-computed
values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import ConnectorContext, Window
from syncd.config import LoadedConfig
from syncd.sinks.build import open_sink
from syncd.sinks.deliveries import (
    Recorded,
    deliver,
    delivery_day,
    delivery_for,
    delivery_key,
    window_words,
)
from syncd.store import MeasurementIn, MemoryStore
from tests.sinks.conftest import load, write_config
from tests.sinks.recording import GoalTarget, RecordingSandbox

ZURICH = ZoneInfo("Europe/Zurich")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "zone", "day"),
    [
        # local Nov 20 00:00 to Nov 21 00:00 (CET, UTC+1): Nov 20
        (utc(2026, 11, 19, 23), utc(2026, 11, 20, 23), "Europe/Zurich", date(2026, 11, 20)),
        # Oct 25 is 25 hours long in Zurich (CEST ends): 22:00Z on the 24th to 23:00Z on the 25th
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), "Europe/Zurich", date(2026, 10, 25)),
        # a trailing window ending at 06:00 local covers Nov 20 up to 05:59:59.999999
        (utc(2026, 11, 19, 5), utc(2026, 11, 20, 5), "Europe/Zurich", date(2026, 11, 20)),
        # a cycle-to-date window ending at UTC midnight, config in UTC: the day before
        (utc(2026, 10, 1), utc(2026, 11, 21), "UTC", date(2026, 11, 20)),
        # the same end seen from Auckland (UTC+13 in November): already Nov 21, 13:00
        (utc(2026, 10, 1), utc(2026, 11, 21), "Pacific/Auckland", date(2026, 11, 21)),
        # a snapshot at 23:30Z is 00:30 the next day in Zurich: its own moment's day
        (utc(2026, 11, 20, 23, 30), utc(2026, 11, 20, 23, 30), "Europe/Zurich", date(2026, 11, 21)),
    ],
)
def test_the_day_is_the_local_day_of_the_last_instant_covered(
    start: datetime, end: datetime, zone: str, day: date
) -> None:
    assert delivery_day(Window(start, end), ZoneInfo(zone)) == day


def test_the_key_names_the_kr_and_the_day() -> None:
    assert delivery_key("booking-5d", date(2026, 11, 20)) == "booking-5d@2026-11-20"


def test_windows_in_words() -> None:
    one_day = Window(utc(2026, 11, 19, 23), utc(2026, 11, 20, 23))
    days = Window(utc(2026, 9, 30, 22), utc(2026, 11, 15, 23))
    hours = Window(utc(2026, 11, 19, 5), utc(2026, 11, 20, 5))
    snapshot = Window(utc(2026, 11, 20, 5), utc(2026, 11, 20, 5))
    assert window_words(one_day, ZURICH) == "2026-11-20"
    assert window_words(days, ZURICH) == "2026-10-01 to 2026-11-15"
    assert window_words(hours, ZURICH) == "2026-11-19 06:00 to 2026-11-20 06:00"
    assert window_words(snapshot, ZURICH) == "snapshot at 2026-11-20 06:00"


@pytest.fixture
def loaded(tmp_path: Path, tool: RecordingSandbox) -> LoadedConfig:
    return load(write_config(tmp_path, store=f"sqlite:///{tmp_path}/s.db", url=tool.url))


# Window ends at local midnight Nov 16 (Nov 15 23:00Z). The cycle runs from Sep 30 22:00Z to
# Dec 31 23:00Z: 2209 hours; 1105 of them have passed, so 0.50023 is expected by then.
NOV_15 = Window(utc(2026, 11, 14, 23), utc(2026, 11, 15, 23))


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (190.0, "on_track"),  # attainment 0.475: gap 0.025
        (140.0, "at_risk"),  # attainment 0.35: gap 0.150 (above 0.10)
        (60.0, "off_track"),  # attainment 0.15: gap 0.350 (above 0.25)
        (400.0, "achieved"),
    ],
)
def test_a_delivery_carries_the_kr_its_day_and_its_computed_status(
    loaded: LoadedConfig, value: float, status: str
) -> None:
    recorded = Recorded("signups", NOV_15, value, utc(2026, 11, 16, 5), "warehouse")
    delivery = delivery_for(loaded.config, "tool", recorded, MemoryStore())
    assert delivery is not None
    assert delivery.key == "signups@2026-11-15"
    assert delivery.day == date(2026, 11, 15)
    assert delivery.target == GoalTarget(goal="g-1")
    assert (delivery.kr_id, delivery.kr_title, delivery.unit) == (
        "signups",
        "Signups from 0 to 400",
        "signups",
    )
    assert delivery.note == "syncd: warehouse, 2026-11-15"
    assert delivery.status == status


def test_a_value_outside_the_cycle_has_no_status(loaded: LoadedConfig) -> None:
    window = Window(utc(2026, 9, 1, 22), utc(2026, 9, 2, 22))
    recorded = Recorded("signups", window, 5.0, utc(2026, 9, 3), "warehouse")
    delivery = delivery_for(loaded.config, "tool", recorded, MemoryStore())
    assert delivery is not None and delivery.status is None


def test_an_unmapped_or_unknown_kr_gets_no_delivery(loaded: LoadedConfig) -> None:
    store = MemoryStore()
    for kr in ("unmapped", "gone"):
        assert (
            delivery_for(
                loaded.config, "tool", Recorded(kr, NOV_15, 1.0, utc(2026, 11, 16), "w"), store
            )
            is None
        )
    assert (
        delivery_for(
            loaded.config, "other", Recorded("signups", NOV_15, 1.0, utc(2026, 11, 16), "w"), store
        )
        is None
    )


def test_the_status_reads_the_stored_history_before_the_value(loaded: LoadedConfig) -> None:
    store = MemoryStore()
    store.sync_definitions(loaded.config)
    # a later value already stored must not count as "latest" for an earlier delivery
    later = MeasurementIn(
        "signups",
        400.0,
        utc(2026, 11, 20, 23),
        utc(2026, 11, 21, 23),
        utc(2026, 11, 22),
        "warehouse",
        "f",
        None,
    )
    store.record_measurements([later])
    recorded = Recorded("signups", NOV_15, 60.0, utc(2026, 11, 16, 5), "warehouse")
    delivery = delivery_for(loaded.config, "tool", recorded, store)
    assert delivery is not None and delivery.status == "off_track"


def test_skip_rules_send_once_per_value_and_never_an_older_window(
    loaded: LoadedConfig, tool: RecordingSandbox
) -> None:
    store = MemoryStore()
    now = utc(2026, 11, 16, 6)
    sink = open_sink(loaded.config, "tool")
    try:

        def send(window: Window, value: float) -> str:
            recorded = Recorded("signups", window, value, now, "warehouse")
            delivery = delivery_for(loaded.config, "tool", recorded, store)
            assert delivery is not None
            return deliver("tool", sink, delivery, store, now=now)

        assert send(NOV_15, 10.0) == "sent"
        assert send(NOV_15, 10.0) == "unchanged"  # the receipt holds it: no call at all
        assert len(tool.received) == 1
        assert send(NOV_15, 12.0) == "sent"  # revised: the same check-in, updated
        assert tool.checkins("g-1") == [(date(2026, 11, 15), 12.0)]
        assert [m for m, _, _ in tool.received] == ["POST", "PUT"]
        receipt = store.sink_receipt("tool", "signups", "signups@2026-11-15")
        assert receipt is not None and receipt.remote_id == "1" and receipt.value == 12.0

        # an hourly window of the same day ending earlier than the receipt's: skipped
        earlier = Window(NOV_15.start, NOV_15.end - timedelta(hours=2))
        assert send(earlier, 11.0) == "older"
        assert len(tool.received) == 2
    finally:
        sink.close()


def test_a_value_the_tool_already_holds_is_not_written_again(
    loaded: LoadedConfig, tool: RecordingSandbox
) -> None:
    store = MemoryStore()
    now = utc(2026, 11, 16, 6)
    with open_sink(loaded.config, "tool") as sink:
        recorded = Recorded("signups", NOV_15, 10.0, now, "warehouse")
        delivery = delivery_for(loaded.config, "tool", recorded, store)
        assert delivery is not None
        assert deliver("tool", sink, delivery, store, now=now) == "sent"
        # the receipt is lost (a crash after the write): the sink's read-first rule holds
        other = MemoryStore()
        assert deliver("tool", sink, delivery, other, now=now) == "unchanged"
    assert len(tool.received) == 1
    kept = other.sink_receipt("tool", "signups", "signups@2026-11-15")
    assert kept is not None and kept.remote_id == "1"
    assert isinstance(sink.context, ConnectorContext) and sink.context.source == "tool"
    assert sink.context.timezone == ZURICH


def test_a_current_value_sink_never_gets_an_older_day_over_a_newer_one(
    loaded: LoadedConfig, tool: RecordingSandbox
) -> None:
    """For a tool holding only the current value (a sheet row), the key is the KR: a value of
    an earlier day arriving after a later day's (backfill order, two instances) is skipped."""
    store = MemoryStore()
    now = utc(2026, 11, 17, 6)
    nov_16 = Window(NOV_15.start + timedelta(days=1), NOV_15.end + timedelta(days=1))
    with open_sink(loaded.config, "tool") as sink:

        def send(window: Window, value: float) -> str:
            recorded = Recorded("signups", window, value, now, "warehouse")
            delivery = delivery_for(loaded.config, "tool", recorded, store, keeps_history=False)
            assert delivery is not None and delivery.key == "signups"
            return deliver("tool", sink, delivery, store, now=now)

        assert send(nov_16, 12.0) == "sent"
        assert send(NOV_15, 10.0) == "older"  # a later day is already in the tool
        assert send(nov_16, 12.0) == "unchanged"
    assert len(tool.received) == 1
    receipt = store.sink_receipt("tool", "signups", "signups")
    assert receipt is not None and receipt.value == 12.0 and receipt.window_end == nov_16.end
