import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from syncd.errors import StoreError
from syncd.store import MeasurementIn, WriteResult, open_store

from .helpers import basic_config, day, item


@pytest.fixture
def kr_store(store):
    store.sync_definitions(basic_config())
    return store


def test_insert_update_unchanged_counts_and_revisions(kr_store):
    first = kr_store.record_measurements(
        [item("kr-a", 10.0, 1), item("kr-a", 20.0, 2), item("kr-b", 5.0, 1)]
    )
    assert first == WriteResult(inserted=3, updated=0, unchanged=0)

    later = day(3)
    second = kr_store.record_measurements(
        [
            item("kr-a", 10.0, 1, collected=later, run_id="run-2"),
            item(
                "kr-a", 25.0, 2, collected=later, run_id="run-2", source="web2", fingerprint="fp2"
            ),
            item("kr-b", 6.0, 1, collected=later, run_id="run-2", note="restated"),
        ]
    )
    assert second == WriteResult(inserted=0, updated=2, unchanged=1)

    rows = kr_store.measurements("kr-a")
    assert [(r.value, r.revision, r.window_end) for r in rows] == [
        (10.0, 1, day(1)),
        (25.0, 2, day(2)),
    ]
    same, changed = rows
    # The same value only refreshes when it was seen and by which run.
    assert (same.collected_at, same.run_id, same.source) == (later, "run-2", "web")
    assert (changed.collected_at, changed.run_id) == (later, "run-2")
    assert (changed.source, changed.query_fingerprint) == ("web2", "fp2")

    [old] = kr_store.revisions(changed.id)
    assert (old.revision, old.value, old.source, old.query_fingerprint, old.run_id) == (
        1,
        20.0,
        "web",
        "fp1",
        "run-1",
    )
    assert old.collected_at == day(2) + timedelta(hours=1)
    assert datetime.now(UTC) - timedelta(minutes=5) < old.superseded_at <= datetime.now(UTC)

    [b] = kr_store.measurements("kr-b")
    assert (b.value, b.revision, b.note) == (6.0, 2, "restated")
    assert [(r.revision, r.value, r.note) for r in kr_store.revisions(b.id)] == [(1, 5.0, None)]
    assert kr_store.revisions(same.id) == []

    third = kr_store.record_measurements([item("kr-a", 30.0, 2, run_id="run-3")])
    assert third == WriteResult(inserted=0, updated=1, unchanged=0)
    assert [(r.revision, r.value, r.run_id) for r in kr_store.revisions(changed.id)] == [
        (1, 20.0, "run-1"),
        (2, 25.0, "run-2"),
    ]
    assert [r.value for r in kr_store.measurements("kr-a")] == [10.0, 30.0]


def test_rerunning_a_slot_never_duplicates(kr_store):
    batch = [item("kr-a", 1.5, 1), item("kr-a", 2.5, 2)]
    assert kr_store.record_measurements(batch) == WriteResult(2, 0, 0)
    assert kr_store.record_measurements(batch) == WriteResult(0, 0, 2)
    assert len(kr_store.measurements("kr-a")) == 2
    assert kr_store.record_measurements([]) == WriteResult(0, 0, 0)


