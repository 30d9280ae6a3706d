"""Metric evaluation: a metric definition and a window become upstream requests, and the
answers become one number.

Leaf metrics read one source. Derived metrics combine operands read over the same window as the
metric being evaluated (a ratio's numerator and denominator cover the same days):

- ``ratio``: sum(numerator) / sum(denominator) × scale — never a mean of daily ratios;
- ``growth``: (current − reference) / reference, the reference being the previous period of
  equal length, the same span a year earlier, or a fixed window;
- ``sum`` / ``difference`` of operands.

Sources that count whole days get the same dates for every operand: the planner hands a
:class:`DayRule` (the zone of the metric's first day-counting operand, and whether the running
day counts), and every day-granular request carries the :class:`~syncd.abc.DaySpan` of its
window under that rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from syncd import registry
from syncd.abc import (
    CollectResult,
    DaySpan,
    MetricRequest,
    Observation,
    QueryModel,
    QueryTraits,
    RequestKey,
    Window,
)
from syncd.config.models import Config, Growth, Metric, MetricOperand, QueryLeaf, ReferenceWindow
from syncd.errors import QueryError, SourceError
from syncd.windows import local_midnight, previous_period, previous_year


@dataclass(frozen=True)
class DayRule:
    """How the windows of one binding become whole days: in ``zone``, the running day only
    when ``running_day``."""

    zone: ZoneInfo
    running_day: bool = False

    def span(self, window: Window) -> DaySpan | None:
        """The days ``window`` covers: from the day it starts (its bounds are local midnights
        once the planner snapped them) to the day it ends, that day included only when the
        running day counts and the window ends after its midnight. None for a snapshot."""
        if window.is_snapshot:
            return None
        start = window.start.astimezone(self.zone)
        end = window.end.astimezone(self.zone)
        last_midnight = local_midnight(end.date(), self.zone)
        end_day = end.date()
        if end > last_midnight and self.running_day:
            end_day += timedelta(days=1)
        first = start.date()
        return DaySpan(first, max(first, end_day))

    def snap(self, window: Window) -> Window:
        """``window`` on whole days of ``zone``: both bounds back to the local midnight at or
        before them (the end stays when the running day counts)."""
        if window.is_snapshot:
            return window
        start = local_midnight(window.start.astimezone(self.zone).date(), self.zone)
        end = window.end
        if not self.running_day:
            end = local_midnight(window.end.astimezone(self.zone).date(), self.zone)
        return Window(start, max(start, end))


@dataclass(frozen=True)
class Evaluated:
    """A metric's value over a window with its provenance, or the error that prevented it."""

    value: float | None
    error: SourceError | None
    sources: tuple[str, ...]
    fingerprint: str
    upstream: tuple[str, ...] = ()


