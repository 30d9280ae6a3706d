"""What callers hand the store, and what a write reports back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
class WriteResult:
    """How many items of a write were new rows, changed values, or the same value again."""

    inserted: int
    updated: int
    unchanged: int
