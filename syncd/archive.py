"""The configuration as the store remembers it: the config's cycles and objectives, plus the
ones that have left it since (past quarters), so their history, export and review stay
reachable. Only reading commands use it; syncs and the dashboard follow the config alone."""

from __future__ import annotations

import dataclasses

from pydantic import ValidationError

from syncd.config import LoadedConfig
from syncd.config.models import Cycle, Objective
from syncd.logs import get_logger
from syncd.store.abc import MeasurementStore

log = get_logger(__name__)


def with_archive(loaded: LoadedConfig, store: MeasurementStore) -> LoadedConfig:
    """``loaded`` with the cycles and objectives the store knows and the config no longer has.

    A retired objective comes back as last configured (its whole definition, KRs included); one
    recorded before the store kept definitions, or no longer readable, is left out.
    """
    config = loaded.config
    cycles = dict(config.cycles)
    for cycle in store.stored_cycles():
        cycles.setdefault(cycle.id, Cycle(start=cycle.start, end=cycle.end))
    configured = {objective.id for objective in config.objectives}
    configured_krs = {kr.id for _, kr in config.key_results()}
    retired: list[Objective] = []
    for record in store.stored_objectives():
        if record.id in configured or record.definition is None:
            continue
        try:
            objective = Objective.model_validate_json(record.definition)
        except ValidationError as exc:
            log.warning("stored objective unreadable", objective=record.id, error=str(exc))
            continue
        krs = [kr for kr in objective.key_results if kr.id not in configured_krs]
        if objective.cycle in cycles and krs:
            retired.append(objective.model_copy(update={"key_results": krs}))
    if not retired and cycles == config.cycles:
        return loaded
    merged = config.model_copy(
        update={"cycles": cycles, "objectives": [*config.objectives, *retired]}
    )
    return dataclasses.replace(loaded, config=merged)
