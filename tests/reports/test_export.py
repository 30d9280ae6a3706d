"""``export_measurements``: CSV and JSON of stored measurements, read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from syncd.config.models import Config
from syncd.errors import ConfigError
from syncd.reports import export_measurements
from syncd.store import MeasurementIn

CONFIG = Config.model_validate(
    {
        "timezone": "Europe/Zurich",
        "cycles": {"2026-Q4": {"start": date(2026, 10, 1), "end": date(2026, 12, 31)}},
        "objectives": [
            {
                "id": "onboarding",
                "title": "Onboarding",
                "team": "growth",
                "cycle": "2026-Q4",
                "key_results": [
                    {
                        "id": "booking",
                        "title": "Booking",
                        "focus": "user",
                        "unit": "percent",
                        "baseline": 0.4,
                        "target": 0.7,
                    },
                    {"id": "nps", "title": "NPS", "focus": "user", "baseline": 50, "target": 70},
                ],
            },
            {
                "id": "support",
                "title": "Support",
                "team": "care",
                "cycle": "2026-Q4",
                "key_results": [
                    {
                        "id": "backlog",
                        "title": "Backlog",
                        "focus": "business",
                        "baseline": 150,
                        "target": 100,
                    },
                ],
            },
        ],
    }
)


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def m(kr, value, start, end, collected, *, run_id="r1", note=None, source="web"):
    return MeasurementIn(
        key_result_id=kr,
        value=value,
        window_start=start,
        window_end=end,
        collected_at=collected,
        source=source,
        query_fingerprint="abc123",
        run_id=run_id,
        note=note,
    )


@pytest.fixture
def filled(store):
    store.sync_definitions(CONFIG)
    store.record_measurements(
        [
            m("booking", 0.25, utc(10, 1), utc(10, 2), utc(10, 2, 1)),
            m("booking", 0.5, utc(10, 1), utc(10, 3), utc(10, 3, 1)),
            m(
                "nps",
                61.0,
                utc(10, 5),
                utc(10, 5),
                utc(10, 5, 9),
                run_id=None,
                note="survey; n=120",
                source="manual",
            ),
            m("backlog", 120.0, utc(10, 31, 23), utc(10, 31, 23), utc(11, 1, 6)),
        ]
    )
    # A restatement of booking's second window: revision 2 with the new value and run.
    store.record_measurements(
        [m("booking", 0.75, utc(10, 1), utc(10, 3), utc(10, 4, 1), run_id="r2")]
    )
    return store


# Written by hand: what a spreadsheet should read back, KRs in config order.
ROWS = [
    {"kr": "booking", "objective": "onboarding", "team": "growth",
     "window_start": "2026-10-01T00:00:00+00:00", "window_end": "2026-10-02T00:00:00+00:00",
     "value": "0.25", "collected_at": "2026-10-02T01:00:00+00:00", "source": "web",
     "query_fingerprint": "abc123", "run_id": "r1", "revision": "1", "note": "",
     "earlier_values": ""},
    {"kr": "booking", "objective": "onboarding", "team": "growth",
     "window_start": "2026-10-01T00:00:00+00:00", "window_end": "2026-10-03T00:00:00+00:00",
     "value": "0.75", "collected_at": "2026-10-04T01:00:00+00:00", "source": "web",
     "query_fingerprint": "abc123", "run_id": "r2", "revision": "2", "note": "",
     "earlier_values": "0.5"},
    {"kr": "nps", "objective": "onboarding", "team": "growth",
     "window_start": "2026-10-05T00:00:00+00:00", "window_end": "2026-10-05T00:00:00+00:00",
     "value": "61.0", "collected_at": "2026-10-05T09:00:00+00:00", "source": "manual",
     "query_fingerprint": "abc123", "run_id": "", "revision": "1", "note": "survey; n=120",
     "earlier_values": ""},
    {"kr": "backlog", "objective": "support", "team": "care",
     "window_start": "2026-10-31T23:00:00+00:00", "window_end": "2026-10-31T23:00:00+00:00",
     "value": "120.0", "collected_at": "2026-11-01T06:00:00+00:00", "source": "web",
     "query_fingerprint": "abc123", "run_id": "r1", "revision": "1", "note": "",
     "earlier_values": ""},
]  # fmt: skip


def test_csv_reads_back_with_a_header(filled):
    out = io.StringIO(newline="")
    assert export_measurements(filled, CONFIG, "csv", out=out) == 4
    text = out.getvalue()
    assert text.splitlines()[0] == (
        "kr,objective,team,window_start,window_end,value,collected_at,source,"
        "query_fingerprint,run_id,revision,note,earlier_values"
    )
    assert list(csv.DictReader(io.StringIO(text, newline=""))) == ROWS


def test_json_round_trips(filled):
    out = io.StringIO()
    assert export_measurements(filled, CONFIG, "json", out=out) == 4
    expected = [
        row
        | {
            "value": float(row["value"]),
            "revision": int(row["revision"]),
            "run_id": row["run_id"] or None,
            "note": row["note"] or None,
            "earlier_values": [float(v) for v in row["earlier_values"].split(";") if v],
        }
        for row in ROWS
    ]
    assert json.loads(out.getvalue()) == expected


def test_filters_by_kr_and_local_dates(filled):
    out = io.StringIO(newline="")
    # Zurich dates: Nov 1 starts at Oct 31 23:00 UTC, so backlog's slot is on Nov 1 there.
    count = export_measurements(
        filled, CONFIG, "csv", kr_ids=["backlog", "booking"], since=date(2026, 10, 3), out=out
    )
    assert count == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [ROWS[3], ROWS[1]]

    out = io.StringIO()
    # until a date is through that local day: Oct 2 ends at Oct 2 22:00 UTC.
    assert export_measurements(filled, CONFIG, "json", until=date(2026, 10, 2), out=out) == 1
    assert [row["window_end"] for row in json.loads(out.getvalue())] == [ROWS[0]["window_end"]]

    out = io.StringIO()
    since = datetime(2026, 10, 3, tzinfo=UTC)
    until = datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert export_measurements(filled, CONFIG, "json", since=since, until=until, out=out) == 3


def test_empty_exports_are_still_valid(filled):
    out = io.StringIO()
    assert export_measurements(filled, CONFIG, "json", since=date(2027, 1, 1), out=out) == 0
    assert json.loads(out.getvalue()) == []
    out = io.StringIO(newline="")
    assert export_measurements(filled, CONFIG, "csv", since=date(2027, 1, 1), out=out) == 0
    assert list(csv.DictReader(io.StringIO(out.getvalue(), newline=""))) == []


def test_unknown_kr_is_a_config_error(filled):
    with pytest.raises(ConfigError, match="no key result 'bookings'") as caught:
        export_measurements(filled, CONFIG, "csv", kr_ids=["bookings"], out=io.StringIO())
    assert caught.value.issues[0].hint == "did you mean 'booking'?"


def test_xlsx_holds_the_same_rows_with_real_date_times(filled, tmp_path):
    from openpyxl import load_workbook

    from syncd.reports.export import export_xlsx

    path = tmp_path / "measurements.xlsx"
    assert export_xlsx(filled, CONFIG, path) == 4
    sheet = load_workbook(path, read_only=True)["measurements"]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == [
        "kr", "objective", "team", "window_start (UTC)", "window_end (UTC)", "value",
        "collected_at (UTC)", "source", "query_fingerprint", "run_id", "revision", "note",
        "earlier_values",
    ]  # fmt: skip
    booking = table[2]
    assert booking[:3] == ["booking", "onboarding", "growth"]
    assert booking[4] == datetime(2026, 10, 3)  # a real date-time cell, UTC
    assert (booking[5], booking[10], booking[12]) == (0.75, 2, "0.5")
    assert table[3][11] == "survey; n=120"
    assert [row[0] for row in table[1:]] == ["booking", "booking", "nps", "backlog"]
