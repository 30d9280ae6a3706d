"""What the dashboard shows, read once per request: progress, history, pace, the week's change,
the alignment tree, and source health; optionally for one team and one cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from syncd import registry
from syncd.archive import with_archive
from syncd.config import LoadedConfig
from syncd.config.models import Cycle, KeyResult, Pacing
from syncd.cycles import cycle_bounds
from syncd.documents import source_types
from syncd.overview import build_overview, cycle_histories
from syncd.progress import KRProgress, ObjectiveProgress, expected
from syncd.sinks.health import SinkHealth, sink_health
from syncd.status import STATUS_ORDER, Status
from syncd.store.abc import StateStore
from syncd.store.liveness import INTERRUPTED
from syncd.store.records import StoredPoint, SyncRun
from syncd.windows import local_midnight

WEEK = timedelta(days=7)
"""How far back "this week" looks: the change beside each KR and in the summary."""

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
    ``maintain`` KRs, which have a band instead of a target. ``week_ago`` is the KR's progress
    as it was seven days before (``None`` when the KR did not exist then).
    """

    progress: KRProgress
    history: tuple[HistoryPoint, ...]
    pace: tuple[PacePoint, ...]
    cycle_start: datetime
    cycle_end: datetime
    source: str | None
    source_types: tuple[str, ...]
    week_ago: KRProgress | None = None


@dataclass(frozen=True)
class ObjectiveGroup:
    """The objectives of one team in one cycle, in config order."""

    cycle: str
    team: str
    objectives: tuple[ObjectiveProgress, ...]


@dataclass(frozen=True)
class SourceHealth:
    """A configured source's recent sync runs: the last success and the last failure.

    ``failing`` is True when the newest finished run failed (fully or partly); never for a
    check-in source (``checkin``: its values are pushed by people, there is nothing to fetch).
    """

    name: str
    type: str
    last_run_at: datetime | None
    last_outcome: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failing: bool
    checkin: bool = False


class UnknownFilter(ValueError):
    """A team or cycle filter naming nothing the dashboard knows."""


@dataclass(frozen=True)
class StatusChange:
    """A KR whose status is not what it was a week ago."""

    id: str
    title: str
    before: Status
    now: Status


@dataclass(frozen=True)
class Summary:
    """The band at the top: KRs per status, the mean objective score per commitment, and the
    KRs whose status changed this week (``checkins`` counts the week's check-ins)."""

    counts: dict[Status, int]
    committed: float | None
    aspirational: float | None
    changes: tuple[StatusChange, ...]
    checkins: int


