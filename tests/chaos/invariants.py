"""What every chaos scenario checks, read from the store, the logs and the outputs."""

from __future__ import annotations

import base64
import math
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from syncd.store import Store


def measured(store_url: str, kr: str) -> list[tuple[datetime, float, int]]:
    """(window end, value, revision) of each stored measurement of ``kr``."""
    with Store.open(store_url, upgrade=False) as store:
        return sorted((m.window_end, m.value, m.revision) for m in store.measurements(kr))


def missing_and_duplicated(
    window_ends: list[datetime], step: timedelta
) -> tuple[list[datetime], list[datetime]]:
    """The slots between the first and last window end that have no measurement, and those
    with more than one."""
    if not window_ends:
        return [], []
    first, last = min(window_ends), max(window_ends)
    every = [first + i * step for i in range(int((last - first) / step) + 1)]
    seen = set(window_ends)
    duplicated = sorted({end for end in window_ends if window_ends.count(end) > 1})
    return [slot for slot in every if slot not in seen], duplicated


def impossible(values: Iterable[float], *, count: bool) -> list[float]:
    """Values no upstream answer may become: not finite, or (for counts) negative or
    fractional."""
    return [v for v in values if not math.isfinite(v) or (count and (v < 0 or v != int(v)))]


def open_runs(store_url: str) -> int:
    with Store.open(store_url, upgrade=False) as store:
        return sum(run.finished_at is None for run in store.runs(limit=1000))


def tracebacks(*texts: str) -> int:
    return sum(t.count("Traceback (most recent call last)") for t in texts)


def secret_forms(secret: str, email: str | None = None) -> list[str]:
    """The secret as text, and as it travels in a basic-auth header."""
    forms = [secret]
    if email:
        forms.append(base64.b64encode(f"{email}/token:{secret}".encode()).decode())
    return forms


def store_text(store_url: str) -> str:
    """Every row of every table of the store as text (where a leaked secret would sit)."""
    if store_url.startswith("sqlite"):
        path = store_url.split("///", 1)[1]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return "\n".join(connection.iterdump())
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            return "\n".join(
                repr(row)
                for table in list(tables)
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


def leaks(secrets: list[str], *texts: str) -> list[str]:
    """The secrets found in any of ``texts``."""
    return [s for s in secrets if any(s in t for t in texts)]


def ready(port: int) -> int | None:
    """The status of ``/readyz`` (None when nothing answers)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def slot_state(store_url: str, job: str) -> dict[datetime, tuple[int, str | None]]:
    """Each claimed slot of ``job``: attempts and last outcome."""
    with Store.open(store_url, upgrade=False) as store:
        return store.slot_attempts(job)


def settled_since(store_url: str, job: str, moment: datetime, step: timedelta) -> bool:
    """Whether a slot after ``moment`` is measured, and every slot up to it was claimed and
    ended ``ok``."""
    state = slot_state(store_url, job)
    if not state or max(state) < moment + step:
        return False
    gaps, _ = missing_and_duplicated(list(state), step)  # a slot skipped, not yet caught up
    return not gaps and all(outcome == "ok" for _, outcome in state.values())


def events_named(events: Iterable[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [e for e in events if e.get("event") == name]


def listed(slots: list[datetime]) -> str:
    """`` (12:00:05, …)`` for a non-empty list of slots, else nothing."""
    return f" ({', '.join(s.strftime('%H:%M:%S') for s in slots)})" if slots else ""