class MetricEvaluator:
    """Turns named metrics into requests and answers into values, for one configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.tz: ZoneInfo = config.tz
        self._traits: dict[tuple[str, str], QueryTraits] = {}

    def traits(self, source: str, query: QueryModel) -> QueryTraits:
        """What the source declares for ``query`` (cached per source and query)."""
        key = (source, query.fingerprint())
        if key not in self._traits:
            config = self.config.sources[source]
            plugin = registry.load_connector(config.type)
            self._traits[key] = plugin.traits(config, query, self.tz)
        return self._traits[key]

    def day_rule(
        self, metric: Metric, window: Window, *, running_day: bool = False
    ) -> DayRule | None:
        """The day rule of a binding: the zone of the first operand that counts whole days;
        None when every operand reads exact instants."""
        for request in self._leaves(metric, window, None):
            zone = self.traits(request.source, request.query).day_zone
            if zone is not None:
                return DayRule(zone, running_day)
        return None

    def requests(
        self, metric: Metric, window: Window, days: DayRule | None = None
    ) -> list[MetricRequest[QueryModel]]:
        """Every upstream request needed to evaluate ``metric`` over ``window``."""
        found: dict[RequestKey, MetricRequest[QueryModel]] = {}
        for request in self._leaves(metric, window, days):
            found.setdefault(request.key, request)
        return list(found.values())

    def evaluate(
        self,
        metric: Metric,
        window: Window,
        results: Mapping[RequestKey, CollectResult],
        days: DayRule | None = None,
    ) -> Evaluated:
        """The metric's value from collected results (keyed by ``MetricRequest.key``)."""
        requests = self.requests(metric, window, days)
        sources = tuple(sorted({request.source for request in requests}))
        fingerprint = _combined_fingerprint(requests)
        try:
            value = self._value(metric, window, results, days)
        except SourceError as error:
            return Evaluated(None, error, sources, fingerprint)
        upstream = tuple(
            result.upstream
            for request in requests
            if isinstance(result := results.get(request.key), Observation) and result.upstream
        )
        return Evaluated(value, None, sources, fingerprint, upstream)

    def sources(self, metric: Metric) -> set[str]:
        """The names of every source the metric reads, through derived operands."""
        if metric.source is not None:
            return {metric.source}
        if metric.ratio is not None:
            operands = [metric.ratio.numerator, metric.ratio.denominator]
        elif metric.growth is not None:
            operands = [metric.growth.of]
        else:
            operands = list(metric.sum or metric.difference or [])
        return {name for operand in operands for name in self.sources(self._resolve(operand))}

    def _resolve(self, operand: MetricOperand) -> Metric:
        if isinstance(operand, QueryLeaf):
            return Metric(source=operand.source, query=operand.query)
        return self.config.metrics[operand]

    def _leaf(
        self, source: str, query: QueryModel, window: Window, days: DayRule | None
    ) -> MetricRequest[QueryModel]:
        span = None
        if days is not None and self.traits(source, query).day_zone is not None:
            span = days.span(window)
        return MetricRequest(source, query, window, span)

    def _leaves(
        self, metric: Metric, window: Window, days: DayRule | None
    ) -> list[MetricRequest[QueryModel]]:
        if metric.query is not None:
            assert metric.source is not None
            return [self._leaf(metric.source, metric.query, window, days)]
        if metric.ratio is not None:
            return self._operand_leaves(
                metric.ratio.numerator, window, days
            ) + self._operand_leaves(metric.ratio.denominator, window, days)
        if metric.growth is not None:
            reference = self._reference_window(metric.growth, window, days)
            return self._operand_leaves(metric.growth.of, window, days) + self._operand_leaves(
                metric.growth.of, reference, days
            )
        operands = metric.sum or metric.difference or []
        return [
            leaf for operand in operands for leaf in self._operand_leaves(operand, window, days)
        ]

    def _operand_leaves(
        self, operand: MetricOperand, window: Window, days: DayRule | None
    ) -> list[MetricRequest[QueryModel]]:
        return self._leaves(self._resolve(operand), window, days)

    def _value(
        self,
        metric: Metric,
        window: Window,
        results: Mapping[RequestKey, CollectResult],
        days: DayRule | None,
    ) -> float:
        if metric.query is not None:
            assert metric.source is not None
            request = self._leaf(metric.source, metric.query, window, days)
            result = results.get(request.key)
            if result is None:
                raise SourceError(f"no answer from source {metric.source!r}", source=metric.source)
            if isinstance(result, Observation):
                return result.value
            raise result.error
        if metric.ratio is not None:
            numerator = self._operand_value(metric.ratio.numerator, window, results, days)
            denominator = self._operand_value(metric.ratio.denominator, window, results, days)
            if denominator == 0:
                raise QueryError(f"ratio undefined: the denominator is 0 over {window}")
            return numerator / denominator * metric.ratio.scale
        if metric.growth is not None:
            current = self._operand_value(metric.growth.of, window, results, days)
            reference_window = self._reference_window(metric.growth, window, days)
            reference = self._operand_value(metric.growth.of, reference_window, results, days)
            if reference == 0:
                raise QueryError(f"growth undefined: the reference is 0 over {reference_window}")
            return (current - reference) / reference
        if metric.sum is not None:
            return sum(
                self._operand_value(operand, window, results, days) for operand in metric.sum
            )
        assert metric.difference is not None
        first, second = metric.difference
        return self._operand_value(first, window, results, days) - self._operand_value(
            second, window, results, days
        )

    def _operand_value(
        self,
        operand: MetricOperand,
        window: Window,
        results: Mapping[RequestKey, CollectResult],
        days: DayRule | None,
    ) -> float:
        return self._value(self._resolve(operand), window, results, days)

    def _reference_window(self, growth: Growth, window: Window, days: DayRule | None) -> Window:
        if isinstance(growth.compare_to, ReferenceWindow):
            reference = Window(
                local_midnight(growth.compare_to.start, self.tz),
                local_midnight(growth.compare_to.end, self.tz),
            )
        elif growth.compare_to == "previous_year":
            reference = previous_year(window, self.tz)
        else:
            reference = previous_period(window, self.tz)
        # The reference is complete by definition: it never counts a running day.
        return DayRule(days.zone).snap(reference) if days is not None else reference


def _combined_fingerprint(requests: list[MetricRequest[QueryModel]]) -> str:
    parts = sorted(f"{request.source}:{request.query.fingerprint()}" for request in requests)
    if len(parts) == 1:
        return parts[0].split(":", 1)[1]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
