"""The store judges items one by one: bad items are refused with a reason, the rest written in
one transaction; refused items can be set aside as dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event

from syncd.store import MeasurementIn, Refusal, WriteResult

from .helpers import basic_config, day, item


@pytest.fixture
def kr_store(store):
    store.sync_definitions(basic_config())
    return store


def replaced(base: MeasurementIn, **fields) -> MeasurementIn:
    return MeasurementIn(**{**base.__dict__, **fields})


def test_good_items_are_written_and_each_bad_one_is_refused_with_its_reason(kr_store):
    kr_store.record_measurements([item("kr-a", 5.0, 2)])
    good_new, good_revised = item("kr-b", 4.0, 1), item("kr-a", 6.0, 2, run_id="run-2")
    bad = [
        item("kr-a", float("nan"), 3),
        item("kr-b", float("inf"), 3),
        item("ghost", 1.0, 1),
        replaced(item("kr-a", 1.0, 4), window_start=day(5)),
        replaced(item("kr-a", 1.0, 6), collected_at=datetime(2026, 10, 7)),
        replaced(item("kr-a", 1.0, 7), source="s" * 201),
        replaced(item("kr-a", 1.0, 8), note="a\x00b"),
        replaced(item("kr-a", 1.0, 9), value="12"),
    ]
    result = kr_store.record_measurements([bad[0], good_new, *bad[1:4], good_revised, *bad[4:]])

    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 0)
    # Plain checks first, in the batch's order; then what the database itself refused.
    assert [(r.item, r.reason) for r in result.refused] == [
        (bad[0], "value nan is not a finite number"),
        (bad[1], "value inf is not a finite number"),
        (
            bad[3],
            "window starts (2026-10-06T00:00:00+00:00) after it ends (2026-10-05T00:00:00+00:00)",
        ),
        (bad[4], "collected_at 2026-10-07T00:00:00 is a datetime without a time zone"),
        (bad[5], "source is 201 characters long (at most 200)"),
        (bad[6], "note contains a NUL character"),
        (bad[7], "value '12' is not a number"),
        (bad[2], "key result 'ghost' is not defined in the store"),
    ]
    assert [(m.window_end, m.value, m.revision) for m in kr_store.measurements("kr-a")] == [
        (day(2), 6.0, 2)
    ]
    assert [(m.window_end, m.value) for m in kr_store.measurements("kr-b")] == [(day(1), 4.0)]
    assert kr_store.measurements("ghost") == []


def test_a_database_refusal_rolls_back_only_that_item_and_revises_once(kr_store):
    kr_store.record_measurements([item("kr-a", 1.0, 1), item("kr-a", 2.0, 2)])
    [first, second] = kr_store.measurements("kr-a")
    # kr-a's revision happens in the batch attempt, is rolled back with it when "ghost" breaks
    # the foreign key, and happens again item by item: one revision, not two.
    result = kr_store.record_measurements(
        [item("kr-a", 1.0, 1), item("kr-a", 3.0, 2), item("ghost", 9.0, 2), item("kr-a", 4.0, 3)]
    )
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    assert [r.item.key_result_id for r in result.refused] == ["ghost"]
    assert [(m.value, m.revision) for m in kr_store.measurements("kr-a")] == [
        (1.0, 1),
        (3.0, 2),
        (4.0, 1),
    ]
    assert [(r.revision, r.value) for r in kr_store.revisions(second.id)] == [(1, 2.0)]
    assert kr_store.revisions(first.id) == []


def test_a_batch_of_good_items_uses_one_savepoint_not_one_per_item(sql_store):
    # SQL-only: the statements the SQL store sends.
    kr_store = sql_store
    kr_store.sync_definitions(basic_config())
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()[:3]).upper())

    items = [item("kr-a", float(n), n) for n in range(1, 41)]
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        result = kr_store.record_measurements(items)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert result == WriteResult(inserted=40, updated=0, unchanged=0)
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 1
    # 40 new windows, one multi-row insert; their 40 events, one more.
    assert statements.count("INSERT INTO MEASUREMENTS") == 1
    assert statements.count("INSERT INTO OUTBOX_EVENTS") == 1
    assert sum(s.startswith("INSERT") for s in statements) == 2


def test_refused_items_set_aside_count_attempts_and_resolve_once_stored(kr_store):
    assert kr_store.dead_letter_count() == 0
    nan = item("kr-a", float("nan"), 1)
    ghost = item("ghost", 2.0, 1)
    first = kr_store.record_measurements([nan, ghost])
    kr_store.set_aside(first.refused)
    again = replaced(nan, collected_at=day(1) + timedelta(hours=5), run_id="run-2")
    kr_store.set_aside([Refusal(again, "value nan is not a finite number")])

    letters = kr_store.dead_letters()
    assert kr_store.dead_letter_count() == 2
    by_kr = {letter.key_result_id: letter for letter in letters}
    assert set(by_kr) == {"kr-a", "ghost"}
    assert letters[0].key_result_id == "kr-a"  # most recently refused first
    nan_letter = by_kr["kr-a"]
    assert nan_letter.attempts == 2
    assert nan_letter.first_seen < nan_letter.last_seen <= datetime.now(UTC)
    assert nan_letter.reason == "value nan is not a finite number"
    stored_item = json.loads(nan_letter.item)
    assert stored_item["value"] == "nan"  # standard JSON, not a bare NaN
    assert (stored_item["run_id"], stored_item["window_end"]) == ("run-2", day(1).isoformat())
    assert by_kr["ghost"].attempts == 1
    assert by_kr["ghost"].reason == "key result 'ghost' is not defined in the store"

    # A good value of the same window resolves the dead letter; the other one stays.
    assert kr_store.record_measurements([item("kr-a", 3.0, 1)]).inserted == 1
    assert [letter.key_result_id for letter in kr_store.dead_letters()] == ["ghost"]
    assert kr_store.dead_letter_count() == 1
    assert kr_store.dead_letters(limit=0) == []


def test_write_results_add_up_with_their_refusals():
    nan = Refusal(item("kr-a", float("nan"), 1), "value nan is not a finite number")
    ghost = Refusal(item("ghost", 1.0, 1), "key result 'ghost' is not defined in the store")
    total = WriteResult(1, 2, 3, (nan,)) + WriteResult(4, 5, 6, (ghost,))
    assert total == WriteResult(5, 7, 9, (nan, ghost))
