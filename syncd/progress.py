"""The progress engine (DESIGN §2): attainment, pace, status, forecast and roll-up.

Pure functions over frozen dataclasses; no I/O. Times are tz-aware; durations are measured in
real elapsed seconds (UTC), so a cycle containing a DST change has one hour more or less.

A KR's *points* are its measurements reduced to what progress needs. The "cycle's points" are
those whose slot (``at``, the window end) lies within the cycle: from its first day 00:00 to the
day after its last day 00:00, local time, both included. Only they count.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from syncd.config.models import Band, Cycle, KeyResult, Objective, Pacing, ProgressSettings
from syncd.cycles import cycle_bounds
from syncd.schedule import parse_schedule
from syncd.status import Status
from syncd.windows import local_midnight

# Thresholds are compared with this tolerance so that a gap a person computes as exactly 0.10
# (e.g. 0.5 - 0.4, which is 0.0999… in binary floating point) sits on the documented side.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Point:
    """One measurement of a KR: its slot ``at`` (= window end), value, fetch time and source."""

    at: datetime
    value: float
    collected_at: datetime
    source: str | None = None


def attainment(value: float, baseline: float, target: float) -> float:
    """``(value - baseline) / (target - baseline)``; covers decrease KRs too. Not clamped."""
    if target == baseline:
        raise ValueError("target equals baseline: attainment is undefined")
    return (value - baseline) / (target - baseline)


def score(attainment: float, ceiling: float = 1.0) -> float:
    """Attainment clamped to ``[0, ceiling]``."""
    # + 0.0 turns -0.0 (a decrease KR still at its baseline) into 0.0, shown as "0.00".
    return min(max(attainment, 0.0), ceiling) + 0.0


def expected(as_of: datetime, cycle: Cycle, tz: ZoneInfo, pacing: Pacing | None = None) -> float:
    """The attainment expected by ``as_of`` (clamped to the cycle).

    Without pacing: the elapsed share of the cycle in real seconds. With pacing points: the
    points are knots between ``(cycle start, 0)`` and ``(cycle end, 1)``; a point dated ``D``
    means "expected by the end of day D" (local midnight after D). ``shape="linear"``
    interpolates between knots; ``shape="step"`` holds the value of the last knot reached.
    Points outside the cycle are ignored; a point on the last day replaces the end knot.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
    moment = min(max(as_of.astimezone(UTC), start), end)
    if pacing is None:
        return (moment - start) / (end - start)
    knots = {start: 0.0, end: 1.0}
    for point in pacing.points:
        at = local_midnight(point.at + timedelta(days=1), tz).astimezone(UTC)
        if start < at <= end:
            knots[at] = point.expected
    times = sorted(knots)
    if pacing.shape == "step":
        return knots[max(t for t in times if t <= moment)]
    for left, right in pairwise(times):
        if left <= moment <= right:
            share = (moment - left) / (right - left)
            return knots[left] + share * (knots[right] - knots[left])
    raise AssertionError("the moment is clamped to the cycle")  # pragma: no cover


def cycle_points(points: Sequence[Point], cycle: Cycle, tz: ZoneInfo) -> list[Point]:
    """The points whose slot lies within the cycle, oldest slot first."""
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
    inside = [p for p in points if start <= p.at.astimezone(UTC) <= end]
    return sorted(inside, key=lambda p: (p.at, p.collected_at))


def forecast(points: Sequence[Point], cycle: Cycle, tz: ZoneInfo) -> float | None:
    """The value at cycle end on the least-squares line through the cycle's points.

    ``None`` when fewer than two distinct slots are available.
    """
    inside = cycle_points(points, cycle, tz)
    if len({p.at for p in inside}) < 2:
        return None
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
    xs = [(p.at.astimezone(UTC) - start).total_seconds() for p in inside]
    ys = [p.value for p in inside]
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept + slope * (end - start).total_seconds()


def maintain_score(points: Sequence[Point], band: Band) -> float:
    """The share of ``points`` whose value lies in ``band``."""
    if not points:
        raise ValueError("no points to score")
    return sum(1 for p in points if band.contains(p.value)) / len(points)


