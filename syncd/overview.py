"""Progress of every configured objective and KR, read from the store at a moment."""

from __future__ import annotations

from datetime import datetime

from syncd.config import LoadedConfig
from syncd.evaluate import cycle_bounds
from syncd.progress import ObjectiveProgress, Point, evaluate_kr, evaluate_objective
from syncd.store import Store


def build_overview(loaded: LoadedConfig, store: Store, now: datetime) -> list[ObjectiveProgress]:
    """Evaluate each objective from the measurements taken up to ``now``, in config order."""
    config = loaded.config
    overview = []
    for objective in config.objectives:
        cycle = config.cycles[objective.cycle]
        bounds = cycle_bounds(cycle.start, cycle.end, config.tz)
        progress = []
        for kr in objective.key_results:
            points = [
                Point(at=m.window_end, value=m.value, collected_at=m.collected_at)
                for m in store.measurements(kr.id, since=bounds.start, until=min(bounds.end, now))
            ]
            progress.append(
                evaluate_kr(
                    objective,
                    kr,
                    cycle,
                    points,
                    now=now,
                    settings=config.progress,
                    tz=config.tz,
                )
            )
        overview.append(evaluate_objective(objective, progress))
    return overview
