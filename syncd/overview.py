"""Progress of every configured objective and KR, read from the store at a moment."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from syncd.config import LoadedConfig
from syncd.evaluate import cycle_bounds
from syncd.progress import (
    KRProgress,
    ObjectiveProgress,
    Point,
    evaluate_kr,
    evaluate_objective,
    roll_up,
)
from syncd.store import Store


def build_overview(loaded: LoadedConfig, store: Store, now: datetime) -> list[ObjectiveProgress]:
    """Evaluate each objective from the measurements taken up to ``now``, in config order.

    Each KR carries its owner's latest check-in (confidence and note) up to ``now``; each
    objective's score folds in the objectives aligned to it (:func:`~syncd.progress.roll_up`).
    """
    config = loaded.config
    latest_checkins = store.latest_checkins([kr.id for _, kr in config.key_results()], until=now)
    overview = []
    for objective in config.objectives:
        cycle = config.cycles[objective.cycle]
        bounds = cycle_bounds(cycle.start, cycle.end, config.tz)
        progress: list[KRProgress] = []
        for kr in objective.key_results:
            points = [
                Point(at=m.window_end, value=m.value, collected_at=m.collected_at, source=m.source)
                for m in store.measurements(kr.id, since=bounds.start, until=min(bounds.end, now))
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
