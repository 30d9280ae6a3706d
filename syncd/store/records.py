"""What callers hand the store, and what a write reports back."""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_TIMES = ("window_start", "window_end", "collected_at")


@dataclass(frozen=True)
class MeasurementIn:
    """One KR value for one window, as the sync engine hands it to the store.

    All datetimes are tz-aware; ``(key_result_id, window_start, window_end)`` is the natural key,
    so re-reading a window updates the stored row rather than adding one.
    """

    key_result_id: str
    value: float
    window_start: datetime
    window_end: datetime
    collected_at: datetime
    source: str
    query_fingerprint: str
    run_id: str | None
    note: str | None = None


@dataclass(frozen=True)
class Refusal:
    """An item the store did not write, and why (one line, for people)."""

    item: MeasurementIn
    reason: str


@dataclass(frozen=True)
class WriteResult:
    """How many items of a write were new rows, changed values, or the same value again; and
    the items the store refused, each with its reason (the others were written)."""

    inserted: int
    updated: int
    unchanged: int
    refused: tuple[Refusal, ...] = ()

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.refused + other.refused,
        )


def to_json(items: list[MeasurementIn] | tuple[MeasurementIn, ...] | MeasurementIn) -> str:
    """Items (or one item) as JSON: datetimes in ISO 8601, non-finite values as text
    (``"nan"``, ``"inf"``) so the document stays standard JSON."""
    if isinstance(items, MeasurementIn):
        return json.dumps(_plain(items), default=str)
    return json.dumps([_plain(item) for item in items], default=str)


def from_json(text: str) -> list[MeasurementIn]:
    """The items :func:`to_json` wrote (a single item gives a one-item list)."""
    rows = json.loads(text)
    return [_item(row) for row in (rows if isinstance(rows, list) else [rows])]


def _plain(item: MeasurementIn) -> dict[str, Any]:
    row = dict(item.__dict__)
    for name in _TIMES:
        if isinstance(row[name], datetime):
            row[name] = row[name].isoformat()
    value = row["value"]
    if isinstance(value, float) and not math.isfinite(value):
        row["value"] = str(value)
    return row


def _item(row: dict[str, Any]) -> MeasurementIn:
    for name in _TIMES:
        row[name] = datetime.fromisoformat(row[name])
    if isinstance(row["value"], str):
        with contextlib.suppress(ValueError):  # not a number: the store will say so
            row["value"] = float(row["value"])
    return MeasurementIn(**row)
