"""Every backend's reads return syncd's frozen records, never a backend's rows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from syncd.store import (
    CheckIn,
    DeadLetter,
    Measurement,
    MeasurementRevision,
    OutgoingMessage,
    StoredCycle,
    StoredObjective,
    SyncRun,
)
from syncd.store.records import Delivery
from tests.store.helpers import DAY0, basic_config, item


def test_reads_return_frozen_records(store):
    config = basic_config()
    store.sync_definitions(config)
    store.record_measurements([item("kr-a", 1.0, 1)])
    store.record_measurements([item("kr-a", 2.0, 1)])
    refused = store.record_measurements([item("ghost", 1.0, 1)]).refused
    store.set_aside(refused)
    store.record_checkin("kr-a", at=DAY0, confidence="on_track", note=None)
    store.start_run(source="web", trigger="manual")
    message = OutgoingMessage(key="k", kind="digest", team="growth", title="t", body="b")
    store.claim_delivery(message, "mail", owner="a", lease=timedelta(minutes=1), now=DAY0)

    [measurement] = store.measurements("kr-a")
    earlier = store.revisions_of("kr-a")[measurement.id]
    reads = {
        Measurement: [measurement, store.latest()["kr-a"], *store.histories(["kr-a"])["kr-a"]],
        MeasurementRevision: [*store.revisions(measurement.id), *earlier],
        CheckIn: [*store.checkins("kr-a"), *store.latest_checkins().values()],
        DeadLetter: store.dead_letters(),
        SyncRun: store.runs(),
        StoredObjective: store.stored_objectives(),
        StoredCycle: store.stored_cycles(),
        Delivery: store.deliveries(),
    }
    for kind, records in reads.items():
        assert {type(record) for record in records} <= {kind}, kind
    assert [len(reads[kind]) for kind in (Measurement, MeasurementRevision, CheckIn)] == [3, 2, 2]
    assert (len(reads[DeadLetter]), len(reads[SyncRun]), len(reads[Delivery])) == (1, 1, 1)
    assert reads[StoredCycle] == []  # the basic config names no cycle
    with pytest.raises(dataclasses.FrozenInstanceError):
        measurement.value = 3.0  # type: ignore[misc]
