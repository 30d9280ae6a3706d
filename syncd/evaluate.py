"""Metric evaluation: a metric definition and a window become upstream requests, and the
answers become one number.

Leaf metrics read one source. Derived metrics combine operands read over the same window as the
metric being evaluated (a ratio's numerator and denominator cover the same days):

- ``ratio``: sum(numerator) / sum(denominator) × scale — never a mean of daily ratios;
- ``growth``: (current − reference) / reference, the reference being the previous period of
  equal length, the same span a year earlier, or a fixed window;
- ``sum`` / ``difference`` of operands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from syncd.abc import CollectResult, MetricRequest, Observation, Window
from syncd.config.models import Config, Growth, Metric, MetricOperand, QueryLeaf, ReferenceWindow
from syncd.errors import QueryError, SourceError
from syncd.windows import local_midnight, previous_period, previous_year

RequestKey = tuple[str, str, object, object]


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

    def requests(self, metric: Metric, window: Window) -> list[MetricRequest]:
        """Every upstream request needed to evaluate ``metric`` over ``window``."""
        found: dict[RequestKey, MetricRequest] = {}
        for request in self._leaves(metric, window):
            found.setdefault(request.key, request)
        return list(found.values())

    def evaluate(
        self, metric: Metric, window: Window, results: Mapping[RequestKey, CollectResult]
    ) -> Evaluated:
        """The metric's value from collected results (keyed by ``MetricRequest.key``)."""
        requests = self.requests(metric, window)
        sources = tuple(sorted({request.source for request in requests}))
        fingerprint = _combined_fingerprint(requests)
        try:
            value = self._value(metric, window, results)
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

    def _leaves(self, metric: Metric, window: Window) -> list[MetricRequest]:
        if metric.query is not None:
            assert metric.source is not None
            return [MetricRequest(metric.source, metric.query, window)]
        if metric.ratio is not None:
            return self._operand_leaves(metric.ratio.numerator, window) + self._operand_leaves(
                metric.ratio.denominator, window
            )
        if metric.growth is not None:
            reference = self._reference_window(metric.growth, window)
            return self._operand_leaves(metric.growth.of, window) + self._operand_leaves(
                metric.growth.of, reference
            )
        operands = metric.sum or metric.difference or []
        return [leaf for operand in operands for leaf in self._operand_leaves(operand, window)]

    def _operand_leaves(self, operand: MetricOperand, window: Window) -> list[MetricRequest]:
        return self._leaves(self._resolve(operand), window)

    def _value(
        self, metric: Metric, window: Window, results: Mapping[RequestKey, CollectResult]
    ) -> float:
        if metric.query is not None:
            assert metric.source is not None
            request = MetricRequest(metric.source, metric.query, window)
            result = results.get(request.key)
            if result is None:
                raise SourceError(f"no answer from source {metric.source!r}", source=metric.source)
            if isinstance(result, Observation):
                return result.value
            raise result.error
        if metric.ratio is not None:
            numerator = self._operand_value(metric.ratio.numerator, window, results)
            denominator = self._operand_value(metric.ratio.denominator, window, results)
            if denominator == 0:
                raise QueryError(f"ratio undefined: the denominator is 0 over {window}")
            return numerator / denominator * metric.ratio.scale
        if metric.growth is not None:
            current = self._operand_value(metric.growth.of, window, results)
            reference_window = self._reference_window(metric.growth, window)
            reference = self._operand_value(metric.growth.of, reference_window, results)
            if reference == 0:
                raise QueryError(f"growth undefined: the reference is 0 over {reference_window}")
            return (current - reference) / reference
        if metric.sum is not None:
            return sum(self._operand_value(operand, window, results) for operand in metric.sum)
        assert metric.difference is not None
        first, second = metric.difference
        return self._operand_value(first, window, results) - self._operand_value(
            second, window, results
        )

    def _operand_value(
        self, operand: MetricOperand, window: Window, results: Mapping[RequestKey, CollectResult]
    ) -> float:
        return self._value(self._resolve(operand), window, results)

    def _reference_window(self, growth: Growth, window: Window) -> Window:
        if isinstance(growth.compare_to, ReferenceWindow):
            return Window(
                local_midnight(growth.compare_to.start, self.tz),
                local_midnight(growth.compare_to.end, self.tz),
            )
        if growth.compare_to == "previous_year":
            return previous_year(window, self.tz)
        return previous_period(window, self.tz)


def _combined_fingerprint(requests: list[MetricRequest]) -> str:
    parts = sorted(f"{request.source}:{request.query.fingerprint()}" for request in requests)
    if len(parts) == 1:
        return parts[0].split(":", 1)[1]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cycle_bounds(start: date, end: date, tz: ZoneInfo) -> Window:
    """The cycle as a window: first day 00:00 to the day after the last, local time."""
    return Window(local_midnight(start, tz), local_midnight(end + timedelta(days=1), tz))