@dataclass(frozen=True)
class TreeNode:
    """An objective with the objectives aligned to it (among those shown)."""

    objective: ObjectiveProgress
    children: tuple[TreeNode, ...]


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard and the JSON API show, evaluated at ``now``.

    ``team`` and ``cycle`` are the filters applied (``None``: all); ``teams`` and ``cycles``
    every value they can take (cycles the store remembers included).
    """

    now: datetime
    tz: ZoneInfo
    groups: tuple[ObjectiveGroup, ...]
    key_results: dict[str, KRView]
    sources: tuple[SourceHealth, ...]
    source_types: dict[str, str]
    sinks: tuple[SinkHealth, ...] = ()
    summary: Summary | None = None
    tree: tuple[TreeNode, ...] = ()
    team: str | None = None
    cycle: str | None = None
    teams: tuple[str, ...] = ()
    cycles: tuple[str, ...] = ()
    configured_cycles: frozenset[str] = frozenset()
    everything: tuple[ObjectiveProgress, ...] = ()

    def select(self, team: str | None = None, cycle: str | None = None) -> DashboardData:
        """Only ``team``'s and ``cycle``'s objectives (``None``: all teams; the configured
        cycles), with the summary and the alignment tree over them. Raises
        :class:`UnknownFilter` for a team or cycle nobody knows."""
        if team is not None and team not in self.teams:
            raise UnknownFilter(f"no team {team!r}; teams: {', '.join(self.teams) or 'none'}")
        if cycle is not None and cycle not in self.cycles:
            known = ", ".join(self.cycles) or "none"
            raise UnknownFilter(f"no cycle {cycle!r}; cycles: {known}")
        shown = [
            objective
            for objective in self.everything
            if (team is None or objective.team == team)
            and (
                objective.cycle == cycle
                if cycle is not None
                else objective.cycle in self.configured_cycles
            )
        ]
        ids = {kr.id for objective in shown for kr in objective.key_results}
        views = {kr_id: view for kr_id, view in self.key_results.items() if kr_id in ids}
        return replace(
            self,
            groups=_groups(shown),
            key_results=views,
            summary=summary(shown, views, self.now),
            tree=alignment_tree(shown),
            team=team,
            cycle=cycle,
        )

    @property
    def objectives(self) -> tuple[ObjectiveProgress, ...]:
        """Every objective, grouped by cycle and team."""
        return tuple(objective for group in self.groups for objective in group.objectives)


def load_dashboard_data(
    loaded: LoadedConfig, store: StateStore, now: datetime, *, histories: bool = True
) -> DashboardData:
    """Evaluate every objective at ``now`` (and a week before), read each KR's history and each
    source's runs. Objectives of cycles that have left the config are read from the store and
    kept aside: :meth:`DashboardData.select` shows them when their cycle is asked for.

    ``histories=False`` (the JSON documents of objectives, KRs and sources, which show no
    chart) reads no measurement row: each KR's history is empty, its source the latest
    value's."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    known = with_archive(loaded, store)
    config = known.config
    # Progress is summed by the store as for `syncd status` (the same values in both); the
    # history is read for the charts.
    overview = build_overview(known, store, now)
    found = cycle_histories(known, store, now) if histories else {}
    before = {
        kr.id: kr
        for objective in build_overview(known, store, now - WEEK)
        for kr in objective.key_results
    }
    configured = {kr.id: kr for _, kr in config.key_results()}
    views: dict[str, KRView] = {}
    for objective in overview:
        objective_cycle = config.cycles[objective.cycle]
        for progress in objective.key_results:
            view = _kr_view(
                progress,
                configured[progress.id],
                objective_cycle,
                found.get(progress.id, []),
                known,
            )
            if not histories:
                view = replace(view, source=progress.source)
            views[progress.id] = replace(view, week_ago=before.get(progress.id))
    checkin_types = _checkin_types({s.type for s in config.sources.values()})
    everything = DashboardData(
        now=now,
        tz=config.tz,
        groups=_groups(overview),
        key_results=views,
        source_types={name: source.type for name, source in config.sources.items()},
        sources=tuple(
            source_health(
                name,
                source.type,
                store.runs(limit=RUNS_PER_SOURCE, source=name),
                checkin=source.type in checkin_types,
            )
            for name, source in config.sources.items()
        ),
        sinks=tuple(sink_health(config, store)),
        teams=tuple(sorted({objective.team for objective in config.objectives})),
        cycles=tuple(sorted(config.cycles, key=lambda name: config.cycles[name].start)),
        configured_cycles=frozenset(loaded.config.cycles),
        everything=tuple(overview),
    )
    return everything.select()


def _checkin_types(types: set[str]) -> set[str]:
    """The source types whose values people push (``manual``): never fetched, never failing."""
    found = set()
    for type_ in types:
        try:
            if not registry.load_connector(type_).pull:
                found.add(type_)
        except Exception:  # an unloadable connector shows up as failing runs instead
            continue
    return found


def summary(
    overview: Sequence[ObjectiveProgress], views: dict[str, KRView], now: datetime
) -> Summary:
    """KRs per status (worst first), mean objective score per commitment, the week's changes."""
    krs = [kr for objective in overview for kr in objective.key_results]
    counts = {status: sum(1 for kr in krs if kr.status == status) for status in STATUS_ORDER}

    def mean(commitment: str) -> float | None:
        scores = [o.score for o in overview if o.commitment == commitment and o.score is not None]
        return sum(scores) / len(scores) if scores else None

    changes = []
    for kr in krs:
        before = views[kr.id].week_ago
        if before is not None and before.status != kr.status:
            changes.append(
                StatusChange(id=kr.id, title=kr.title, before=before.status, now=kr.status)
            )
    week_start = now - WEEK
    checkins = sum(
        1
        for kr in krs
        if kr.checked_in_at is not None and kr.checked_in_at.astimezone(UTC) > week_start
    )
    return Summary(
        counts={status: count for status, count in counts.items() if count},
        committed=mean("committed"),
        aspirational=mean("aspirational"),
        changes=tuple(changes),
        checkins=checkins,
    )


