"""One sync pass: execute a plan (:mod:`syncd.planner`): collect, evaluate, store.

Every command that measures (``sync``, its ``--dry-run``, ``backfill``, ``preview``) and the
daemon's jobs plan with :class:`~syncd.planner.Planner` and execute through :func:`measure`:
each source is asked once for every distinct request of the plan, sources in parallel, each
isolated (a failing source costs only the KRs that need it), then every binding is evaluated.
Only :meth:`Syncer.run` then stores; it also reads the settle windows the planner is handed.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

import structlog

from syncd.abc import CollectResult, RequestKey, RetryPolicy, Window
from syncd.collect import ConnectorPool, SourceOutcome, collect_sources
from syncd.config import LoadedConfig
from syncd.evaluate import Evaluated, MetricEvaluator
from syncd.logs import scrub
from syncd.planner import Binding, Measured, Plan, Planner, Request, SettleRead
from syncd.store import MeasurementIn, WriteResult
from syncd.store.abc import SyncStore
from syncd.store.quota import shared_quota

log = structlog.get_logger("syncd.sync")

M = TypeVar("M", bound=Measured)


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


def measure(
    evaluator: MetricEvaluator,
    pool: ConnectorPool,
    measured: Sequence[M],
    requests: Mapping[str, Sequence[Request]],
) -> tuple[list[tuple[M, Evaluated]], dict[str, SourceOutcome]]:
    """Ask each source for its ``requests`` (a plan's, deduplicated), then evaluate every item
    of ``measured`` from the answers. Stores nothing."""
    outcomes = collect_sources(pool, {source: list(asked) for source, asked in requests.items()})
    results: dict[RequestKey, CollectResult] = {}
    for outcome in outcomes.values():
        results.update(outcome.results)
    evaluated = [
        (item, evaluator.evaluate(item.metric, item.window, results, item.days))
        for item in measured
    ]
    return evaluated, outcomes


def read_settled(store: SyncStore, reads: Iterable[SettleRead]) -> dict[str, list[Window]]:
    """The stored windows each settle read asks for (:meth:`syncd.planner.Plan.settle_reads`):
    measured, not checked in by hand, ending before the slot."""
    found: dict[str, list[Window]] = {}
    for read in reads:
        for stored in store.measurements(read.kr_id, since=read.since, until=read.until):
            if stored.window_end >= read.until or stored.source == "manual":
                continue
            found.setdefault(read.kr_id, []).append(Window(stored.window_start, stored.window_end))
    return found


class Syncer:
    """Measures the configured KRs. Holds no state between passes but the config."""

    def __init__(self, loaded: LoadedConfig, *, retry: RetryPolicy | None = None) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.tz = self.config.tz
        self.planner = Planner(self.config)
        self.evaluator = self.planner.evaluator
        self.retry = retry
        self._defined_in: set[int] = set()

    def pool(self) -> ConnectorPool:
        """A pool of the configured sources' connectors. On a PostgreSQL store each vendor
        account's rate limit is shared by every instance on it (``syncd.store.quota``); on
        SQLite each process keeps its own."""
        quota = shared_quota(self.config.store.get_secret_value())
        return ConnectorPool(self.config.sources, self.tz, self.retry, quota=quota)

    def collect(
        self, plan: Plan, pool: ConnectorPool
    ) -> tuple[list[KRResult], dict[str, SourceOutcome]]:
        """Ask each source once for every distinct request of ``plan``, then evaluate every
        binding (``syncd sync --dry-run`` stops here)."""
        evaluated, outcomes = measure(self.evaluator, pool, plan.bindings, plan.requests)
        return [KRResult(binding, result) for binding, result in evaluated], outcomes

    def run(
        self,
        store: SyncStore,
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
        :meth:`syncd.planner.Planner.plan`)."""
        plan = self.planner.plan(as_of, kr_ids=kr_ids, per_schedule=per_schedule, present=present)
        plan = self.planner.settled(plan, read_settled(store, plan.settle_reads()))
        return self.execute(store, plan, trigger=trigger, pool=pool, now=now)

    def execute(
        self,
        store: SyncStore,
        plan: Plan,
        *,
        trigger: str = "once",
        pool: ConnectorPool | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> SyncReport:
        """Collect, evaluate and store ``plan``; one run per source in the run log."""
        return self._execute(store, plan, [plan.bindings], trigger=trigger, pool=pool, now=now)

    def _execute(
        self,
        store: SyncStore,
        plan: Plan,
        parts: Sequence[Sequence[Binding]],
        *,
        trigger: str,
        pool: ConnectorPool | None,
        now: Callable[[], datetime] | None,
        on_part: Callable[[int, SyncReport], None] | None = None,
    ) -> SyncReport:
        """:meth:`execute`, its measurements written one transaction per part of ``parts``
        (``plan``'s bindings split, each in plan order); ``on_part`` hears of each written."""
        as_of = plan.as_of
        report = SyncReport(trigger=trigger, skipped=list(plan.skipped))
        if not plan.bindings:
            self._define(store)
            return report
        own_pool = pool is None
        pool = pool or self.pool()
        # The sources are asked first; the store's bookkeeping is done while they answer.
        with ThreadPoolExecutor(1, thread_name_prefix="syncd-collect") as executor:
            collecting = executor.submit(contextvars.copy_context().run, self.collect, plan, pool)
            try:
                self._define(store)
                run_ids = {
                    source: store.start_run(source=source, trigger=trigger, slot=as_of)
                    for source in plan.sources
                }
            finally:
                try:
                    report.results, report.sources = collecting.result()
                finally:
                    if own_pool:
                        pool.close()
        collected_at = (now or _utcnow)()
        result_of = {id(result.binding): result for result in report.results}
        per_source: dict[str, int] = defaultdict(int)
        measured = 0
        for index, part in enumerate(parts):
            results = [result_of[id(binding)] for binding in part]
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
                for result in results
                if result.evaluated.value is not None
            ]
            for result in results:
                if result.evaluated.value is None:
                    log.warning(
                        "kr.not_measured",
                        kr=result.binding.kr.id,
                        slot=result.binding.slot.isoformat(),
                        error=scrub(str(result.evaluated.error)),
                    )
            written = store.record_measurements(items)
            report.written = report.written + written
            measured += len(items)
            for item in items:
                for source in item.source.split("+"):
                    per_source[source] += 1
            if on_part is not None:
                on_part(index, SyncReport(trigger, results, report.sources, [], written))
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
            measured=measured,
            failed=len(report.failures),
            inserted=report.written.inserted,
            updated=report.written.updated,
            unchanged=report.written.unchanged,
        )
        return report

    def _define(self, store: SyncStore) -> None:
        """Measurements reference their KR: the store learns the configured KRs once."""
        if id(store) not in self._defined_in:
            store.sync_definitions(self.config)
            self._defined_in.add(id(store))

    def backfill(
        self,
        store: SyncStore,
        since: date,
        until: datetime,
        *,
        kr_ids: Iterable[str] | None = None,
        on_day: Callable[[date, SyncReport], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> SyncReport:
        """One measurement per day from ``since`` to ``until``: the window history, rebuilt.

        The days are planned together (:meth:`~syncd.planner.Planner.backfill`) and every
        source is asked once for the distinct requests of all of them, so its batches and
        shared scans span the days; the values are those a pass per day would store. Each
        day's measurements are written in one transaction, then ``on_day`` hears of it."""
        self._define(store)
        planned = self.planner.backfill(
            since, until, kr_ids=kr_ids, settled=lambda reads: read_settled(store, _spans(reads))
        )
        days = [day for day, _bindings in planned.days]
        return self._execute(
            store,
            planned.plan,
            [bindings for _day, bindings in planned.days],
            trigger="backfill",
            pool=None,
            now=now,
            on_part=None if on_day is None else lambda index, report: on_day(days[index], report),
        )


def _spans(reads: Iterable[SettleRead]) -> list[SettleRead]:
    """One read per KR spanning all of its ``reads`` (the planner keeps what each covers)."""
    spans: dict[str, SettleRead] = {}
    for read in reads:
        known = spans.get(read.kr_id)
        spans[read.kr_id] = (
            read
            if known is None
            else SettleRead(read.kr_id, min(known.since, read.since), max(known.until, read.until))
        )
    return list(spans.values())


def _utcnow() -> datetime:
    return datetime.now(UTC)
