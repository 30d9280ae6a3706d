"""Progress of every configured objective and KR, read from the store at a moment."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from syncd.config import LoadedConfig
from syncd.config.models import Config, Cycle, KeyResult
from syncd.cycles import cycle_bounds
from syncd.progress import (
    KRProgress,
    ObjectiveProgress,
    Point,
    Reduced,
    evaluate_objective,
    evaluate_reduced,
    forecast_from_sums,
    reduce_points,
    roll_up,
)
from syncd.store.abc import MeasurementStore
from syncd.store.records import SeriesSummary, StoredPoint


class PointRow(Protocol):
    """What progress reads of a stored measurement (a ``Measurement`` or a ``StoredPoint``)."""

    @property
    def window_end(self) -> datetime: ...
    @property
    def value(self) -> float: ...
    @property
    def collected_at(self) -> datetime: ...
    @property
    def source(self) -> str: ...


def cycle_histories(
    loaded: LoadedConfig, store: MeasurementStore, now: datetime
) -> dict[str, list[StoredPoint]]:
    """Every KR's measurements within its cycle up to ``now``: one set-based read per cycle,
    never one query per KR."""
    config = loaded.config
    by_cycle: dict[str, list[str]] = defaultdict(list)
    for objective, kr in config.key_results():
        by_cycle[objective.cycle].append(kr.id)
    found: dict[str, list[StoredPoint]] = {}
    for cycle_id, kr_ids in by_cycle.items():
        cycle = config.cycles[cycle_id]
        bounds = cycle_bounds(cycle, config.tz)
        found.update(store.points(kr_ids, since=bounds.start, until=min(bounds.end, now)))
    return found


def _points(rows: Sequence[PointRow]) -> list[Point]:
    return [
        Point(at=m.window_end, value=m.value, collected_at=m.collected_at, source=m.source)
        for m in rows
    ]


def reduced_from_histories(
    config: Config, histories: Mapping[str, Sequence[PointRow]]
) -> dict[str, Reduced]:
    """Each KR's cycle points reduced for progress, from its measurements."""
    return {
        kr.id: reduce_points(
            _points(histories.get(kr.id, [])), kr, config.cycles[objective.cycle], config.tz
        )
        for objective, kr in config.key_results()
    }


def reduced_from_store(
    config: Config, store: MeasurementStore, now: datetime
) -> dict[str, Reduced]:
    """Each KR's cycle points up to ``now`` reduced for progress by the store: summed per KR
    in a few set-based queries per cycle. The history of ``maintain`` KRs, whose score needs
    every point, and of KRs whose slots are too close for the sums (:data:`WELL_SPREAD`) is
    read as it is; no measurement row of the others is."""
    summed: dict[str, list[str]] = defaultdict(list)
    whole: dict[str, dict[str, KeyResult]] = defaultdict(dict)
    for objective, kr in config.key_results():
        if kr.maintain is None:
            summed[objective.cycle].append(kr.id)
        else:
            whole[objective.cycle][kr.id] = kr
    kr_by_id = {kr.id: kr for _, kr in config.key_results()}
    found: dict[str, Reduced] = {}
    for cycle_id in sorted(summed.keys() | whole.keys()):
        cycle = config.cycles[cycle_id]
        bounds = cycle_bounds(cycle, config.tz)
        start, end = bounds.start, bounds.end
        until = min(end, now)
        if summed[cycle_id]:
            summaries = store.summaries(summed[cycle_id], since=start, until=until, origin=start)
            for kr_id, summary in summaries.items():
                if _conditioned(summary):
                    found[kr_id] = _reduced(summary, cycle, config)
                else:
                    whole[cycle_id][kr_id] = kr_by_id[kr_id]
        if whole[cycle_id]:
            histories = store.points(list(whole[cycle_id]), since=start, until=until)
            for kr_id, rows in histories.items():
                kr = whole[cycle_id][kr_id]
                found[kr_id] = reduce_points(_points(rows), kr, cycle, config.tz)
    return found


WELL_SPREAD = 1e-6
"""The least-squares sums give the forecast to about 1e-10 when the slots' spread (Σx² less
its mean part) is at least this share of Σx²; closer slots (seconds apart) lose precision to
cancellation, so such a KR's points are read and fitted one by one instead."""


def _conditioned(summary: SeriesSummary) -> bool:
    if summary.slots < 2:
        return True
    spread = summary.sum_xx - summary.sum_x * summary.sum_x / summary.points
    return spread > WELL_SPREAD * summary.sum_xx


def _reduced(summary: SeriesSummary, cycle: Cycle, config: Config) -> Reduced:
    sums = (summary.sum_x, summary.sum_y, summary.sum_xx, summary.sum_xy)
    return Reduced(
        points=summary.points,
        latest=Point(
            at=summary.latest_at,
            value=summary.latest_value,
            collected_at=summary.latest_collected,
            source=summary.latest_source,
        ),
        newest_collected=summary.newest_collected,
        forecast=forecast_from_sums(summary.slots, summary.points, sums, cycle, config.tz),
    )


NOTHING = Reduced(points=0, latest=None, newest_collected=None, forecast=None)
"""A KR without points in its cycle."""


def build_overview(
    loaded: LoadedConfig,
    store: MeasurementStore,
    now: datetime,
    histories: Mapping[str, Sequence[PointRow]] | None = None,
) -> list[ObjectiveProgress]:
    """Evaluate each objective from the measurements taken up to ``now``, in config order
    (``histories``: :func:`cycle_histories`, when the caller has read them already; without
    them, the store sums each KR's points: :func:`reduced_from_store`).

    Each KR carries its owner's latest check-in (confidence and note) up to ``now``; each
    objective's score folds in the objectives aligned to it (:func:`~syncd.progress.roll_up`).
    """
    config = loaded.config
    if histories is None:
        reduced = reduced_from_store(config, store, now)
    else:
        reduced = reduced_from_histories(config, histories)
    latest_checkins = store.latest_checkins([kr.id for _, kr in config.key_results()], until=now)
    overview = []
    for objective in config.objectives:
        cycle = config.cycles[objective.cycle]
        progress: list[KRProgress] = []
        for kr in objective.key_results:
            evaluated = evaluate_reduced(
                objective,
                kr,
                cycle,
                reduced.get(kr.id, NOTHING),
                now=now,
                settings=config.progress,
                tz=config.tz,
            )
            checkin = latest_checkins.get(kr.id)
            if checkin is not None:
                evaluated = dataclasses.replace(
                    evaluated,
                    confidence=checkin.confidence,
                    note=checkin.note,
                    checked_in_at=checkin.at,
                )
            progress.append(evaluated)
        overview.append(evaluate_objective(objective, progress, config.progress))
    return roll_up(overview, config.progress)
