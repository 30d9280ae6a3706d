"""The JSON shape of a KR and of an objective: one for ``syncd status --format json`` and for
``/api/v1``, so a script reads the same fields from either.

Times are ISO 8601 in UTC; values are in the KR's unit as stored. A KR document::

    id, objective, title, team, cycle, commitment, owner, unit, direction, value, baseline,
    target, band {at_least, at_most} | null, in_band, attainment, score, expected, status,
    confidence, note, checked_in_at, forecast, forecast_score, as_of, collected_at, source,
    source_types, points

``status`` is computed from the data; ``confidence`` and ``note`` are the owner's latest
check-in (``null`` without one). An objective document::

    id, title, team, cycle, commitment, level, owner, parent, score, own_score, expected, status,
    key_results [ids], children [ids]

``score`` folds in the aligned children's scores; ``own_score`` is the objective's KRs alone;
``status`` judges ``score`` against ``expected`` and the commitment (aspirational: 0.6 is
success).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from syncd.progress import KRProgress, ObjectiveProgress


def iso(moment: datetime | None) -> str | None:
    """``moment`` in UTC as ISO 8601, or ``None``."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def source_types(source: str | None, types: Mapping[str, str]) -> list[str]:
    """The connector type of each source in ``web`` or ``web+sales`` (``unknown`` for a
    source no longer configured; ``manual`` check-ins are ``manual``)."""
    if not source:
        return []
    fallback = {"manual": "manual"}
    return [types.get(name, fallback.get(name, "unknown")) for name in source.split("+")]


def key_result_document(kr: KRProgress, types: Mapping[str, str]) -> dict[str, Any]:
    """One KR's progress, check-in, freshness and source; ``types`` maps source name to type."""
    band = kr.band
    return {
        "id": kr.id,
        "objective": kr.objective,
        "title": kr.title,
        "team": kr.team,
        "cycle": kr.cycle,
        "commitment": kr.commitment,
        "owner": kr.owner,
        "unit": kr.unit,
        "direction": kr.direction,
        "value": kr.value,
        "baseline": kr.baseline,
        "target": kr.target,
        "band": None if band is None else {"at_least": band.at_least, "at_most": band.at_most},
        "in_band": kr.in_band,
        "attainment": kr.attainment,
        "score": kr.score,
        "expected": kr.expected,
        "status": kr.status,
        "confidence": kr.confidence,
        "note": kr.note,
        "checked_in_at": iso(kr.checked_in_at),
        "forecast": kr.forecast,
        "forecast_score": kr.forecast_score,
        "as_of": iso(kr.as_of),
        "collected_at": iso(kr.collected_at),
        "source": kr.source,
        "source_types": source_types(kr.source, types),
        "points": kr.points,
    }


def objective_document(objective: ObjectiveProgress) -> dict[str, Any]:
    """One objective's rolled-up score and status, with its KRs' ids."""
    return {
        "id": objective.id,
        "title": objective.title,
        "team": objective.team,
        "cycle": objective.cycle,
        "commitment": objective.commitment,
        "level": objective.level,
        "owner": objective.owner,
        "parent": objective.parent,
        "score": objective.score,
        "own_score": objective.own_score,
        "expected": objective.expected,
        "status": objective.status,
        "key_results": [kr.id for kr in objective.key_results],
        "children": list(objective.children),
    }
