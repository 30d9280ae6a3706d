"""The ``excel`` sink on a real workbook: one row per KR, atomic replacement, the lock between
writers, and the clear errors for a missing, corrupt or open workbook. Expected cells are
written out by hand and read back with openpyxl directly."""

from __future__ import annotations

import fcntl
import os
import threading
from datetime import UTC, date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from pydantic import ValidationError

from connectors.excel.config import ExcelSinkConfig
from connectors.excel.sink import ExcelSink
from connectors.spreadsheet.kr_rows import RowTarget
from syncd.abc import Delivery, Receipt, Window
from syncd.errors import QueryError, SourceError, TransientSourceError

ZURICH = ZoneInfo("Europe/Zurich")
MEASURED = datetime(2026, 12, 20, 11, 0, 5, 123456, tzinfo=UTC)
NOTE = "daily_bookings from ga4, 2026-12-19"


def delivery(
    row_key: str = "booking-5d",
    value: float = 43.0,
    day: date = date(2026, 12, 19),
    status: str | None = "on_track",
    **target: Any,
) -> Delivery[RowTarget]:
    start = datetime(day.year, day.month, day.day, tzinfo=ZURICH)
    return Delivery(
        kr_id="kr-bookings",
        kr_title="Bookings in 5 days",
        target=RowTarget.model_validate({"row_key": row_key} | target),
        key=f"kr-bookings/{day.isoformat()}",
        value=value,
        unit=None,
        day=day,
        window=Window(start, start),
        measured_at=MEASURED,
        source="ga4",
        status=status,
        note=NOTE,
    )


def expected_row(key: str, value: float, day: date, status: str | None = "on_track") -> list[Any]:
    # openpyxl reads a date cell back as a datetime at midnight.
    midnight = datetime(day.year, day.month, day.day)
    return [key, value, midnight, status, NOTE, "2026-12-20T11:00:05Z"]


# ---- deliveries ---------------------------------------------------------------------------------


def test_a_known_key_updates_its_row_and_keeps_the_rest(
    read_rows, make_sink, sink_sandbox, tool_checkins, target
):
    with make_sink() as sink:
        receipt = sink.deliver(delivery(), None)
    assert receipt == Receipt(True, "KRs!A2:F2", receipt.detail)
    assert len(sink_sandbox.received) == 1
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]
    rows = read_rows(sink_sandbox.path)
    assert rows[1][:6] == expected_row("booking-5d", 43.0, date(2026, 12, 19))
    assert rows[1][7] == "people write notes here"
    assert rows[2][:5] == ["nps", 52, 46357, "at_risk", "typed by hand"]
    book = openpyxl.load_workbook(sink_sandbox.path)
    assert book.sheetnames == ["Summary", "KRs"]
    assert [[c.value for c in row] for row in book["Summary"].iter_rows()] == [
        ["Metric", "Value"],
        ["NPS", 57],
        ["Doubled", "=B2*2"],
    ]
    assert book.defined_names["nps"].attr_text == "Summary!$B$2"
    assert book["KRs"]["C2"].number_format == "yyyy-mm-dd"


def test_the_same_value_again_leaves_the_file_alone(make_sink, sink_sandbox, tool_checkins, target):
    with make_sink() as sink:
        first = sink.deliver(delivery(), None)
        inode = sink_sandbox.path.stat().st_ino
        again = sink.deliver(delivery(), first)
    assert again.sent is False and again.remote_id == "KRs!A2:F2"
    assert len(sink_sandbox.received) == 1
    assert sink_sandbox.path.stat().st_ino == inode
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]


def test_a_revised_value_rewrites_the_one_row(
    read_rows, make_sink, sink_sandbox, tool_checkins, target
):
    with make_sink() as sink:
        first = sink.deliver(delivery(value=43.0), None)
        sink.deliver(delivery(value=44.5, status=None), first)
    assert len(sink_sandbox.received) == 2
    assert tool_checkins(target) == [(date(2026, 12, 19), 44.5)]
    assert read_rows(sink_sandbox.path)[1][3] is None


def test_seeded_and_hand_typed_days_are_not_written_again(make_sink, sink_sandbox):
    with make_sink() as sink:
        seeded = sink.deliver(delivery(value=41.5, day=date(2026, 12, 18)), None)
        typed = sink.deliver(delivery("nps", value=52, day=date(2026, 12, 1)), None)
        older = sink.deliver(delivery(value=1.0, day=date(2026, 12, 2)), None)
    assert (seeded.sent, typed.sent, older.sent) == (False, False, False)
    assert "later day (2026-12-18)" in older.detail
    assert sink_sandbox.received == []