@dataclass(frozen=True)
class KRProgress:
    """Where one KR stands at a moment: value, attainment, pace, status and forecast.

    ``collected_at`` is the newest fetch time among the cycle's points (what staleness is judged
    on). ``band`` is set for ``maintain`` KRs, whose ``attainment`` is ``None``. ``source`` is
    the latest point's source and ``points`` how many points the cycle has. ``confidence``,
    ``note`` and ``checked_in_at`` are the owner's latest check-in (set by the overview, which
    reads them from the store): shown beside ``status``, never replacing it.
    """

    id: str
    objective: str
    title: str
    team: str
    cycle: str
    commitment: str
    unit: str | None
    direction: str
    value: float | None
    baseline: float | None
    target: float | None
    attainment: float | None
    score: float | None
    expected: float
    status: Status
    forecast: float | None
    forecast_score: float | None
    as_of: datetime | None
    collected_at: datetime | None
    weight: float
    in_band: bool | None
    band: Band | None = None
    owner: str | None = None
    source: str | None = None
    points: int = 0
    confidence: str | None = None
    note: str | None = None
    checked_in_at: datetime | None = None


def _gap_status(gap: float, settings: ProgressSettings) -> Status:
    def above(threshold: float) -> bool:
        return gap > threshold and not math.isclose(gap, threshold, abs_tol=_TOLERANCE)

    if above(settings.off_track_gap):
        return "off_track"
    if above(settings.at_risk_gap):
        return "at_risk"
    return "on_track"


def is_stale(
    newest_collected: datetime, kr: KeyResult, cycle: Cycle, *, now: datetime, tz: ZoneInfo
) -> bool:
    """Older than twice the KR's schedule interval.

    Judged at ``now``, or at the cycle's end once the cycle is over: measurements stop with the
    cycle, and a closed cycle's final numbers are not stale.
    """
    end = cycle_bounds(cycle, tz).end
    reference = min(now.astimezone(UTC), end)
    return reference - newest_collected.astimezone(UTC) > 2 * parse_schedule(kr.schedule).interval


@dataclass(frozen=True)
class Reduced:
    """A KR's cycle points reduced to what its progress needs: how many, the latest, the newest
    fetch time, the forecast, and (``maintain`` KRs) the share of points in band."""

    points: int
    latest: Point | None
    newest_collected: datetime | None
    forecast: float | None
    band_share: float | None = None


def reduce_points(points: Sequence[Point], kr: KeyResult, cycle: Cycle, tz: ZoneInfo) -> Reduced:
    """:class:`Reduced` of the points whose slot lies within the cycle."""
    inside = cycle_points(points, cycle, tz)
    return Reduced(
        points=len(inside),
        latest=inside[-1] if inside else None,
        newest_collected=max((p.collected_at for p in inside), default=None),
        forecast=forecast(inside, cycle, tz),
        band_share=maintain_score(inside, kr.maintain)
        if kr.maintain is not None and inside
        else None,
    )


def forecast_from_sums(
    slots: int, n: int, sums: tuple[float, float, float, float], cycle: Cycle, tz: ZoneInfo
) -> float | None:
    """:func:`forecast` from the least-squares sums ``(Σx, Σy, Σx², Σxy)`` of ``n`` points over
    ``slots`` distinct slots, ``x`` in days since the cycle's start (what the store sums)."""
    if slots < 2:
        return None
    sum_x, sum_y, sum_xx, sum_xy = sums
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
    mean_x, mean_y = sum_x / n, sum_y / n
    slope = (sum_xy - sum_x * mean_y) / (sum_xx - sum_x * mean_x)
    return mean_y + slope * ((end - start) / timedelta(days=1) - mean_x)


def evaluate_kr(
    objective: Objective,
    kr: KeyResult,
    cycle: Cycle,
    points: Sequence[Point],
    *,
    now: datetime,
    settings: ProgressSettings,
    tz: ZoneInfo,
) -> KRProgress:
    """Evaluate one KR from its points at ``now`` (DESIGN §2 status rules).

    ``not_started`` without points in the cycle; ``stale`` (overriding everything else) when the
    newest fetch is older than twice the schedule interval; then ``achieved`` at attainment ≥ 1,
    else by the gap ``expected - attainment``: above ``off_track_gap`` off_track, above
    ``at_risk_gap`` at_risk, else on_track. ``maintain`` KRs are on_track while the latest value
    is in band, else off_track; their score is the share of the cycle's points in band.
    """
    reduced = reduce_points(points, kr, cycle, tz)
    return evaluate_reduced(objective, kr, cycle, reduced, now=now, settings=settings, tz=tz)


