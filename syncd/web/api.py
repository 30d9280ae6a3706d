"""The JSON documents of ``/api/v1/``: plain dicts of the dashboard's data (shapes in
:mod:`syncd.web`). Times are ISO 8601 in UTC; values are in the KR's unit as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncd.documents import key_result_document, objective_document
from syncd.sinks.health import sink_document
from syncd.web.data import DashboardData, KRView, SourceHealth


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def objectives_document(data: DashboardData) -> dict[str, Any]:
    """``GET /api/v1/objectives``."""
    return {
        "generated_at": _iso(data.now),
        "objectives": [objective_document(o) for o in data.objectives],
    }


def key_results_document(data: DashboardData) -> dict[str, Any]:
    """``GET /api/v1/key-results``."""
    return {
        "generated_at": _iso(data.now),
        "key_results": [
            key_result_document(view.progress, data.source_types)
            for view in data.key_results.values()
        ],
    }


def history_document(view: KRView) -> dict[str, Any]:
    """``GET /api/v1/key-results/<id>/history``."""
    kr = view.progress
    return {
        "id": kr.id,
        "unit": kr.unit,
        "baseline": kr.baseline,
        "target": kr.target,
        "cycle": {"id": kr.cycle, "start": _iso(view.cycle_start), "end": _iso(view.cycle_end)},
        "points": [
            {
                "window_start": _iso(point.window_start),
                "window_end": _iso(point.window_end),
                "value": point.value,
                "collected_at": _iso(point.collected_at),
                "source": point.source,
                "revision": point.revision,
            }
            for point in view.history
        ],
        "pace": [{"at": _iso(point.at), "value": point.value} for point in view.pace],
        "forecast": kr.forecast,
    }


def sources_document(data: DashboardData) -> dict[str, Any]:
    """``GET /api/v1/sources``."""
    return {
        "generated_at": _iso(data.now),
        "sources": [_source(s) for s in data.sources],
        "sinks": [sink_document(s) for s in data.sinks],
    }


def _source(source: SourceHealth) -> dict[str, Any]:
    return {
        "name": source.name,
        "type": source.type,
        "failing": source.failing,
        "last_run_at": _iso(source.last_run_at),
        "last_outcome": source.last_outcome,
        "last_success_at": _iso(source.last_success_at),
        "last_error_at": _iso(source.last_error_at),
        "last_error": source.last_error,
    }
