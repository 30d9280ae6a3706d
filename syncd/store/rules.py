"""What the store takes: the checks every backend applies to an item before writing it.

The SQL backend also meets refusals of the database itself (an unknown key result, a value a
column cannot hold); these plain checks come first so SQLite, PostgreSQL and the in-memory
store refuse the same items with the same reasons.
"""

from __future__ import annotations

import math
from datetime import datetime
from numbers import Real

from syncd.store.records import MeasurementIn

# Column widths (see syncd.store.tables.Measurement): SQLite would store longer text, PostgreSQL
# refuses it; checking here refuses the same items on every backend.
_TEXT_LIMITS = {"key_result_id": 100, "source": 200, "query_fingerprint": 64, "run_id": 32}


def judge(item: MeasurementIn) -> str | None:
    """Why the store cannot take ``item`` (one line), or None when it looks storable."""
    value = item.value
    if isinstance(value, bool) or not isinstance(value, Real):
        return f"value {value!r} is not a number"
    if not math.isfinite(value):
        # NaN never equals itself: it would be stored as a new revision on every sync.
        return f"value {value} is not a finite number"
    for name in ("window_start", "window_end", "collected_at"):
        moment = getattr(item, name)
        if not isinstance(moment, datetime):
            return f"{name} {moment!r} is not a datetime"
        if moment.utcoffset() is None:
            return f"{name} {moment.isoformat()} is a datetime without a time zone"
    if item.window_start > item.window_end:
        return (
            f"window starts ({item.window_start.isoformat()}) after it ends "
            f"({item.window_end.isoformat()})"
        )
    for name in ("key_result_id", "source", "query_fingerprint", "run_id", "note"):
        text = getattr(item, name)
        if text is None and name in ("run_id", "note"):
            continue
        if not isinstance(text, str):
            return f"{name} {text!r} is not text"
        if "\x00" in text:
            return f"{name} contains a NUL character"
        if (limit := _TEXT_LIMITS.get(name)) is not None and len(text) > limit:
            return f"{name} is {len(text)} characters long (at most {limit})"
    if not item.key_result_id:
        return "key_result_id is empty"
    return None


def unknown_key_result(item: MeasurementIn) -> str:
    """The reason an item of a key result the store does not know is refused."""
    return f"key result {item.key_result_id!r} is not defined in the store"