def evaluate_reduced(
    objective: Objective,
    kr: KeyResult,
    cycle: Cycle,
    reduced: Reduced,
    *,
    now: datetime,
    settings: ProgressSettings,
    tz: ZoneInfo,
) -> KRProgress:
    """:func:`evaluate_kr` from the KR's cycle points already reduced (:class:`Reduced`)."""
    pace = expected(now, cycle, tz, kr.pacing)
    ceiling = kr.ceiling if kr.ceiling is not None else settings.ceiling
    latest = reduced.latest
    newest_collected = reduced.newest_collected
    value = latest.value if latest else None
    projected = reduced.forecast

    kr_attainment: float | None = None
    kr_score: float | None = None
    forecast_score: float | None = None
    in_band: bool | None = None
    status: Status
    if value is None or newest_collected is None:
        status = "not_started"
    elif kr.maintain is not None:
        in_band = kr.maintain.contains(value)
        kr_score = reduced.band_share
        status = "on_track" if in_band else "off_track"
    else:
        assert kr.baseline is not None and kr.target is not None
        kr_attainment = attainment(value, kr.baseline, kr.target)
        kr_score = score(kr_attainment, ceiling)
        status = "achieved" if kr_attainment >= 1 else _gap_status(pace - kr_attainment, settings)
    if projected is not None and kr.maintain is None:
        assert kr.baseline is not None and kr.target is not None
        forecast_score = score(attainment(projected, kr.baseline, kr.target), ceiling)
    if newest_collected is not None and is_stale(newest_collected, kr, cycle, now=now, tz=tz):
        status = "stale"

    return KRProgress(
        id=kr.id,
        objective=objective.id,
        title=kr.title,
        team=objective.team,
        cycle=objective.cycle,
        commitment=objective.commitment,
        unit=kr.unit,
        direction=kr.direction,
        value=value,
        baseline=kr.baseline,
        target=kr.target,
        attainment=kr_attainment,
        score=kr_score,
        expected=pace,
        status=status,
        forecast=projected,
        forecast_score=forecast_score,
        as_of=latest.at if latest else None,
        collected_at=newest_collected,
        weight=kr.weight,
        in_band=in_band,
        band=kr.maintain,
        owner=kr.owner,
        source=latest.source if latest else None,
        points=reduced.points,
    )


@dataclass(frozen=True)
class ObjectiveProgress:
    """An objective with its KRs' progress and the rolled-up score and status.

    ``own_score`` rolls up the objective's own KRs only; ``score`` also folds in the objectives
    aligned to it (``children``, their ids) once :func:`roll_up` has run. ``expected`` is the
    pace its score is judged against, ``status`` follows from both and the commitment.
    """

    id: str
    title: str
    team: str
    cycle: str
    commitment: str
    level: str
    score: float | None
    key_results: tuple[KRProgress, ...]
    status: Status
    owner: str | None = None
    parent: str | None = None
    own_score: float | None = None
    children: tuple[str, ...] = ()
    expected: float | None = None


ASPIRATIONAL_SUCCESS = 0.6
"""An aspirational objective succeeds at this score: 60-70 % counts as success (DESIGN §1)."""


def success_score(commitment: str) -> float:
    """The score at which an objective of ``commitment`` counts as a success."""
    return ASPIRATIONAL_SUCCESS if commitment == "aspirational" else 1.0


def objective_status(
    score: float | None,
    expected: float | None,
    commitment: str,
    statuses: Sequence[Status],
    settings: ProgressSettings | None = None,
) -> Status:
    """The objective's status from its score, judged against its commitment.

    The score is read as a share of the objective's success (1.0 for committed objectives,
    ``ASPIRATIONAL_SUCCESS`` for aspirational ones): ``achieved`` at or above it, else by the
    gap ``expected - score / success`` with the KRs' thresholds. So an aspirational objective
    at 0.57 by the cycle's end is on track (0.95 of its success), where a committed one is off
    track. Without a score: ``stale`` if a KR (or child) is stale, else ``not_started``; when
    every KR is stale, ``stale``.
    """
    if score is None or expected is None:
        return "stale" if "stale" in statuses else "not_started"
    if statuses and all(status == "stale" for status in statuses):
        return "stale"
    judged = score / success_score(commitment)
    if judged >= 1 or math.isclose(judged, 1, abs_tol=_TOLERANCE):
        return "achieved"
    return _gap_status(expected - judged, settings or ProgressSettings())