def test_a_new_key_is_appended_once(read_rows, make_sink, sink_sandbox, tool_checkins):
    with make_sink() as sink:
        first = sink.deliver(delivery("signups-q4", value=120), None)
        again = sink.deliver(delivery("signups-q4", value=120), first)
    # Rows 2-4 hold booking-5d, nps and churn (H2 is right of the table): the new row is 5.
    assert first == Receipt(True, "KRs!A5:F5", first.detail)
    assert again.sent is False
    assert read_rows(sink_sandbox.path)[4][:6] == expected_row(
        "signups-q4", 120, date(2026, 12, 19)
    )
    assert tool_checkins({"row_key": "signups-q4"}) == [(date(2026, 12, 19), 120.0)]
    assert len(sink_sandbox.received) == 1


# ---- atomic writes and the lock ----------------------------------------------------------------


def test_the_workbook_is_replaced_whole_and_keeps_its_mode(make_sink, sink_sandbox):
    sink_sandbox.path.chmod(0o640)
    with make_sink() as sink:
        sink.deliver(delivery(), None)
    ((temporary, destination),) = sink_sandbox.received
    assert Path(temporary).parent == sink_sandbox.path.parent
    assert destination == str(sink_sandbox.path)
    assert oct(sink_sandbox.path.stat().st_mode & 0o777) == oct(0o640)
    left = sorted(p.name for p in sink_sandbox.path.parent.iterdir())
    assert left == [".~syncd-okr.xlsx.lock", "okr.xlsx"]


def test_a_failed_save_leaves_the_workbook_as_it_was(make_sink, sink_sandbox, monkeypatch):
    before = sink_sandbox.path.read_bytes()

    def disk_full(self: Any, filename: Any) -> None:
        filename.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", disk_full)
    with make_sink() as sink, pytest.raises(TransientSourceError) as caught:
        sink.deliver(delivery(), None)
    assert "No space left on device" in str(caught.value)
    assert sink_sandbox.path.read_bytes() == before
    assert sorted(p.name for p in sink_sandbox.path.parent.iterdir()) == [
        ".~syncd-okr.xlsx.lock",
        "okr.xlsx",
    ]


def test_a_held_lock_makes_the_writer_wait_then_give_up(make_sink, sink_sandbox, tool_checkins):
    with make_sink(lock_timeout_seconds=0.3) as sink:
        lock = os.open(sink.lock_path, os.O_RDWR | os.O_CREAT)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with pytest.raises(TransientSourceError, match="another syncd is writing"):
                sink.deliver(delivery(), None)
            assert sink_sandbox.received == []
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        assert sink.deliver(delivery(), None).sent
    assert tool_checkins({"row_key": "booking-5d"}) == [(date(2026, 12, 19), 43.0)]


def test_two_writers_never_lose_each_others_rows(read_rows, make_sink, sink_sandbox, tool_checkins):
    sinks = [make_sink(), make_sink()]
    keys = [[f"w{writer}-kr{index}" for index in range(8)] for writer in range(2)]
    failures: list[BaseException] = []

    def write(sink: ExcelSink, mine: list[str]) -> None:
        try:
            for index, key in enumerate(mine):
                sink.deliver(delivery(key, value=float(index)), None)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=(sink, mine))
        for sink, mine in zip(sinks, keys, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for mine in keys:
        for index, key in enumerate(mine):
            assert tool_checkins({"row_key": key}) == [(date(2026, 12, 19), float(index))]
    rows = read_rows(sink_sandbox.path)
    assert len([row for row in rows[1:] if row[0]]) == 3 + 16
    assert len(sink_sandbox.received) == 16


# ---- the workbook's problems, as errors ----------------------------------------------------------


def test_a_corrupt_workbook_is_a_clear_error_and_left_alone(make_sink, sink_sandbox):
    sink_sandbox.path.write_bytes(b"PK\x03\x04 not really a workbook")
    with make_sink() as sink:
        with pytest.raises(TransientSourceError) as caught:
            sink.deliver(delivery(), None)
        with pytest.raises(TransientSourceError):
            sink.read(RowTarget(row_key="booking-5d"))
    assert "not a readable .xlsx workbook" in str(caught.value)
    assert str(sink_sandbox.path) in str(caught.value)
    assert sink_sandbox.path.read_bytes() == b"PK\x03\x04 not really a workbook"


def test_a_missing_workbook_is_a_clear_error(make_sink, sink_sandbox):
    sink_sandbox.path.unlink()
    with make_sink() as sink, pytest.raises(TransientSourceError, match="does not exist"):
        sink.deliver(delivery(), None)
    assert not sink_sandbox.path.exists()


def test_a_workbook_open_in_excel_is_not_written(make_sink, sink_sandbox, tool_checkins, target):
    owner = sink_sandbox.path.with_name("~$okr.xlsx")
    owner.write_bytes(b"\x05alice")
    with make_sink() as sink:
        with pytest.raises(TransientSourceError, match="open in Excel"):
            sink.deliver(delivery(), None)
        assert sink_sandbox.received == []
        owner.unlink()
        assert sink.deliver(delivery(), None).sent
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]


