"""Resolving pipeline and stage labels (or ids) to the ids HubSpot filters on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.hubspot.config import PIPELINE_PROPERTIES, HubSpotQuery
from connectors.hubspot.search import Resolved
from syncd.errors import QueryError


@dataclass(frozen=True)
class PipelineInfo:
    """A pipeline and its stages as ``(id, label)`` pairs."""

    id: str
    label: str
    stages: tuple[tuple[str, str], ...]


def _find(name: str, choices: Sequence[tuple[str, str]]) -> list[str]:
    """Ids whose id equals ``name``, else whose label equals it case-insensitively."""
    by_id = [cid for cid, _ in choices if cid == name]
    if by_id:
        return by_id
    return [cid for cid, label in choices if label.casefold() == name.casefold()]


def resolve(query: HubSpotQuery, pipelines: Sequence[PipelineInfo], source: str) -> Resolved:
    """Pipeline and stage ids of ``query``; QueryError when a name is unknown or ambiguous."""
    if query.pipeline is None and not query.stages:
        return Resolved()
    pipeline_property, stage_property = PIPELINE_PROPERTIES[query.object]
    chosen = list(pipelines)
    pipeline_id = None
    if query.pipeline is not None:
        ids = _find(query.pipeline, [(p.id, p.label) for p in pipelines])
        known = ", ".join(f"{p.label!r} ({p.id})" for p in pipelines) or "none"
        if not ids:
            raise QueryError(
                f"{source}: no {query.object} pipeline {query.pipeline!r}; known: {known}",
                source=source,
            )
        if len(ids) > 1:
            raise QueryError(
                f"{source}: {len(ids)} {query.object} pipelines are labelled "
                f"{query.pipeline!r}; use the id ({', '.join(ids)})",
                source=source,
            )
        pipeline_id = ids[0]
        chosen = [p for p in pipelines if p.id == pipeline_id]
    stage_ids: list[str] = []
    for name in query.stages:
        hits = [
            (pipeline, stage_id) for pipeline in chosen for stage_id in _find(name, pipeline.stages)
        ]
        if not hits:
            where = (
                f"pipeline {chosen[0].label!r}" if pipeline_id else f"any {query.object} pipeline"
            )
            raise QueryError(f"{source}: no stage {name!r} in {where}", source=source)
        if len(hits) > 1:
            places = ", ".join(f"{p.label!r} ({sid})" for p, sid in hits)
            raise QueryError(
                f"{source}: stage {name!r} exists in several pipelines ({places}); "
                "set 'pipeline' or use the stage id",
                source=source,
            )
        stage_ids.append(hits[0][1])
    return Resolved(
        pipeline_property=pipeline_property,
        pipeline_id=pipeline_id,
        stage_property=stage_property,
        stage_ids=tuple(dict.fromkeys(stage_ids)),
    )
