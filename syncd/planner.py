"""The planner: which KRs to measure for which slot and window, and what to ask each source.

One planner serves ``syncd sync`` (and ``--dry-run``), ``syncd backfill``, ``syncd preview`` and
the daemon's jobs, so they bind, window, guard and deduplicate alike. It is a pure function of
the configuration, the moment measured (``as_of``), the moment it really is (``present``), the
KR selection and the settle windows the caller read from its store: it reads no store and asks
no source.

The plan binds each KR to its metric at the KR's current *slot* (its schedule's latest moment),
so running the same pass twice in one slot measures the same windows and the store updates rows
instead of adding them. Two rules are decided here, once, for every connector (each reads its
query's :class:`~syncd.abc.QueryTraits`):

- **Whole days.** When an operand of a metric counts whole days (GA4, a date column), the
  window is snapped to complete local days of that operand's zone: both bounds move back to the
  local midnight at or before them, so the day not yet over is left out (a KR opts into it with
  ``running_day: true``). Every operand of the metric is read over the same snapped window and
  the same dates, and the stored measurement records that window. Example: an hourly
  ``trailing_7d`` KR measured at 14:00 on 5 Dec reads 28 Nov 00:00 – 5 Dec 00:00.
- **Present only.** A query that can only read the present (its ``past_windows`` or
  ``past_snapshots`` is false) is never asked for a slot older than the current one: not by
  backfill, not by the daemon's catch-up, not by a settle re-read, not by a preview; the skip
  says why.

:func:`plan` is the entry point; :attr:`Plan.requests` is what each source will be asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from syncd import registry
from syncd.abc import MetricRequest, QueryModel, RequestKey, Window
from syncd.config.models import Config, Cycle, KeyResult, Metric, Objective
from syncd.cycles import cycle_bounds
from syncd.evaluate import DayRule, MetricEvaluator
from syncd.lookup import require_krs
from syncd.schedule import Schedule, parse_duration, parse_schedule
from syncd.windows import local_midnight, parse_window

# After a cycle ends its KRs are measured once more for the end moment, for this long, so late
# restatements still land in the final value.
CLOSED_CYCLE_GRACE = timedelta(days=7)

Request = MetricRequest[QueryModel]


class Measured(Protocol):
    """A metric over one window with its day rule: what is asked and evaluated."""

    @property
    def metric(self) -> Metric: ...

    @property
    def window(self) -> Window: ...

    @property
    def days(self) -> DayRule | None: ...


@dataclass(frozen=True)
class Binding:
    """A KR bound to its metric for one slot and window."""

    objective: Objective
    kr: KeyResult
    metric: Metric
    slot: datetime
    window: Window
    days: DayRule | None = None

    def requests(self, evaluator: MetricEvaluator) -> list[Request]:
        return evaluator.requests(self.metric, self.window, self.days)


@dataclass(frozen=True)
class MetricBinding:
    """A metric, not a KR, bound to one window (``syncd preview METRIC``)."""

    name: str
    metric: Metric
    slot: datetime
    window: Window
    days: DayRule | None = None


@dataclass(frozen=True)
class Job:
    """KRs measured together by the daemon: same sources, same schedule.

    Its identity, ``warehouse@hourly``, is what instances claim slots of and lock on, so it must
    be the same for every instance with the same config.
    """

    key: str
    schedule: Schedule
    sources: tuple[str, ...]
    kr_ids: tuple[str, ...]


@dataclass(frozen=True)
class SettleRead:
    """Stored windows of ``kr_id`` ending in [``since``, ``until``) are to be read again."""

    kr_id: str
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Plan:
    """What one pass measures: per KR its bindings, per source the distinct requests."""

    as_of: datetime
    present: datetime
    bindings: tuple[Binding, ...]
    skipped: tuple[tuple[str, str], ...]
    requests: Mapping[str, tuple[Request, ...]] = field(default_factory=dict)
    """Per source (sorted by name), every distinct request once, in plan order; a
    day-granular request carries its :class:`~syncd.abc.DaySpan` in ``days``."""

    @property
    def by_kr(self) -> dict[str, list[Binding]]:
        """Each KR's bindings: its slot first, then the settle re-reads."""
        found: dict[str, list[Binding]] = {}
        for binding in self.bindings:
            found.setdefault(binding.kr.id, []).append(binding)
        return found

    @property
    def sources(self) -> list[str]:
        return list(self.requests)

    def settle_reads(self) -> list[SettleRead]:
        """What the caller reads from its store for :meth:`Planner.settled`: per KR with a
        ``settle`` lag, the windows measured within it before this slot."""
        return _settle_reads(self.bindings)


