"""The ``sheets`` sink through the real google-api-python-client against the sandbox: one row per
KR, updated in place, appended once, never rolled back; expected cells written out by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import googleapiclient
import pytest
from pydantic import ValidationError

from connectors.sheets.config import SheetsSinkConfig
from connectors.sheets.sink import SheetsSink
from connectors.spreadsheet.kr_rows import RowTarget
from syncd.abc import Delivery, Receipt, Window
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError

ZURICH = ZoneInfo("Europe/Zurich")
SHEET_ID = "1SyncdSandboxSheet0okrNumbers2026"
DISCOVERY = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
)
MEASURED = datetime(2026, 12, 20, 11, 0, 5, 123456, tzinfo=UTC)
NOTE = "daily_bookings from ga4, 2026-12-19"
UPDATE_PATH = f"/v4/spreadsheets/{SHEET_ID}/values/KRs%21A2%3AF2"
APPEND_PATH = f"/v4/spreadsheets/{SHEET_ID}/values/KRs%21A2%3AF:append"


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


def row_written(key: str, value: float, day: str, status: str = "on_track") -> list[Any]:
    return [key, value, day, status, NOTE, "2026-12-20T11:00:05Z"]


# ---- deliveries ---------------------------------------------------------------------------------


def test_a_known_key_updates_its_row_once(
    sheet_cells, make_sink, sink_sandbox, tool_checkins, target
):
    with make_sink() as sink:
        receipt = sink.deliver(delivery(), None)
    assert receipt == Receipt(True, "KRs!A2:F2", receipt.detail)
    (write,) = sink_sandbox.received
    assert (write.method, write.path) == ("PUT", UPDATE_PATH)
    assert write.params["valueInputOption"] == "RAW"
    assert write.json["values"] == [row_written("booking-5d", 43.0, "2026-12-19")]
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]
    row = sheet_cells()[2]
    assert row[8] == "people write notes here"  # a cell right of the table is kept
    assert [row[column] for column in range(1, 7)] == row_written("booking-5d", 43.0, "2026-12-19")


def test_the_same_value_again_writes_nothing(make_sink, sink_sandbox, tool_checkins, target):
    with make_sink() as sink:
        first = sink.deliver(delivery(), None)
        again = sink.deliver(delivery(), first)
    assert again.sent is False and again.remote_id == "KRs!A2:F2"
    assert len(sink_sandbox.received) == 1
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]


def test_a_revised_value_for_the_day_rewrites_the_one_row(
    sheet_cells, make_sink, sink_sandbox, tool_checkins, target
):
    with make_sink() as sink:
        first = sink.deliver(delivery(value=43.0), None)
        revised = sink.deliver(delivery(value=44.5, status="at_risk"), first)
    assert revised.sent and revised.remote_id == "KRs!A2:F2"
    assert len(sink_sandbox.received) == 2
    assert tool_checkins(target) == [(date(2026, 12, 19), 44.5)]
    assert sheet_cells()[2][4] == "at_risk"


def test_the_seeded_value_for_its_day_is_not_written_again(make_sink, sink_sandbox):
    # Row 2 holds 41.5 for 2026-12-18 as seeded.
    with make_sink() as sink:
        receipt = sink.deliver(delivery(value=41.5, day=date(2026, 12, 18)), None)
    assert receipt.sent is False and "already holds 41.5" in receipt.detail
    assert sink_sandbox.received == []


def test_a_date_typed_by_hand_is_read_as_its_day(sheet_cells, make_sink, sink_sandbox):
    # Row 3 (nps) holds 52 and the serial number of 2026-12-01 (46357 days after 1899-12-30).
    assert sheet_cells()[3][3] == 46357
    with make_sink() as sink:
        receipt = sink.deliver(delivery("nps", value=52, day=date(2026, 12, 1)), None)
        reading = sink.read(RowTarget(row_key="nps"))
    assert receipt.sent is False and sink_sandbox.received == []
    assert (reading.value, reading.day) == (52.0, date(2026, 12, 1))


def test_an_older_day_never_rolls_the_row_back(make_sink, sink_sandbox, tool_checkins, target):
    with make_sink() as sink:
        receipt = sink.deliver(delivery(value=30.0, day=date(2026, 12, 17)), None)
    assert receipt.sent is False and "later day (2026-12-18)" in receipt.detail
    assert sink_sandbox.received == []
    assert tool_checkins(target) == [(date(2026, 12, 18), 41.5)]


def test_a_new_key_is_appended_once_below_the_table(make_sink, sink_sandbox, tool_checkins):
    new = {"row_key": "signups-q4"}
    with make_sink() as sink:
        first = sink.deliver(delivery("signups-q4", value=120), None)
        again = sink.deliver(delivery("signups-q4", value=120), first)
        revised = sink.deliver(delivery("signups-q4", value=125), first)
    # Rows 2-4 hold booking-5d, nps and churn: the new row is row 5.
    assert first == Receipt(True, "KRs!A5:F5", first.detail)
    assert again.sent is False
    assert revised.sent and revised.remote_id == "KRs!A5:F5"
    append, update = sink_sandbox.received
    assert (append.method, append.path) == ("POST", APPEND_PATH)
    assert append.params["valueInputOption"] == "RAW"
    assert append.params["insertDataOption"] == "INSERT_ROWS"
    assert append.json == {
        "majorDimension": "ROWS",
        "values": [row_written("signups-q4", 120, "2026-12-19")],
    }
    assert update.method == "PUT"
    assert tool_checkins(new) == [(date(2026, 12, 19), 125.0)]


def test_a_row_without_a_value_is_filled(sheet_cells, make_sink, sink_sandbox, tool_checkins):
    with make_sink() as sink:
        receipt = sink.deliver(delivery("churn", value=0.021, status=None), None)
    assert receipt.remote_id == "KRs!A4:F4"
    assert [sheet_cells()[4].get(column) for column in range(1, 7)] == [
        "churn",
        0.021,
        "2026-12-19",
        None,  # RAW "" empties the status cell
        NOTE,
        "2026-12-20T11:00:05Z",
    ]
    assert tool_checkins({"row_key": "churn"}) == [(date(2026, 12, 19), 0.021)]


def test_a_key_column_elsewhere_moves_the_whole_row(sheet_cells, make_sink, sink_sandbox):
    # Column H holds one note at H2; with the key column H, the table is H:M.
    with make_sink(key_column="h", header_row=0) as sink:
        receipt = sink.deliver(delivery("in-h"), None)
    assert receipt.remote_id == "KRs!H3:M3"
    assert sheet_cells()[3][8] == "in-h"
    assert sheet_cells()[2][8] == "people write notes here"


# ---- retries and failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after"), [(429, 2), (503, None)], ids=["429-retry-after", "503"]
)
def test_a_refused_write_is_retried_and_lands_once(
    make_sink, sink_sandbox, sink_sleeps, tool_checkins, target, status, retry_after
):
    sink_sandbox.faults.add("/values/", status=status, retry_after=retry_after, method="PUT")
    with make_sink() as sink:
        receipt = sink.deliver(delivery(), None)
    assert receipt.sent
    assert len(sink_sandbox.received) == 1
    assert tool_checkins(target) == [(date(2026, 12, 19), 43.0)]
    if retry_after:
        assert max(sink_sleeps) >= retry_after


def test_an_append_whose_answer_was_lost_is_not_made_twice(make_sink, sink_sandbox, tool_checkins):
    sink_sandbox.faults.add(":append", status=None, truncate=True, method="POST")
    with make_sink() as sink:
        receipt = sink.deliver(delivery("lost-answer"), None)
    assert receipt.sent and receipt.remote_id == "KRs!A5:F5"
    assert len(sink_sandbox.received) == 1
    # Read, append (answer cut short), read again: the row is there, no second append.
    assert [r.method for r in sink_sandbox.requests_to("/values/")] == ["GET", "POST", "GET"]
    assert tool_checkins({"row_key": "lost-answer"}) == [(date(2026, 12, 19), 43.0)]


def test_the_write_quota_is_a_rate_limit(make_sink, sink_sandbox):
    sink_sandbox.faults.add("/values/", status=429, times=5, method="PUT")
    with make_sink() as sink, pytest.raises(RateLimited) as caught:
        sink.deliver(delivery(), None)
    assert "RESOURCE_EXHAUSTED" in str(caught.value)
    assert sink_sandbox.received == []


def test_a_server_error_on_every_try_stays_transient(make_sink, sink_sandbox):
    sink_sandbox.faults.add("/values/", status=500, times=5)
    with make_sink() as sink, pytest.raises(TransientSourceError):
        sink.deliver(delivery(), None)


def test_a_revoked_token_is_an_auth_error_without_the_key(
    make_sink, sink_sandbox, sink_config, revoke
):
    info = json.loads(sink_config["credentials"])
    with make_sink() as sink:
        sink.deliver(delivery(), None)
        revoke()
        with pytest.raises(AuthError) as caught:
            sink.deliver(delivery(value=50), None)
    text = str(caught.value)
    assert "okr-sheet" in text
    for secret in (info["private_key_id"], info["private_key"].splitlines()[1]):
        assert secret not in text and secret not in repr(caught.value)
    assert len(sink_sandbox.received) == 1


def test_a_read_only_token_cannot_write(sink_sandbox, sink_config):
    # The sandbox refuses writes with the source's scope, as Google does.
    from connectors.sheets.client import SheetsSession
    from connectors.sheets.wire import SCOPE, values_update

    config = SheetsSinkConfig.model_validate(sink_config)
    session = SheetsSession(
        auth=config.effective_auth,
        scopes=[SCOPE],
        endpoint=config.endpoint,
        timeout=5,
        source="reader",
    )
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as caught:
        session.execute(
            lambda _, values: values_update(values, SHEET_ID, "KRs!A2:F2", ["x"]),
            what="values.update",
        )
    session.close()
    assert caught.value.resp.status == 403
    assert sink_sandbox.received == []


def test_a_missing_sheet_is_a_query_error(make_sink, sink_sandbox):
    with make_sink() as sink, pytest.raises(QueryError) as caught:
        sink.deliver(delivery(sheet="No such tab"), None)
    assert "Unable to parse range" in str(caught.value)
    assert sink_sandbox.received == []


def test_a_key_in_two_rows_is_a_query_error(make_sink, sink_sandbox):
    sink_sandbox.workbook.sheet("KRs").put(6, "nps", 50)
    with make_sink() as sink, pytest.raises(QueryError) as caught:
        sink.deliver(delivery("nps"), None)
    assert "rows 3, 6" in str(caught.value)
    assert sink_sandbox.received == []


# ---- read and check ---------------------------------------------------------------------------


def test_read_shows_the_row_and_refuses_an_unknown_key(make_sink, sink_sandbox):
    with make_sink() as sink:
        before = sink.read(RowTarget(row_key="booking-5d"))
        sink.deliver(delivery(value=47.25), None)
        after = sink.read(RowTarget(row_key="booking-5d"))
        with pytest.raises(QueryError, match="no row"):
            sink.read(RowTarget(row_key="unknown-kr"))
    assert (before.value, before.day) == (41.5, date(2026, 12, 18))
    assert (after.title, after.value, after.day) == ("booking-5d", 47.25, date(2026, 12, 19))
    assert sink_sandbox.received and all(w.method == "PUT" for w in sink_sandbox.received)


def test_check_names_the_spreadsheet_sheet_and_account(make_sink, sink_sandbox):
    with make_sink() as sink:
        said = sink.check()
    assert said == (
        f"reached spreadsheet 'OKR numbers (sandbox)' ({SHEET_ID}), sheet 'KRs', as "
        "syncd-reader@syncd-sandbox.iam.gserviceaccount.com"
    )
    with make_sink(sheet="Summary") as sink:
        assert "row 1 should read key | value | date | status | note | updated" in sink.check()


# ---- the wire, against the discovery document ----------------------------------------------------


def test_writes_follow_the_discovery_document(make_sink, sink_sandbox):
    document = json.loads(DISCOVERY.read_text())
    methods = document["resources"]["spreadsheets"]["resources"]["values"]["methods"]
    update, append = methods["update"], methods["append"]
    assert (update["httpMethod"], update["path"]) == (
        "PUT",
        "v4/spreadsheets/{spreadsheetId}/values/{range}",
    )
    assert (append["httpMethod"], append["path"]) == (
        "POST",
        "v4/spreadsheets/{spreadsheetId}/values/{range}:append",
    )
    assert "https://www.googleapis.com/auth/spreadsheets" in update["scopes"]
    assert "https://www.googleapis.com/auth/spreadsheets" in append["scopes"]
    schemas = document["schemas"]
    assert set(schemas["AppendValuesResponse"]["properties"]) == {
        "spreadsheetId",
        "tableRange",
        "updates",
    }
    assert set(schemas["UpdateValuesResponse"]["properties"]) == {
        "spreadsheetId",
        "updatedRange",
        "updatedRows",
        "updatedColumns",
        "updatedCells",
        "updatedData",
    }
    with make_sink() as sink:
        sink.deliver(delivery(), None)
        sink.deliver(delivery("fresh-kr"), None)
    put, post = sink_sandbox.received
    for write, method in ((put, update), (post, append)):
        allowed = set(method["parameters"]) | set(document["parameters"])
        assert set(write.params) <= allowed
        assert write.params["valueInputOption"] in method["parameters"]["valueInputOption"]["enum"]
        assert set(write.json) <= set(schemas["ValueRange"]["properties"])
    assert post.params["insertDataOption"] in append["parameters"]["insertDataOption"]["enum"]


# ---- config and registration ------------------------------------------------------------------


def test_the_config_takes_an_id_or_url_and_refuses_mistakes(sink_config):
    url = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0"
    by_url = SheetsSinkConfig.model_validate(
        {k: v for k, v in sink_config.items() if k != "spreadsheet_id"} | {"spreadsheet": url}
    )
    assert by_url.spreadsheet == SHEET_ID
    assert SheetsSinkConfig.model_validate(sink_config).key_column == "A"
    for wrong in (
        {"key_column": "A1"},
        {"header_row": -1},
        {"auth": {"method": "anonymous"}},  # with credentials too
        {"endpoint": "http://example.com"},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError) as caught:
            SheetsSinkConfig.model_validate(sink_config | wrong)
        assert sink_config["credentials"][:40] not in str(caught.value)
    anonymous = {k: v for k, v in sink_config.items() if k != "credentials"} | {
        "auth": {"method": "anonymous"}
    }
    assert SheetsSinkConfig.model_validate(anonymous).effective_auth.method == "anonymous"
    with pytest.raises(ValidationError, match="only for a sandbox"):
        SheetsSinkConfig.model_validate(anonymous | {"endpoint": "https://sheets.example.com"})


def test_the_sink_is_registered():
    (entry,) = [e for e in entry_points(group="syncd.sinks") if e.name == "sheets"]
    assert entry.load() is SheetsSink


def test_the_sample_is_a_valid_sink_and_mapping():
    import yaml

    import connectors.sheets

    sample = yaml.safe_load(
        Path(connectors.sheets.__file__).with_name("sink-sample.yaml").read_text()
    )
    (config,) = sample["sinks"].values()
    parsed = SheetsSinkConfig.model_validate(config | {"credentials": "{}"})
    assert parsed.spreadsheet == "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    (mapping,) = sample["push"].values()
    assert RowTarget.model_validate(mapping).row_key == "booking-5d"
