from datetime import UTC, datetime, timedelta

import pytest

from syncd.config.models import Band
from syncd.store.tables import KeyResultRecord, ObjectiveRecord

from .backdoor import definition_rows
from .helpers import basic_config, config, kr, objective


@pytest.fixture
def rows(store_url):
    """Read a table's rows by id, past the store."""
    return lambda model: definition_rows(store_url, model)


def test_definitions_are_upserted_with_their_fields(store, rows):
    before = datetime.now(UTC)
    store.sync_definitions(basic_config())
    objectives = rows(ObjectiveRecord)
    krs = rows(KeyResultRecord)
    assert set(objectives) == {"o1"}
    o1 = objectives["o1"]
    assert (o1.cycle, o1.title, o1.team, o1.level, o1.commitment, o1.active) == (
        "2026-Q4",
        "Objective o1",
        "growth",
        "team",
        "committed",
        True,
    )
    assert before <= o1.updated_at <= datetime.now(UTC)
    a, b = krs["kr-a"], krs["kr-b"]
    assert (a.objective_id, a.focus, a.unit, a.direction, a.baseline, a.target) == (
        "o1",
        "user",
        "percent",
        "increase",
        0.0,
        10.0,
    )
    assert (a.metric, a.schedule, a.weight, a.band_at_least, a.band_at_most) == (
        "booking_rate",
        "daily",
        1.0,
        None,
        None,
    )
    assert (b.direction, b.band_at_least, b.band_at_most, b.baseline) == (
        "maintain",
        3.0,
        None,
        None,
    )


def test_dropped_definitions_are_deactivated_and_come_back(store, rows):
    store.sync_definitions(
        config(
            objective("o1", kr("kr-a"), kr("kr-b")),
            objective("o2", kr("kr-c", baseline=5.0, target=2.0), parent="o1"),
        )
    )
    first = rows(KeyResultRecord)
    assert first["kr-c"].direction == "decrease"
    assert rows(ObjectiveRecord)["o2"].parent_id == "o1"

    # kr-b and o2 (with kr-c) leave the config; kr-a changes title.
    store.sync_definitions(config(objective("o1", kr("kr-a", title="renamed"))))
    krs = rows(KeyResultRecord)
    objectives = rows(ObjectiveRecord)
    assert {k: v.active for k, v in krs.items()} == {"kr-a": True, "kr-b": False, "kr-c": False}
    assert {k: v.active for k, v in objectives.items()} == {"o1": True, "o2": False}
    assert krs["kr-a"].title == "renamed"
    assert krs["kr-b"].updated_at > first["kr-b"].updated_at
    assert krs["kr-a"].updated_at > first["kr-a"].updated_at

    # kr-c comes back, moved under o1 and now a maintain KR.
    store.sync_definitions(
        config(
            objective(
                "o1",
                kr("kr-a", title="renamed"),
                kr("kr-c", maintain=Band(at_most=4), baseline=None, target=None),
            )
        )
    )
    krs = rows(KeyResultRecord)
    assert {k: v.active for k, v in krs.items()} == {"kr-a": True, "kr-b": False, "kr-c": True}
    assert (krs["kr-c"].objective_id, krs["kr-c"].direction, krs["kr-c"].band_at_most) == (
        "o1",
        "maintain",
        4.0,
    )
    assert rows(ObjectiveRecord)["o2"].active is False


def test_unchanged_definitions_keep_their_updated_at(store, rows):
    store.sync_definitions(basic_config())
    first = {k: v.updated_at for k, v in rows(KeyResultRecord).items()}
    store.sync_definitions(basic_config())
    assert {k: v.updated_at for k, v in rows(KeyResultRecord).items()} == first
    assert all(v > datetime.now(UTC) - timedelta(minutes=5) for v in first.values())


def test_an_empty_config_deactivates_everything(store, rows):
    store.sync_definitions(basic_config())
    store.sync_definitions(config())
    assert {v.active for v in rows(KeyResultRecord).values()} == {False}
    assert {v.active for v in rows(ObjectiveRecord).values()} == {False}


def test_ten_thousand_krs_are_written_in_chunks_and_dropped_ones_deactivated(store, rows):
    # Beyond PostgreSQL's 65,535 and SQLite's 32,766 bind parameters in one statement.
    many = config(
        *(objective(f"o{n}", *(kr(f"kr-{n}-{k}") for k in range(4))) for n in range(2500))
    )
    store.sync_definitions(many)
    krs = rows(KeyResultRecord)
    assert len(krs) == 10_000 and all(record.active for record in krs.values())
    assert len(rows(ObjectiveRecord)) == 2500

    fewer = config(*(objective(f"o{n}", kr(f"kr-{n}-0")) for n in range(2000)))
    store.sync_definitions(fewer)
    krs = rows(KeyResultRecord)
    assert sum(record.active for record in krs.values()) == 2000
    assert krs["kr-1999-0"].active and not krs["kr-1999-1"].active and not krs["kr-2000-0"].active
    objectives = rows(ObjectiveRecord)
    assert sum(record.active for record in objectives.values()) == 2000
