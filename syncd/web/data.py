"""What the dashboard shows, read once per request: progress, history, pace and source health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from syncd.config import LoadedConfig
from syncd.config.models import Cycle, KeyResult
from syncd.overview import build_overview, cycle_histories
from syncd.progress import KRProgress, ObjectiveProgress, cycle_bounds, expected
from syncd.store import Measurement, Store
from syncd.store.runs import INTERRUPTED
from syncd.store.tables import SyncRun
from syncd.windows import local_midnight

RUNS_PER_SOURCE = 200
"""How many recent runs of each source the health strip looks through."""

FAILED_OUTCOMES = frozenset({"failed", "partial"})


@dataclass(frozen=True)
class HistoryPoint:
    """One stored measurement of a KR, as the chart and the history table show it."""

    window_start: datetime
    window_end: datetime
    value: float
    collected_at: datetime
    source: str
    revision: int


@dataclass(frozen=True)
class PacePoint:
    """The value a KR is expected to have reached at ``at`` (baseline + expected share)."""

    at: datetime
    value: float


@dataclass(frozen=True)
class KRView:
    """A KR's progress with its cycle's history, pace line, and where its data came from.

    ``source`` is the latest measurement's source (``web`` or ``web+sales`` for a metric
    derived from two), ``source_types`` the connector type of each; ``pace`` is empty for
    ``maintain`` KRs, which have a band instead of a target.
    """

    progress: KRProgress
    history: tuple[HistoryPoint, ...]
    pace: tuple[PacePoint, ...]
    cycle_start: datetime
    cycle_end: datetime
    source: str | None
    source_types: tuple[str, ...]


@dataclass(frozen=True)
class ObjectiveGroup:
    """The objectives of one team in one cycle, in config order."""

    cycle: str
    team: str
    objectives: tuple[ObjectiveProgress, ...]


@dataclass(frozen=True)
class SourceHealth:
    """A configured source's recent sync runs: the last success and the last failure.

    ``failing`` is True when the newest finished run failed (fully or partly).
    """

    name: str
    type: str
    last_run_at: datetime | None
    last_outcome: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failing: bool


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard and the JSON API show, evaluated at ``now``."""

    now: datetime
    tz: ZoneInfo
    groups: tuple[ObjectiveGroup, ...]
    key_results: dict[str, KRView]
    sources: tuple[SourceHealth, ...]

    @property
    def objectives(self) -> tuple[ObjectiveProgress, ...]:
        """Every objective, grouped by cycle and team."""
        return tuple(objective for group in self.groups for objective in group.objectives)


def load_dashboard_data(loaded: LoadedConfig, store: Store, now: datetime) -> DashboardData:
    """Evaluate every objective at ``now`` and read each KR's history and each source's runs."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    config = loaded.config
    histories = cycle_histories(loaded, store, now)  # read once, for progress and charts
    overview = build_overview(loaded, store, now, histories)
    configured = {kr.id: kr for _, kr in config.key_results()}
    views: dict[str, KRView] = {}
    for objective in overview:
        cycle = config.cycles[objective.cycle]
        for progress in objective.key_results:
            views[progress.id] = _kr_view(
                progress, configured[progress.id], cycle, histories.get(progress.id, []), loaded
            )
    return DashboardData(
        now=now,
        tz=config.tz,
        groups=_groups(overview),
        key_results=views,
        sources=tuple(
            source_health(name, source.type, store.runs(limit=RUNS_PER_SOURCE, source=name))
            for name, source in config.sources.items()
        ),
    )


def _groups(overview: Sequence[ObjectiveProgress]) -> tuple[ObjectiveGroup, ...]:
    ordered = sorted(overview, key=lambda o: (o.cycle, o.team))  # stable: config order inside
    return tuple(
        ObjectiveGroup(cycle=cycle, team=team, objectives=tuple(members))
        for (cycle, team), members in groupby(ordered, key=lambda o: (o.cycle, o.team))
    )


def _kr_view(
    progress: KRProgress,
    kr: KeyResult,
    cycle: Cycle,
    rows: Sequence[Measurement],
    loaded: LoadedConfig,
) -> KRView:
    tz = loaded.config.tz
    start, end = cycle_bounds(cycle, tz)
    history = tuple(
        HistoryPoint(
            window_start=row.window_start,
            window_end=row.window_end,
            value=row.value,
            collected_at=row.collected_at,
            source=row.source,
            revision=row.revision,
        )
        for row in rows
    )
    source = history[-1].source if history else None
    sources = loaded.config.sources
    types = tuple(
        sources[name].type if name in sources else "unknown" for name in (source or "").split("+")
    )
    return KRView(
        progress=progress,
        history=history,
        pace=pace_line(kr, cycle, tz),
        cycle_start=start,
        cycle_end=end,
        source=source,
        source_types=types if source else (),
    )


def pace_line(kr: KeyResult, cycle: Cycle, tz: ZoneInfo) -> tuple[PacePoint, ...]:
    """The expected value at each local midnight of the cycle, first day to the day after
    the last (daily, so step pacing shows its steps); empty for ``maintain`` KRs."""
    if kr.baseline is None or kr.target is None:
        return ()
    baseline, target = kr.baseline, kr.target
    points = []
    day = cycle.start
    while day <= cycle.end + timedelta(days=1):
        at = local_midnight(day, tz).astimezone(UTC)
        share = expected(at, cycle, tz, kr.pacing)
        points.append(PacePoint(at=at, value=baseline + share * (target - baseline)))
        day += timedelta(days=1)
    return tuple(points)


def source_health(name: str, type_: str, runs: Sequence[SyncRun]) -> SourceHealth:
    """Summarise a source's runs (newest first); runs still in flight are left out."""
    # An interrupted run (its process died) says nothing about the source.
    finished = [run for run in runs if run.finished_at is not None and run.outcome != INTERRUPTED]
    newest = finished[0] if finished else None
    success = next((run for run in finished if run.outcome == "ok"), None)
    failure = next((run for run in finished if run.outcome in FAILED_OUTCOMES), None)
    return SourceHealth(
        name=name,
        type=type_,
        last_run_at=newest.finished_at if newest else None,
        last_outcome=newest.outcome if newest else None,
        last_success_at=success.finished_at if success else None,
        last_error_at=failure.finished_at if failure else None,
        last_error=(failure.error or failure.outcome) if failure else None,
        failing=newest is not None and newest.outcome in FAILED_OUTCOMES,
    )
