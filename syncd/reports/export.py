"""``syncd export``: every stored measurement as CSV, JSON or an Excel workbook, for
spreadsheets and BI tools.

One row per measurement (its current revision), KRs in config order, each by window end::

    kr, objective, team, window_start, window_end, value, collected_at, source,
    query_fingerprint, run_id, revision, note, earlier_values

``earlier_values`` are the values the window had before its restatements, oldest first (empty
for revision 1): in CSV separated by ``;``, in JSON a list. Retired KRs (whose objective has
left the config) are exported too: the store remembers them. Timestamps are ISO 8601 in UTC
with their offset (``2026-10-02T00:00:00+00:00``). CSV has a header row; an absent ``run_id``
or ``note`` is an empty cell. JSON is one array of objects
with those keys, absent values as ``null``. Rows are streamed: nothing holds the whole export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from syncd import jsonout
from syncd.config.models import Config, KeyResult, Objective
from syncd.lookup import require_krs
from syncd.store.abc import MeasurementStore
from syncd.store.records import CheckIn, Measurement
from syncd.windows import local_midnight

FIELDS = (
    "kr",
    "objective",
    "team",
    "window_start",
    "window_end",
    "value",
    "collected_at",
    "source",
    "query_fingerprint",
    "run_id",
    "revision",
    "note",
    "earlier_values",
)


def export_measurements(
    store: MeasurementStore,
    config: Config,
    fmt: Literal["csv", "json"],
    *,
    kr_ids: Sequence[str] | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    out: TextIO,
) -> int:
    """Write the measurements of ``kr_ids`` (default: every configured KR) to ``out``.

    ``since``/``until`` bound the window end, both inclusive. A ``date`` is read in the config's
    time zone: ``since`` from that day's start, ``until`` through that day's end. Returns the
    number of measurements written. For CSV, open a file ``out`` with ``newline=""`` (the csv
    module writes RFC 4180 CRLF line ends itself). Raises
    :class:`~syncd.errors.ConfigError` for a KR id that is not configured.
    """
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r} (use csv or json)")
    chosen = _chosen(config, kr_ids)
    low = _instant(since, config.tz, end_of_day=False)
    high = _instant(until, config.tz, end_of_day=True)
    rows = _rows(store, chosen, since=low, until=high)
    return _write_csv(rows, out) if fmt == "csv" else _write_json(rows, out)


def _chosen(config: Config, kr_ids: Sequence[str] | None) -> list[tuple[Objective, KeyResult]]:
    every = config.key_results()
    if kr_ids is None:
        return every
    require_krs(config, kr_ids)
    by_id = {kr.id: (objective, kr) for objective, kr in every}
    return [by_id[kr_id] for kr_id in dict.fromkeys(kr_ids)]


def _instant(moment: datetime | date | None, tz: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"{moment} has no time zone")
        return moment
    return local_midnight(moment + timedelta(days=1) if end_of_day else moment, tz)


def _rows(
    store: MeasurementStore,
    chosen: Sequence[tuple[Objective, KeyResult]],
    *,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[dict[str, Any]]:
    for objective, kr in chosen:
        revisions = store.revisions_of(kr.id)
        for measurement in store.measurements(kr.id, since=since, until=until):
            earlier = [r.value for r in revisions.get(measurement.id or 0, [])]
            yield measurement_row(objective, measurement, earlier)


def measurement_row(
    objective: Objective, m: Measurement, earlier_values: Sequence[float] = ()
) -> dict[str, Any]:
    """One measurement as a flat record (the export's columns; timestamps ISO 8601)."""
    return {
        "kr": m.key_result_id,
        "objective": objective.id,
        "team": objective.team,
        "window_start": m.window_start.isoformat(),
        "window_end": m.window_end.isoformat(),
        "value": m.value,
        "collected_at": m.collected_at.isoformat(),
        "source": m.source,
        "query_fingerprint": m.query_fingerprint,
        "run_id": m.run_id,
        "revision": m.revision,
        "note": m.note,
        "earlier_values": list(earlier_values),
    }


def export_xlsx(
    store: MeasurementStore,
    config: Config,
    path: Path,
    *,
    kr_ids: Sequence[str] | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
) -> int:
    """Write the measurements to an Excel workbook at ``path`` (sheet ``measurements``, the
    export's columns); returns how many. Times are real Excel date-times in UTC (Excel has no
    time zones: the header says so); earlier values are joined by ``;``."""
    from openpyxl import Workbook  # only an xlsx export pays for loading it

    chosen = _chosen(config, kr_ids)
    low = _instant(since, config.tz, end_of_day=False)
    high = _instant(until, config.tz, end_of_day=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("measurements")
    sheet.append([f"{name} (UTC)" if name in _TIMES else name for name in FIELDS])
    count = 0
    for row in _rows(store, chosen, since=low, until=high):
        cells = []
        for name in FIELDS:
            cell = row[name]
            if name in _TIMES:
                cell = datetime.fromisoformat(cell).astimezone(UTC).replace(tzinfo=None)
            elif name == "earlier_values":
                cell = ";".join(repr(v) for v in cell)
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(path)
    return count


_TIMES = frozenset({"window_start", "window_end", "collected_at"})


def checkin_row(checkin: CheckIn) -> dict[str, Any]:
    """One check-in as a flat record (``syncd history --format json``)."""
    return {
        "at": checkin.at.isoformat(),
        "recorded_at": checkin.recorded_at.isoformat(),
        "value": checkin.value,
        "confidence": checkin.confidence,
        "note": checkin.note,
    }


def _write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row | {"earlier_values": ";".join(repr(v) for v in row["earlier_values"])})
        count += 1
    return count


def _write_json(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(jsonout.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
