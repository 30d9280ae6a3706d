"""Hand-made progress for the pure tests: every field is given, nothing is computed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncd.progress import KRProgress, ObjectiveProgress
from syncd.store import SyncRun


def kr(kr_id: str, status: str, **fields: Any) -> KRProgress:
    values: dict[str, Any] = {
        "id": kr_id,
        "objective": "loyal",
        "title": f"KR {kr_id}",
        "team": "growth",
        "cycle": "2026-Q4",
        "commitment": "committed",
        "unit": "points",
        "direction": "increase",
        "value": 60.0,
        "baseline": 50.0,
        "target": 70.0,
        "attainment": 0.5,
        "score": 0.5,
        "expected": 0.5,
        "status": status,
        "forecast": 70.0,
        "forecast_score": 1.0,
        "as_of": datetime(2026, 11, 15, tzinfo=UTC),
        "collected_at": datetime(2026, 11, 15, 6, tzinfo=UTC),
        "weight": 1.0,
        "in_band": None,
    }
    values.update(fields)
    return KRProgress(**values)


def objective(*krs: KRProgress, **fields: Any) -> ObjectiveProgress:
    values: dict[str, Any] = {
        "id": "loyal",
        "title": "Customers love us",
        "team": "growth",
        "cycle": "2026-Q4",
        "commitment": "committed",
        "level": "team",
        "score": 0.5,
        "key_results": krs,
        "status": "on_track",
    }
    values.update(fields)
    return ObjectiveProgress(**values)


def run(source: str, outcome: str | None, started: datetime, error: str | None = None) -> SyncRun:
    return SyncRun(
        id=f"{source}-{started:%H%M}",
        source=source,
        trigger="schedule",
        started_at=started,
        finished_at=started if outcome is not None else None,
        outcome=outcome,
        error=error,
    )
