"""Check-ins in the store (SQLite and PostgreSQL): value, confidence and note, the latest one."""

from __future__ import annotations

from datetime import timedelta

from syncd.config.models import Cycle
from syncd.store import MeasurementIn, Store
from tests.store.helpers import DAY0, basic_config


def test_a_checkin_with_a_value_also_stores_its_measurement(store: Store) -> None:
    store.sync_definitions(basic_config())
    at = DAY0 + timedelta(days=3)
    measurement = MeasurementIn(
        key_result_id="kr-a",
        value=4.0,
        window_start=at,
        window_end=at,
        collected_at=at,
        source="manual",
        query_fingerprint="",
        run_id=None,
        note="first survey",
    )
    row = store.record_checkin(
        "kr-a", at=at, confidence="at_risk", note="first survey", measurement=measurement
    )
    assert (row.value, row.confidence, row.note) == (4.0, "at_risk", "first survey")
    [stored] = store.measurements("kr-a")
    assert (stored.value, stored.source, stored.note) == (4.0, "manual", "first survey")

    store.record_checkin("kr-a", at=at + timedelta(days=2), confidence="on_track", note=None)
    store.record_checkin("kr-b", at=at, confidence="off_track", note="supplier late")
    assert len(store.measurements("kr-a")) == 1  # a confidence alone is no measurement
    history = store.checkins("kr-a")
    assert [(c.value, c.confidence) for c in history] == [(4.0, "at_risk"), (None, "on_track")]

    latest = store.latest_checkins()
    assert latest["kr-a"].confidence == "on_track"
    assert latest["kr-b"].note == "supplier late"
    earlier = store.latest_checkins(["kr-a"], until=at + timedelta(days=1))
    assert list(earlier) == ["kr-a"]
    assert earlier["kr-a"].confidence == "at_risk"


def test_cycles_and_retired_objectives_stay_in_the_store(store: Store) -> None:
    config = basic_config().model_copy(
        update={"cycles": {"2026-Q4": Cycle(start=DAY0.date(), end=DAY0.date().replace(month=12))}}
    )
    store.sync_definitions(config)
    store.sync_definitions(basic_config())  # the cycle and o1 are still known
    [cycle] = store.stored_cycles()
    assert (cycle.id, cycle.start, cycle.active) == ("2026-Q4", DAY0.date(), False)
    [objective] = store.stored_objectives()
    assert objective.id == "o1"
    assert objective.definition is not None and '"kr-a"' in objective.definition


def test_the_same_checkin_twice_is_stored_once(store: Store) -> None:
    store.sync_definitions(basic_config())
    at = DAY0 + timedelta(days=3)
    first = store.record_checkin("kr-a", at=at, confidence="at_risk", note=None)
    again = store.record_checkin("kr-a", at=at, confidence="at_risk", note=None)
    assert again.id == first.id
    store.record_checkin("kr-a", at=at, confidence="at_risk", note="now with a reason")
    assert [c.note for c in store.checkins("kr-a")] == [None, "now with a reason"]
