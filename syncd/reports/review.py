"""The end-of-cycle review (``syncd report --cycle ID``): scores, too-safe targets, the bets.

Scores come from the progress engine as of ``now`` (the cycle's end once it is over), so the
review agrees with ``syncd status``. Committed and aspirational objectives are kept apart:
100 % is expected of the first, 60-70 % counts as success for the second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from syncd.config import LoadedConfig
from syncd.config.models import Config, KeyResult
from syncd.cycles import cycle_bounds
from syncd.errors import ConfigError, ConfigIssue
from syncd.overview import build_overview
from syncd.progress import ObjectiveProgress, Point, expected
from syncd.reports.model import (
    Commitment,
    CommitmentSection,
    EpicState,
    InitiativeReview,
    Review,
)
from syncd.reports.movement import movement
from syncd.reports.render import review_html, review_json_text, review_markdown
from syncd.store.abc import MeasurementStore
from syncd.windows import local_midnight

TOO_SAFE_SHARE = 0.8
"""Aspirational targets are "too safe" when at least this share of their KRs reach 1.0."""

_TOLERANCE = 1e-9


def build_review(
    loaded: LoadedConfig,
    store: MeasurementStore,
    cycle_id: str,
    *,
    now: datetime,
    epics: Mapping[str, EpicState] | None = None,
) -> Review:
    """Review cycle ``cycle_id`` from the measurements stored up to ``now`` (tz-aware);
    ``epics`` are the initiatives' Jira epics by initiative id (``syncd.reports.epics``).

    Raises :class:`~syncd.errors.ConfigError` when the cycle is not configured.
    """
    config = loaded.config
    if cycle_id not in config.cycles:
        known = ", ".join(sorted(config.cycles)) or "none"
        raise ConfigError(
            ConfigIssue(f"no cycle {cycle_id!r} in the configuration", hint=f"cycles: {known}")
        )
    cycle = config.cycles[cycle_id]
    tz = config.tz
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
    objectives = [o for o in build_overview(loaded, store, now) if o.cycle == cycle_id]
    committed = _section("committed", objectives)
    aspirational = _section("aspirational", objectives)
    share = aspirational.share_at_ceiling
    return Review(
        cycle=cycle_id,
        start=cycle.start,
        end=cycle.end,
        timezone=config.timezone,
        as_of=now,
        final=now.astimezone(UTC) >= end,
        elapsed=expected(now, cycle, tz),
        committed=committed,
        aspirational=aspirational,
        targets_too_safe=share is not None and share >= TOO_SAFE_SHARE - _TOLERANCE,
        too_safe_share=TOO_SAFE_SHARE,
        initiatives=_initiatives(
            config, store, cycle_id, since=start, until=min(end, now), epics=epics or {}
        ),
    )


def render_review(review: Review, fmt: Literal["md", "html", "json"]) -> str:
    """The review as Markdown, a self-contained HTML page, or JSON (shape in ``render``)."""
    if fmt == "md":
        return review_markdown(review)
    if fmt == "html":
        return review_html(review)
    if fmt == "json":
        return review_json_text(review)
    raise ValueError(f"unknown review format {fmt!r} (use md, html or json)")


def _section(commitment: Commitment, objectives: Sequence[ObjectiveProgress]) -> CommitmentSection:
    chosen = tuple(o for o in objectives if o.commitment == commitment)
    scores = [o.score for o in chosen if o.score is not None]
    at_ceiling = sum(
        1
        for objective in chosen
        for kr in objective.key_results
        if kr.score is not None and (kr.score >= 1 or math.isclose(kr.score, 1, abs_tol=_TOLERANCE))
    )
    return CommitmentSection(
        commitment=commitment,
        objectives=chosen,
        score=sum(scores) / len(scores) if scores else None,
        at_ceiling=at_ceiling,
    )


def _initiatives(
    config: Config,
    store: MeasurementStore,
    cycle_id: str,
    *,
    since: datetime,
    until: datetime,
    epics: Mapping[str, EpicState],
) -> tuple[InitiativeReview, ...]:
    """Initiatives that move at least one KR of the cycle, with those KRs' movement."""
    in_cycle: dict[str, KeyResult] = {
        kr.id: kr for objective, kr in config.key_results() if objective.cycle == cycle_id
    }
    points: dict[str, list[Point]] = {}
    reviews = []
    for initiative in config.initiatives:
        moves = [move for move in initiative.moves if move.key_result in in_cycle]
        if not moves:
            continue
        start = local_midnight(initiative.start, config.tz)
        measured = []
        for move in moves:
            if move.key_result not in points:
                points[move.key_result] = [
                    Point(at=m.window_end, value=m.value, collected_at=m.collected_at)
                    for m in store.measurements(move.key_result, since=since, until=until)
                ]
            kr = in_cycle[move.key_result]
            measured.append(movement(move, kr, points[move.key_result], start))
        reviews.append(
            InitiativeReview(
                id=initiative.id,
                title=initiative.title,
                team=initiative.team,
                start=initiative.start,
                hypothesis=initiative.hypothesis,
                moves=tuple(measured),
                epic=epics.get(initiative.id),
            )
        )
    return tuple(reviews)