def weighted_mean(parts: Sequence[tuple[float | None, float]]) -> float | None:
    """The weighted mean of the ``(value, weight)`` pairs with a value; ``None`` without one."""
    known = [(value, weight) for value, weight in parts if value is not None]
    total = sum(weight for _, weight in known)
    return sum(value * weight for value, weight in known) / total if known and total else None


def evaluate_objective(
    objective: Objective,
    krs: Sequence[KRProgress],
    settings: ProgressSettings | None = None,
) -> ObjectiveProgress:
    """Roll KRs up: score = weighted mean of the KR scores (KRs without one are left out),
    expected = the same mean of their expected paces; status by :func:`objective_status`."""
    rolled = weighted_mean([(kr.score, kr.weight) for kr in krs])
    pace = weighted_mean([(kr.expected, kr.weight) for kr in krs])
    return ObjectiveProgress(
        id=objective.id,
        title=objective.title,
        team=objective.team,
        cycle=objective.cycle,
        commitment=objective.commitment,
        level=objective.level,
        score=rolled,
        key_results=tuple(krs),
        status=objective_status(
            rolled, pace, objective.commitment, [kr.status for kr in krs], settings
        ),
        expected=pace,
        owner=objective.owner,
        parent=objective.parent,
        own_score=rolled,
    )


CHILD_WEIGHT = 1.0
"""The weight of an aligned child objective's score in its parent's score: one KR's default."""


def roll_up(
    objectives: Sequence[ObjectiveProgress], settings: ProgressSettings | None = None
) -> list[ObjectiveProgress]:
    """Fold each objective's aligned children (``parent`` set to its id) into its score.

    A parent's ``score`` is the weighted mean of its own KRs' scores (each with its KR
    ``weight``, 1 by default) and its children's rolled-up scores (each weighing
    ``CHILD_WEIGHT``, the same as one KR): with default weights, the parent's own KRs and each
    child objective count equally. Children are rolled up first, so a company objective sees
    its teams' objectives and their individuals'. Scoreless KRs and children are left out; a
    parent that is not among ``objectives`` leaves its children as they are. Order is kept.
    The parent's expected pace is rolled up alike, and its status judged again.
    """
    by_id = {objective.id: objective for objective in objectives}
    children: dict[str, list[str]] = {}
    for objective in objectives:
        if objective.parent in by_id and objective.parent != objective.id:
            children.setdefault(objective.parent, []).append(objective.id)
    done: dict[str, ObjectiveProgress] = {}

    def resolve(objective_id: str, trail: frozenset[str]) -> ObjectiveProgress:
        if objective_id in done:
            return done[objective_id]
        objective = by_id[objective_id]
        kids = [
            resolve(child, trail | {objective_id})
            for child in children.get(objective_id, [])
            if child not in trail  # a loop in the alignment is cut, not followed forever
        ]
        if not kids:
            done[objective_id] = objective
            return objective
        parts = [(kr.score, kr.weight) for kr in objective.key_results]
        parts += [(kid.score, CHILD_WEIGHT) for kid in kids]
        paces: list[tuple[float | None, float]] = [
            (kr.expected, kr.weight) for kr in objective.key_results
        ]
        paces += [(kid.expected, CHILD_WEIGHT) for kid in kids]
        score_, pace = weighted_mean(parts), weighted_mean(paces)
        statuses = [kr.status for kr in objective.key_results] + [kid.status for kid in kids]
        rolled = replace(
            objective,
            score=score_,
            expected=pace,
            status=objective_status(score_, pace, objective.commitment, statuses, settings),
            children=tuple(kid.id for kid in kids),
        )
        done[objective_id] = rolled
        return rolled

    return [resolve(objective.id, frozenset()) for objective in objectives]