@dataclass(frozen=True)
class Backfill:
    """A whole backfill as one plan, and which of its bindings each day brought."""

    plan: Plan
    days: tuple[tuple[date, tuple[Binding, ...]], ...]
    """Per day, in order, the bindings first planned by that day's pass (a (KR, window) two
    days bind is measured once, for the first); settle re-reads come with the last day."""


def _settle_reads(bindings: Iterable[Binding]) -> list[SettleRead]:
    return [
        SettleRead(b.kr.id, b.slot - parse_duration(b.kr.settle), b.slot)
        for b in bindings
        if b.kr.settle is not None
    ]


def requests_by_source(
    evaluator: MetricEvaluator, measured: Iterable[Measured]
) -> dict[str, tuple[Request, ...]]:
    """Every distinct request of ``measured`` once, per source (sorted by source name)."""
    found: dict[str, dict[RequestKey, Request]] = {}
    for item in measured:
        for request in evaluator.requests(item.metric, item.window, item.days):
            found.setdefault(request.source, {}).setdefault(request.key, request)
    return {source: tuple(found[source].values()) for source in sorted(found)}


class Planner:
    """Plans passes for one configuration. Holds no state but caches (traits, slots)."""

    def __init__(self, config: Config, evaluator: MetricEvaluator | None = None) -> None:
        self.config = config
        self.tz: ZoneInfo = config.tz
        self.evaluator = evaluator or MetricEvaluator(config)

    def pulls(self, metric: Metric) -> bool:
        """Whether every source the metric reads is pulled (not a manual check-in source)."""
        return all(
            registry.load_connector(self.config.sources[source].type).pull
            for source in self.evaluator.sources(metric)
        )

    # -- passes -----------------------------------------------------------------------------

    def plan(
        self,
        as_of: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        per_schedule: bool = True,
        present: datetime | None = None,
        settled: Mapping[str, Sequence[Window]] | None = None,
    ) -> Plan:
        """The bindings to measure for ``as_of``, and the KRs skipped with the reason.

        With ``per_schedule`` each KR is measured at its schedule's latest slot; without, at
        ``as_of`` itself (backfill's whole days, preview). ``present`` (default ``as_of``) is
        the moment the pass really runs at: a snapshot older than that is not asked of sources
        that only know the present. ``settled``: see :meth:`settled`.
        """
        present = present or as_of
        wanted = set(kr_ids) if kr_ids is not None else None
        if wanted is not None:
            require_krs(self.config, wanted)
        bindings, skipped = self._bind_all(as_of, wanted, per_schedule, present, _Slots(self.tz))
        planned = self._plan(as_of, present, bindings, skipped)
        return self.settled(planned, settled) if settled else planned

    def backfill(
        self,
        since: date,
        until: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        settled: Callable[[Sequence[SettleRead]], Mapping[str, Sequence[Window]]] | None = None,
    ) -> Backfill:
        """Every day of a backfill from ``since`` to ``until`` in one plan (see
        :func:`backfill_moments`): each day bound as its own pass would bind it (``present``
        is ``until``), each (KR, window) once, and per source every distinct request of all
        days, so a connector's batches and shared scans span the days.

        ``settled`` reads the store for the settle reads of every day at once; a window it
        finds is read again when a day's pass would have read it (it ends within that day's
        settle lag) and it is not measured by the backfill anyway."""
        wanted = set(kr_ids) if kr_ids is not None else None
        if wanted is not None:
            require_krs(self.config, wanted)
        slots = _Slots(self.tz)
        taken: dict[tuple[str, Window], Binding] = {}
        days: list[tuple[date, list[Binding]]] = []
        skipped: list[tuple[str, str]] = []
        reads: list[SettleRead] = []
        for day, as_of, per_schedule in backfill_moments(since, until, self.tz):
            bindings, skipped = self._bind_all(as_of, wanted, per_schedule, until, slots)
            fresh = []
            for binding in bindings:
                if taken.setdefault((binding.kr.id, binding.window), binding) is binding:
                    fresh.append(binding)
            days.append((day, fresh))
            reads += _settle_reads(bindings)
        if settled is not None and reads:
            again = self._settled_again(reads, settled(reads), taken)
            days[-1][1].extend(again)
        plan = self._plan(until, until, list(taken.values()), skipped)
        return Backfill(plan, tuple((day, tuple(bindings)) for day, bindings in days))

    def settled(self, plan: Plan, windows: Mapping[str, Sequence[Window]]) -> Plan:
        """``plan`` with earlier windows of its KRs read again (``windows``: per KR id, the
        stored windows the caller found for :meth:`Plan.settle_reads`), each bound under the
        present-only guard and kept only when it still binds to the same window."""
        again: list[Binding] = []
        for binding in plan.bindings:
            for stored in windows.get(binding.kr.id, ()):
                window = stored.astimezone(self.tz)
                bound = self.bind(
                    binding.objective, binding.kr, binding.metric, window.end, window, past=True
                )
                if isinstance(bound, Binding) and bound.window == window:
                    again.append(bound)
        return self._plan(plan.as_of, plan.present, [*plan.bindings, *again], plan.skipped)

    def _settled_again(
        self,
        reads: Sequence[SettleRead],
        found: Mapping[str, Sequence[Window]],
        taken: dict[tuple[str, Window], Binding],
    ) -> list[Binding]:
        """The stored windows of ``found`` that a settle read of ``reads`` covers, bound again
        like :meth:`settled` binds them; those ``taken`` already are left out (and each
        added to it)."""
        by_kr: dict[str, list[SettleRead]] = {}
        for read in reads:
            by_kr.setdefault(read.kr_id, []).append(read)
        first = {kr_id: binding for (kr_id, _w), binding in reversed(taken.items())}
        again: list[Binding] = []
        for kr_id, windows in found.items():
            binding = first.get(kr_id)
            if binding is None:
                continue
            for stored in windows:
                window = stored.astimezone(self.tz)
                if (kr_id, window) in taken or not any(
                    read.since <= window.end < read.until for read in by_kr.get(kr_id, ())
                ):
                    continue
                bound = self.bind(
                    binding.objective, binding.kr, binding.metric, window.end, window, past=True
                )
                if isinstance(bound, Binding) and bound.window == window:
                    taken[(kr_id, window)] = bound
                    again.append(bound)
        return again

    def jobs(self) -> dict[str, Job]:
        """Every pulled KR grouped into the daemon's jobs (sources × schedule); manual KRs and
        KRs without a metric need none."""
        grouped: dict[tuple[tuple[str, ...], str], list[str]] = {}
        for _objective, kr in self.config.key_results():
            if kr.metric is None:
                continue
            metric = self.config.metrics[kr.metric]
            if not self.pulls(metric):
                continue
            sources = tuple(sorted(self.evaluator.sources(metric)))
            schedule = parse_schedule(kr.schedule).spec
            grouped.setdefault((sources, schedule), []).append(kr.id)
        return {
            f"{'+'.join(sources)}@{spec}": Job(
                key=f"{'+'.join(sources)}@{spec}",
                schedule=parse_schedule(spec),
                sources=sources,
                kr_ids=tuple(kr_ids),
            )
            for (sources, spec), kr_ids in grouped.items()
        }

    def requests_by_job(self, plan: Plan) -> dict[str, dict[str, tuple[Request, ...]]]:
        """``plan``'s requests as the daemon's jobs ask them: per job key, per source, the
        distinct requests of that job's KRs. A one-shot pass (``syncd sync``, ``backfill``)
        asks :attr:`Plan.requests`, the union: a request two jobs share is asked once there
        and once per job in the daemon, whose jobs fire, claim and fail apart."""
        job_of = {kr_id: job.key for job in self.jobs().values() for kr_id in job.kr_ids}
        grouped: dict[str, list[Binding]] = {}
        for binding in plan.bindings:
            grouped.setdefault(job_of[binding.kr.id], []).append(binding)
        return {key: requests_by_source(self.evaluator, found) for key, found in grouped.items()}

    def metric_binding(self, name: str, as_of: datetime) -> MetricBinding | str:
        """Metric ``name`` over its window at ``as_of`` in the cycle containing that day; or
        why it cannot be measured."""
        metric = self.config.metrics[name]
        if not self.pulls(metric):
            return "reads a manual source: its values come by check-in"
        day = as_of.astimezone(self.tz).date()
        cycle = next((c for c in self.config.cycles.values() if c.start <= day <= c.end), None)
        if cycle is None:
            return f"no cycle contains {day}, so its window is undefined"
        window = parse_window(metric.window).resolve(as_of, self.tz, cycle.start, cycle.end)
        decided = self.days(metric, window, running_day=False)
        if isinstance(decided, str):
            return decided
        window, days = decided
        return MetricBinding(name, metric, as_of, window, days)

    # -- one KR -----------------------------------------------------------------------------

    def bind(
        self,
        objective: Objective,
        kr: KeyResult,
        metric: Metric,
        slot: datetime,
        window: Window,
        *,
        past: bool,
    ) -> Binding | str:
        """``metric`` bound over ``window``, its days decided (see the module's rules); or why
        it cannot be measured."""
        decided = self.days(metric, window, running_day=kr.running_day)
        if isinstance(decided, str):
            return decided
        window, days = decided
        if past:
            for request in self.evaluator.requests(metric, window, days):
                if not self.evaluator.traits(request.source, request.query).sees(window):
                    what = "a snapshot" if window.is_snapshot else "a window"
                    return (
                        f"{request.source} reads only the present state for this query, so it "
                        f"cannot tell {what} ending {window.end.isoformat()}"
                    )
        return Binding(objective, kr, metric, slot, window, days)

    def days(
        self, metric: Metric, window: Window, *, running_day: bool
    ) -> tuple[Window, DayRule | None] | str:
        """``window`` snapped to whole days when an operand of ``metric`` counts days, with
        its day rule; or why no complete day is in it yet."""
        days = self.evaluator.day_rule(metric, window, running_day=running_day)
        if days is None:
            return window, None
        snapped = days.snap(window)
        if snapped.start >= snapped.end and not window.is_snapshot:
            return (
                f"no complete day in its window yet (from {window.start.isoformat()}); "
                "set running_day: true to count the day so far"
            )
        return snapped, days

    def _bind_all(
        self,
        as_of: datetime,
        wanted: set[str] | None,
        per_schedule: bool,
        present: datetime,
        slots: _Slots,
    ) -> tuple[list[Binding], list[tuple[str, str]]]:
        bindings: list[Binding] = []
        skipped: list[tuple[str, str]] = []
        for objective, kr in self.config.key_results():
            if wanted is not None and kr.id not in wanted:
                continue
            bound = self._bind_kr(objective, kr, as_of, present, per_schedule, slots)
            if isinstance(bound, str):
                skipped.append((kr.id, bound))
            else:
                bindings.append(bound)
        return bindings, skipped

    def _bind_kr(
        self,
        objective: Objective,
        kr: KeyResult,
        as_of: datetime,
        present: datetime,
        per_schedule: bool,
        slots: _Slots,
    ) -> Binding | str:
        if kr.metric is None:
            return "no metric: values arrive by `syncd checkin`"
        metric = self.config.metrics[kr.metric]
        if not self.pulls(metric):
            return "manual source: values arrive by `syncd checkin`"
        cycle = self.config.cycles[objective.cycle]
        slot = self._slot(kr, cycle, as_of, per_schedule=per_schedule, slots=slots)
        if isinstance(slot, str):
            return slot
        spec = parse_window(metric.window)
        window = spec.resolve(slot, self.tz, cycle.start, cycle.end)
        if window.is_snapshot and spec.kind != "snapshot":
            return f"empty window at {slot.isoformat()}"
        current = slots.slot(kr.schedule, present)
        return self.bind(objective, kr, metric, slot, window, past=slot < current)

    def _slot(
        self, kr: KeyResult, cycle: Cycle, as_of: datetime, *, per_schedule: bool, slots: _Slots
    ) -> datetime | str:
        bounds = cycle_bounds(cycle, self.tz)
        slot = slots.slot(kr.schedule, as_of) if per_schedule else as_of
        if slot <= bounds.start:
            return f"cycle starts {cycle.start.isoformat()}"
        if slot > bounds.end:
            if as_of - bounds.end > CLOSED_CYCLE_GRACE:
                return f"cycle ended {cycle.end.isoformat()}"
            slot = bounds.end
        return slot.astimezone(self.tz)

    def _plan(
        self,
        as_of: datetime,
        present: datetime,
        bindings: Sequence[Binding],
        skipped: Iterable[tuple[str, str]],
    ) -> Plan:
        return Plan(
            as_of=as_of,
            present=present,
            bindings=tuple(bindings),
            skipped=tuple(skipped),
            requests=requests_by_source(self.evaluator, bindings),
        )