def alignment_tree(overview: Sequence[ObjectiveProgress]) -> tuple[TreeNode, ...]:
    """The shown objectives as a forest: roots are those whose parent is not shown."""
    ids = {objective.id for objective in overview}
    children: dict[str, list[ObjectiveProgress]] = {}
    for objective in overview:
        if objective.parent in ids and objective.parent != objective.id:
            children.setdefault(objective.parent, []).append(objective)

    def node(objective: ObjectiveProgress, trail: frozenset[str]) -> TreeNode:
        kids = [kid for kid in children.get(objective.id, []) if kid.id not in trail]
        return TreeNode(objective, tuple(node(kid, trail | {objective.id}) for kid in kids))

    roots = [o for o in overview if o.parent not in ids or o.parent == o.id]
    return tuple(node(root, frozenset()) for root in roots)


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
    rows: Sequence[StoredPoint],
    loaded: LoadedConfig,
) -> KRView:
    tz = loaded.config.tz
    bounds = cycle_bounds(cycle, tz)
    start, end = bounds.start, bounds.end
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
    types = source_types(source, {n: s.type for n, s in loaded.config.sources.items()})
    return KRView(
        progress=progress,
        history=history,
        pace=pace_line(kr, cycle, tz),
        cycle_start=start,
        cycle_end=end,
        source=source,
        source_types=tuple(types),
    )


def pace_line(kr: KeyResult, cycle: Cycle, tz: ZoneInfo) -> tuple[PacePoint, ...]:
    """The expected value at each local midnight of the cycle, first day to the day after
    the last (daily, so step pacing shows its steps); empty for ``maintain`` KRs."""
    if kr.baseline is None or kr.target is None:
        return ()
    baseline, target = kr.baseline, kr.target
    pacing = None if kr.pacing is None else kr.pacing.model_dump_json()
    key = (cycle.start, cycle.end, tz.key, pacing, baseline, target)
    line = _LINES.get(key)
    if line is None:
        line = tuple(
            PacePoint(at=at, value=baseline + share * (target - baseline))
            for at, share in _pace_shares(cycle, tz, kr.pacing)
        )
        if len(_LINES) >= _SHARES_KEPT:
            _LINES.clear()
        _LINES[key] = line
    return line


_LINES: dict[tuple[object, ...], tuple[PacePoint, ...]] = {}


_SHARES: dict[tuple[object, ...], tuple[tuple[datetime, float], ...]] = {}
_SHARES_KEPT = 256


def _pace_shares(
    cycle: Cycle, tz: ZoneInfo, pacing: Pacing | None
) -> tuple[tuple[datetime, float], ...]:
    """The expected share at each local midnight of the cycle: the same for every KR of a
    cycle with the same pacing, so computed once for them (not once per KR)."""
    key = (cycle.start, cycle.end, tz.key, None if pacing is None else pacing.model_dump_json())
    shares = _SHARES.get(key)
    if shares is None:
        found = []
        day = cycle.start
        while day <= cycle.end + timedelta(days=1):
            at = local_midnight(day, tz).astimezone(UTC)
            found.append((at, expected(at, cycle, tz, pacing)))
            day += timedelta(days=1)
        if len(_SHARES) >= _SHARES_KEPT:
            _SHARES.clear()
        shares = _SHARES[key] = tuple(found)
    return shares


def source_health(
    name: str, type_: str, runs: Sequence[SyncRun], *, checkin: bool = False
) -> SourceHealth:
    """Summarise a source's runs (newest first); runs still in flight are left out. A check-in
    source is never failing: nothing is fetched from it."""
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
        failing=not checkin and newest is not None and newest.outcome in FAILED_OUTCOMES,
        checkin=checkin,
    )
