"""Progress of every configured objective and KR, read from the store at a moment."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime

from syncd.config import LoadedConfig
from syncd.cycles import cycle_bounds
from syncd.progress import (
    KRProgress,
    ObjectiveProgress,
    Point,
    evaluate_kr,
    evaluate_objective,
    roll_up,
)
from syncd.store.abc import MeasurementStore
from syncd.store.records import Measurement


def cycle_histories(
    loaded: LoadedConfig, store: MeasurementStore, now: datetime
) -> dict[str, list[Measurement]]:
    """Every KR's measurements within its cycle up to ``now``: one set-based read per cycle,
    never one query per KR."""
    config = loaded.config
    by_cycle: dict[str, list[str]] = defaultdict(list)
    for objective, kr in config.key_results():
        by_cycle[objective.cycle].append(kr.id)
    found: dict[str, list[Measurement]] = {}
    for cycle_id, kr_ids in by_cycle.items():
        cycle = config.cycles[cycle_id]
        bounds = cycle_bounds(cycle, config.tz)
        found.update(store.histories(kr_ids, since=bounds.start, until=min(bounds.end, now)))
    return found


def build_overview(
    loaded: LoadedConfig,
    store: MeasurementStore,
    now: datetime,
    histories: dict[str, list[Measurement]] | None = None,
) -> list[ObjectiveProgress]:
    """Evaluate each objective from the measurements taken up to ``now``, in config order
    (``histories``: :func:`cycle_histories`, when the caller has read them already).

    Each KR carries its owner's latest check-in (confidence and note) up to ``now``; each
    objective's score folds in the objectives aligned to it (:func:`~syncd.progress.roll_up`).
    """
    config = loaded.config
    if histories is None:
        histories = cycle_histories(loaded, store, now)
    latest_checkins = store.latest_checkins([kr.id for _, kr in config.key_results()], until=now)
    overview = []
    for objective in config.objectives:
        cycle = config.cycles[objective.cycle]
        progress: list[KRProgress] = []
        for kr in objective.key_results:
            points = [
                Point(at=m.window_end, value=m.value, collected_at=m.collected_at, source=m.source)
                for m in histories.get(kr.id, ())
            ]
            evaluated = evaluate_kr(
                objective, kr, cycle, points, now=now, settings=config.progress, tz=config.tz
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