def test_natural_key_is_unique_in_the_schema(sql_store, sql_store_url):
    # SQL-only: the schema's own constraint, beside the upsert every backend does.
    sql_store.sync_definitions(basic_config())
    sql_store.record_measurements([item("kr-a", 1.0, 1)])
    engine = create_engine(sql_store_url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO measurements (key_result_id, window_start, window_end, value,"
                    " collected_at, source, query_fingerprint, revision)"
                    " SELECT key_result_id, window_start, window_end, 2.0, collected_at, source,"
                    " query_fingerprint, 1 FROM measurements"
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("same_value", [False, True], ids=["different", "same"])
def test_concurrent_double_write_of_the_same_keys(kr_store, store_url, same_value):
    windows = range(1, 31)
    stores = [open_store(store_url, upgrade=False) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[WriteResult] = []
    errors: list[BaseException] = []

    def write(which: int) -> None:
        offset = 0.0 if same_value else which * 0.5
        batch = [item("kr-a", n + offset, n, run_id=f"run-{which}") for n in windows]
        barrier.wait()
        try:
            results.append(stores[which].record_measurements(batch))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(which,)) for which in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for opened in stores:
        opened.close()

    assert errors == []
    assert sum(r.inserted for r in results) == 30
    if same_value:
        assert sum(r.unchanged for r in results) == 30
        assert sum(r.updated for r in results) == 0
    else:
        assert sum(r.updated for r in results) == 30
        assert sum(r.unchanged for r in results) == 0
    rows = kr_store.measurements("kr-a")
    assert [r.window_end for r in rows] == [day(n) for n in windows]
    expected_revision = 1 if same_value else 2
    assert {r.revision for r in rows} == {expected_revision}
    if not same_value:
        for row in rows:
            [old] = kr_store.revisions(row.id)
            # Whichever writer came second, the first one's value is the revision.
            n = (row.window_end - day(0)).days
            assert {old.value, row.value} == {float(n), n + 0.5}


def test_one_bad_item_is_refused_and_the_others_written(kr_store):
    result = kr_store.record_measurements([item("kr-a", 1.0, 1), item("unknown-kr", 2.0, 1)])
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 0)
    assert [(r.item.key_result_id, r.reason) for r in result.refused] == [
        ("unknown-kr", "key result 'unknown-kr' is not defined in the store")
    ]
    assert [m.value for m in kr_store.measurements("kr-a")] == [1.0]


def _record_in_zurich(store) -> datetime:
    """Record kr-a's window from 1 July (CEST) to 1 December 2026 09:30 (CET), Zurich time;
    returns its end."""
    zurich = ZoneInfo("Europe/Zurich")
    start = datetime(2026, 7, 1, 0, 0, tzinfo=zurich)  # CEST, UTC+2
    end = datetime(2026, 12, 1, 9, 30, tzinfo=zurich)  # CET, UTC+1
    store.record_measurements(
        [
            MeasurementIn(
                key_result_id="kr-a",
                value=4.0,
                window_start=start,
                window_end=end,
                collected_at=end,
                source="web",
                query_fingerprint="fp",
                run_id=None,
            )
        ]
    )
    return end


def test_datetimes_round_trip_as_utc(kr_store):
    end = _record_in_zurich(kr_store)
    [row] = kr_store.measurements("kr-a", since=end, until=end)
    assert row.window_start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert row.window_end == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert row.window_end.utcoffset() == timedelta(0)
    assert row.window_start.tzinfo == UTC


def test_datetimes_are_stored_in_utc(sql_store, sql_store_url):
    # SQL-only: what the columns hold, as a BI tool reads them.
    sql_store.sync_definitions(basic_config())
    _record_in_zurich(sql_store)
    engine = create_engine(sql_store_url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                raw = connection.exec_driver_sql("SELECT window_end FROM measurements").scalar()
                assert raw == "2026-12-01 08:30:00.000000"
            else:
                raw = connection.exec_driver_sql(
                    "SELECT window_end AT TIME ZONE 'UTC' FROM measurements"
                ).scalar()
                assert raw == datetime(2026, 12, 1, 8, 30)
    finally:
        engine.dispose()


def test_naive_datetimes_are_refused(kr_store):
    naive = item("kr-a", 1.0, 1)
    naive = MeasurementIn(**{**naive.__dict__, "window_end": datetime(2026, 10, 2)})
    result = kr_store.record_measurements([item("kr-a", 1.0, 3), naive])
    assert result.inserted == 1
    assert [r.reason for r in result.refused] == [
        "window_end 2026-10-02T00:00:00 is a datetime without a time zone"
    ]
    assert [m.window_end for m in kr_store.measurements("kr-a")] == [day(3)]
    with pytest.raises(StoreError, match="without a time zone"):
        kr_store.start_run(source="web", trigger="manual", slot=datetime(2026, 10, 2))
    with pytest.raises(StoreError, match="without a time zone"):
        kr_store.measurements("kr-a", since=datetime(2026, 10, 2))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_are_refused(kr_store, value):
    result = kr_store.record_measurements([item("kr-b", 1.0, 1), item("kr-a", value, 1)])
    assert result.inserted == 1
    assert [(r.item.key_result_id, r.reason) for r in result.refused] == [
        ("kr-a", f"value {value} is not a finite number")
    ]
    assert {kr: m.value for kr, m in kr_store.latest().items()} == {"kr-b": 1.0}


def test_measurements_filter_by_window_end_inclusive(kr_store):
    kr_store.record_measurements(
        [item("kr-a", float(n), n) for n in (4, 1, 3, 2)] + [item("kr-b", 9.0, 2)]
    )
    assert [r.value for r in kr_store.measurements("kr-a")] == [1.0, 2.0, 3.0, 4.0]
    assert [r.value for r in kr_store.measurements("kr-a", since=day(2))] == [2.0, 3.0, 4.0]
    assert [r.value for r in kr_store.measurements("kr-a", until=day(2))] == [1.0, 2.0]
    assert [r.value for r in kr_store.measurements("kr-a", since=day(2), until=day(3))] == [
        2.0,
        3.0,
    ]
    assert kr_store.measurements("no-such-kr") == []


def test_latest_per_key_result(kr_store):
    kr_store.record_measurements(
        [
            item("kr-a", 1.0, 1),
            item("kr-a", 3.0, 3),
            item("kr-a", 2.0, 2),
            item("kr-b", 7.0, 2),
            item("kr-b", 8.0, 1),
        ]
    )
    latest = kr_store.latest()
    assert {kr: (m.value, m.window_end) for kr, m in latest.items()} == {
        "kr-a": (3.0, day(3)),
        "kr-b": (7.0, day(2)),
    }
    assert list(kr_store.latest(["kr-b"])) == ["kr-b"]
    assert kr_store.latest([]) == {}