def plan(
    config: Config,
    as_of: datetime,
    *,
    kr_ids: Iterable[str] | None = None,
    per_schedule: bool = True,
    present: datetime | None = None,
    settled: Mapping[str, Sequence[Window]] | None = None,
) -> Plan:
    """The plan of one pass (see :meth:`Planner.plan`): ``plan(...).requests`` is, per source,
    what the pass asks."""
    return Planner(config).plan(
        as_of, kr_ids=kr_ids, per_schedule=per_schedule, present=present, settled=settled
    )


def backfill_moments(
    since: date, until: datetime, tz: ZoneInfo
) -> list[tuple[date, datetime, bool]]:
    """The passes of a backfill: per day from ``since``, the moment measured and whether at
    the schedule's slot. Whole past days are measured at their end; the last, partial day at
    the schedule's slot, so it meets the next regular sync on the same natural key."""
    passes: list[tuple[date, datetime, bool]] = []
    day = since
    while True:
        as_of = min(local_midnight(day + timedelta(days=1), tz), until)
        passes.append((day, as_of, as_of >= until))
        if as_of >= until:
            return passes
        day += timedelta(days=1)


class _Slots:
    """Schedule slots of one pass, each computed once per (schedule, moment): a thousand KRs
    share a handful of schedules, and a cron slot costs a walk through fire times."""

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._known: dict[tuple[str, datetime], datetime] = {}

    def slot(self, spec: str, moment: datetime) -> datetime:
        key = (spec, moment)
        if key not in self._known:
            self._known[key] = parse_schedule(spec).slot(moment, self._tz)
        return self._known[key]
