"""Small builders for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.config.models import Band, Config, KeyResult, Objective
from syncd.store import MeasurementIn

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)


def kr(kr_id: str, **overrides) -> KeyResult:
    fields = {"id": kr_id, "title": f"KR {kr_id}", "focus": "user", "baseline": 0.0, "target": 10.0}
    fields.update(overrides)
    return KeyResult(**fields)


def objective(objective_id: str, *key_results: KeyResult, **overrides) -> Objective:
    fields = {
        "id": objective_id,
        "title": f"Objective {objective_id}",
        "team": "growth",
        "cycle": "2026-Q4",
        "key_results": list(key_results),
    }
    fields.update(overrides)
    return Objective(**fields)


def config(*objectives: Objective) -> Config:
    return Config(objectives=list(objectives))


def basic_config() -> Config:
    """Objective ``o1`` with KRs ``kr-a`` (0 → 10) and ``kr-b`` (maintain ≥ 3)."""
    return config(
        objective(
            "o1",
            kr("kr-a", unit="percent", metric="booking_rate"),
            kr("kr-b", focus="business", baseline=None, target=None, maintain=Band(at_least=3)),
        )
    )


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def item(
    kr_id: str,
    value: float,
    end_day: int,
    *,
    start_day: int = 0,
    collected: datetime | None = None,
    run_id: str | None = "run-1",
    source: str = "web",
    fingerprint: str = "fp1",
    note: str | None = None,
) -> MeasurementIn:
    """A measurement of window [day(start_day), day(end_day))."""
    return MeasurementIn(
        key_result_id=kr_id,
        value=value,
        window_start=day(start_day),
        window_end=day(end_day),
        collected_at=collected or day(end_day) + timedelta(hours=1),
        source=source,
        query_fingerprint=fingerprint,
        run_id=run_id,
        note=note,
    )
