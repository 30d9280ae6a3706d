"""One sync pass: plan which KRs to measure for which slot, collect, evaluate, store.

The plan binds each KR to its metric at the KR's current *slot* (its schedule's latest moment),
so running the same pass twice in one slot measures the same windows and the store updates rows
instead of adding them. Sources are collected in parallel, each isolated: a failing source
costs only the KRs that need it, and a pass takes as long as its slowest source.

Two rules are decided here, once, for every connector (each reads its query's
:class:`~syncd.abc.QueryTraits`):

- **Whole days.** When an operand of a metric counts whole days (GA4, a date column), the
  window is snapped to complete local days of that operand's zone: both bounds move back to the
  local midnight at or before them, so the day not yet over is left out (a KR opts into it with
  ``running_day: true``). Every operand of the metric is read over the same snapped window and
  the same dates, and the stored measurement records that window. Example: an hourly
  ``trailing_7d`` KR measured at 14:00 on 5 Dec reads 28 Nov 00:00 – 5 Dec 00:00.
- **Present only.** A query that can only read the present (its ``past_windows`` or
  ``past_snapshots`` is false) is never asked for a slot older than the current one: not by
  backfill, not by the daemon's catch-up, not by a settle re-read; the skip says why.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from syncd import registry
from syncd.abc import (
    CollectResult,
    MetricRequest,
    QueryModel,
    RequestKey,
    RetryPolicy,
    Window,
)
from syncd.collect import ConnectorPool, SourceOutcome, collect_sources
from syncd.config import LoadedConfig
from syncd.config.models import Cycle, KeyResult, Metric, Objective
from syncd.errors import ConfigError, ConfigIssue
from syncd.evaluate import DayRule, Evaluated, MetricEvaluator, cycle_bounds
from syncd.logs import scrub
from syncd.schedule import parse_duration, parse_schedule
from syncd.store import MeasurementIn, WriteResult
from syncd.store.quota import shared_quota
from syncd.typing import MeasurementStore
from syncd.windows import local_midnight, parse_window

log = structlog.get_logger("syncd.sync")

# After a cycle ends its KRs are measured once more for the end moment, for this long, so late
# restatements still land in the final value.
CLOSED_CYCLE_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Binding:
    """A KR bound to its metric for one slot and window."""

    objective: Objective
    kr: KeyResult
    metric: Metric
    slot: datetime
    window: Window
    days: DayRule | None = None

    def requests(self, evaluator: MetricEvaluator) -> list[MetricRequest[QueryModel]]:
        return evaluator.requests(self.metric, self.window, self.days)


@dataclass(frozen=True)
class KRResult:
    """The outcome of one binding: a value, or why there is none."""

    binding: Binding
    evaluated: Evaluated

    @property
    def ok(self) -> bool:
        return self.evaluated.value is not None


@dataclass
class SyncReport:
    """What a pass did: per-KR results, per-source outcomes, what the store wrote."""

    trigger: str
    results: list[KRResult] = field(default_factory=list)
    sources: dict[str, SourceOutcome] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: WriteResult = field(default_factory=lambda: WriteResult(0, 0, 0))

    @property
    def failures(self) -> list[KRResult]:
        return [result for result in self.results if not result.ok]

    def merge(self, other: SyncReport) -> None:
        self.results.extend(other.results)
        for name, outcome in other.sources.items():
            self.sources[f"{name}@{len(self.sources)}" if name in self.sources else name] = outcome
        self.written = self.written + other.written


class Syncer:
    """Measures the configured KRs. Holds no state between passes but the config."""

    def __init__(self, loaded: LoadedConfig, *, retry: RetryPolicy | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.tz = self.config.tz
        self.evaluator = MetricEvaluator(self.config)
        self.retry = retry
        self._defined_in: set[int] = set()

    def pool(self) -> ConnectorPool:
        """A pool of the configured sources' connectors. On a PostgreSQL store each vendor
        account's rate limit is shared by every instance on it (``syncd.store.quota``); on
        SQLite each process keeps its own."""
        quota = shared_quota(self.config.store.get_secret_value())
        return ConnectorPool(self.config.sources, self.tz, self.retry, quota=quota)

    # -- planning ---------------------------------------------------------------------------

    def pulls(self, metric: Metric) -> bool:
        """Whether every source the metric reads is pulled (not a manual check-in source)."""
        return all(
            registry.load_connector(self.config.sources[source].type).pull
            for source in self.evaluator.sources(metric)
        )

    def plan(
        self,
        as_of: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        per_schedule: bool = True,
        present: datetime | None = None,
    ) -> tuple[list[Binding], list[tuple[str, str]]]:
        """The bindings to measure for ``as_of``, and the KRs skipped with the reason.

        With ``per_schedule`` each KR is measured at its schedule's latest slot; without, at
        ``as_of`` itself (backfill takes one measurement per day). ``present`` (default
        ``as_of``) is the moment the pass really runs at: a snapshot older than that is not
        asked of sources that only know the present.
        """
        present = present or as_of
        wanted = set(kr_ids) if kr_ids is not None else None
        known = {kr.id for _, kr in self.config.key_results()}
        if wanted is not None and (unknown := wanted - known):
            raise ConfigError(
                [
                    ConfigIssue(f"no key result with id {kr_id!r}", hint=_suggest(kr_id, known))
                    for kr_id in sorted(unknown)
                ]
            )
        bindings: list[Binding] = []
        skipped: list[tuple[str, str]] = []
        slots = _Slots(self.tz)  # once per schedule and moment, not once per KR
        for objective, kr in self.config.key_results():
            if wanted is not None and kr.id not in wanted:
                continue
            if kr.metric is None:
                skipped.append((kr.id, "no metric: values arrive by `syncd checkin`"))
                continue
            metric = self.config.metrics[kr.metric]
            if not self.pulls(metric):
                skipped.append((kr.id, "manual source: values arrive by `syncd checkin`"))
                continue
            cycle = self.config.cycles[objective.cycle]
            slot = self._slot(kr, cycle, as_of, per_schedule=per_schedule, slots=slots)
            if isinstance(slot, str):
                skipped.append((kr.id, slot))
                continue
            window = parse_window(metric.window).resolve(slot, self.tz, cycle.start, cycle.end)
            if window.is_snapshot and parse_window(metric.window).kind != "snapshot":
                skipped.append((kr.id, f"empty window at {slot.isoformat()}"))
                continue
            current = slots.slot(kr.schedule, present)
            bound = self.bind(objective, kr, metric, slot, window, past=slot < current)
            if isinstance(bound, str):
                skipped.append((kr.id, bound))
            else:
                bindings.append(bound)
        return bindings, skipped

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

    def _slot(
        self,
        kr: KeyResult,
        cycle: Cycle,
        as_of: datetime,
        *,
        per_schedule: bool,
        slots: _Slots | None = None,
    ) -> datetime | str:
        bounds = cycle_bounds(cycle.start, cycle.end, self.tz)
        slots = slots or _Slots(self.tz)
        slot = slots.slot(kr.schedule, as_of) if per_schedule else as_of
        if slot <= bounds.start:
            return f"cycle starts {cycle.start.isoformat()}"
        if slot > bounds.end:
            if as_of - bounds.end > CLOSED_CYCLE_GRACE:
                return f"cycle ended {cycle.end.isoformat()}"
            slot = bounds.end
        return slot.astimezone(self.tz)

    def settle_bindings(
        self, store: MeasurementStore, bindings: Sequence[Binding]
    ) -> list[Binding]:
        """Earlier windows within each binding's ``settle`` lag, to be read again."""
        again: list[Binding] = []
        for binding in bindings:
            if binding.kr.settle is None:
                continue
            since = binding.slot - parse_duration(binding.kr.settle)
            for stored in store.measurements(binding.kr.id, since=since, until=binding.slot):
                if stored.window_end >= binding.slot or stored.source == "manual":
                    continue
                window = Window(stored.window_start, stored.window_end).astimezone(self.tz)
                bound = self.bind(
                    binding.objective, binding.kr, binding.metric, window.end, window, past=True
                )
                if isinstance(bound, Binding) and bound.window == window:
                    again.append(bound)
        return again

    # -- running ----------------------------------------------------------------------------

    def collect(
        self, bindings: Sequence[Binding], pool: ConnectorPool
    ) -> tuple[list[KRResult], dict[str, SourceOutcome]]:
        """Ask each source once for every distinct request, then evaluate every binding."""
        by_source: dict[str, dict[object, MetricRequest[QueryModel]]] = defaultdict(dict)
        for binding in bindings:
            for request in binding.requests(self.evaluator):
                by_source[request.source].setdefault(request.key, request)
        outcomes = collect_sources(pool, {s: list(r.values()) for s, r in by_source.items()})
        results: dict[RequestKey, CollectResult] = {}
        for outcome in outcomes.values():
            results.update(outcome.results)
        evaluated = [
            KRResult(b, self.evaluator.evaluate(b.metric, b.window, results, b.days))
            for b in bindings
        ]
        return evaluated, outcomes

    def run(
        self,
        store: MeasurementStore,
        as_of: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        trigger: str = "once",
        per_schedule: bool = True,
        pool: ConnectorPool | None = None,
        now: Callable[[], datetime] | None = None,
        present: datetime | None = None,
    ) -> SyncReport:
        """Plan, collect, evaluate and store one pass for ``as_of`` (``present``: see
        :meth:`plan`)."""
        if id(store) not in self._defined_in:
            # Measurements reference their KR: the store must know the configured KRs first.
            store.sync_definitions(self.config)
            self._defined_in.add(id(store))
        bindings, skipped = self.plan(
            as_of, kr_ids=kr_ids, per_schedule=per_schedule, present=present
        )
        bindings += self.settle_bindings(store, bindings)
        report = SyncReport(trigger=trigger, skipped=skipped)
        if not bindings:
            return report
        own_pool = pool is None
        pool = pool or self.pool()
        sources = sorted({r.source for b in bindings for r in b.requests(self.evaluator)})
        run_ids = {
            source: store.start_run(source=source, trigger=trigger, slot=as_of)
            for source in sources
        }
        try:
            report.results, report.sources = self.collect(bindings, pool)
        finally:
            if own_pool:
                pool.close()
        collected_at = (now or _utcnow)()
        items = [
            MeasurementIn(
                key_result_id=result.binding.kr.id,
                value=result.evaluated.value,
                window_start=result.binding.window.start,
                window_end=result.binding.window.end,
                collected_at=collected_at,
                source="+".join(result.evaluated.sources),
                query_fingerprint=result.evaluated.fingerprint,
                run_id=run_ids[result.evaluated.sources[0]],
            )
            for result in report.results
            if result.evaluated.value is not None
        ]
        for result in report.failures:
            log.warning(
                "kr.not_measured",
                kr=result.binding.kr.id,
                slot=result.binding.slot.isoformat(),
                error=scrub(str(result.evaluated.error)),
            )
        report.written = store.record_measurements(items)
        per_source: dict[str, int] = defaultdict(int)
        for item in items:
            for source in item.source.split("+"):
                per_source[source] += 1
        for source, run_id in run_ids.items():
            outcome = report.sources[source]
            store.finish_run(
                run_id,
                outcome=outcome.outcome,
                error=outcome.error_text(),
                upstream_calls=outcome.stats.calls,
                retries=outcome.stats.retries,
                requests=len(outcome.results),
                measurements=per_source[source],
                duration=outcome.duration,
            )
        log.info(
            "sync.done",
            trigger=trigger,
            as_of=as_of.isoformat(),
            measured=len(items),
            failed=len(report.failures),
            inserted=report.written.inserted,
            updated=report.written.updated,
            unchanged=report.written.unchanged,
        )
        return report

    def backfill(
        self,
        store: MeasurementStore,
        since: date,
        until: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        on_day: Callable[[date, SyncReport], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> SyncReport:
        """One measurement per day from ``since`` to ``until``: the window history, rebuilt."""
        total = SyncReport(trigger="backfill")
        day = since
        with self.pool() as pool:
            while True:
                as_of = min(local_midnight(day + timedelta(days=1), self.tz), until)
                # Whole past days are measured at their end; the last, partial day at the
                # schedule's slot, so it meets the next regular sync on the same natural key.
                report = self.run(
                    store,
                    as_of,
                    kr_ids=kr_ids,
                    trigger="backfill",
                    per_schedule=as_of >= until,
                    pool=pool,
                    now=now,
                    present=until,
                )
                total.merge(report)
                total.skipped = report.skipped
                if on_day is not None:
                    on_day(day, report)
                if as_of >= until:
                    break
                day += timedelta(days=1)
        return total


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "list them with `syncd status`"