def test_a_missing_sheet_or_a_doubled_key_is_a_query_error(make_sink, sink_sandbox):
    book = openpyxl.load_workbook(sink_sandbox.path)
    book["KRs"].append(["nps", 50])
    book.save(sink_sandbox.path)
    with make_sink() as sink:
        with pytest.raises(QueryError, match="has no sheet 'Nope'"):
            sink.deliver(delivery(sheet="Nope"), None)
        with pytest.raises(QueryError, match="rows 3, 5"):
            sink.deliver(delivery("nps"), None)
    assert sink_sandbox.received == []


# ---- read and check ---------------------------------------------------------------------------


def test_read_after_deliver_and_an_unknown_key(make_sink):
    with make_sink() as sink:
        before = sink.read(RowTarget(row_key="nps"))
        sink.deliver(delivery(value=47.25), None)
        after = sink.read(RowTarget(row_key="booking-5d"))
        with pytest.raises(QueryError, match="no row"):
            sink.read(RowTarget(row_key="unknown-kr"))
    assert (before.value, before.day) == (52.0, date(2026, 12, 1))
    assert (after.title, after.value, after.day) == ("booking-5d", 47.25, date(2026, 12, 19))


def test_check_opens_the_workbook_and_its_sheet(make_sink, sink_sandbox):
    with make_sink() as sink:
        assert sink.check() == f"opened {sink_sandbox.path}, sheet 'KRs'"
    with make_sink(sheet="Summary") as sink:
        assert "row 1 should read key | value | date | status | note | updated" in sink.check()
    with make_sink(sheet="Nope") as sink, pytest.raises(QueryError):
        sink.check()
    sink_sandbox.path.unlink()
    with make_sink() as sink, pytest.raises(SourceError, match="does not exist"):
        sink.check()


# ---- config and registration ------------------------------------------------------------------


def test_the_config_refuses_what_it_cannot_write(sink_config):
    assert ExcelSinkConfig.model_validate(sink_config).key_column == "A"
    for wrong in (
        {"path": "/srv/share/okr.xlsm"},
        {"path": "/srv/share/okr.xls"},
        {"key_column": "1"},
        {"lock_timeout_seconds": -1},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError):
            ExcelSinkConfig.model_validate(sink_config | wrong)


def test_the_sink_is_registered():
    (entry,) = [e for e in entry_points(group="syncd.sinks") if e.name == "excel"]
    assert entry.load() is ExcelSink


def test_the_sample_is_a_valid_sink_and_mapping():
    import yaml

    import connectors.excel

    sample = yaml.safe_load(
        Path(connectors.excel.__file__).with_name("sink-sample.yaml").read_text()
    )
    (config,) = sample["sinks"].values()
    assert ExcelSinkConfig.model_validate(config).sheet == "KRs"
    (mapping,) = sample["push"].values()
    assert RowTarget.model_validate(mapping).row_key == "booking-5d"


def test_a_value_a_workbook_cannot_store_is_a_query_error(make_sink, sink_sandbox):
    before = sink_sandbox.path.read_bytes()
    bad = Delivery(**{**delivery().__dict__, "note": "bell \x07 in the note"})
    with make_sink() as sink, pytest.raises(QueryError, match="control character"):
        sink.deliver(bad, None)
    assert sink_sandbox.path.read_bytes() == before
    assert sink_sandbox.received == []
