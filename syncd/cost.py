"""Choosing how to answer a source's requests by their estimated cost, in one place.

A connector offers, for each group of its requests, alternative :class:`~syncd.abc.Strategy`
objects with estimated calls and rows (:meth:`~syncd.abc.Connector.strategies`); :func:`plan`
takes the cheapest of each group: fewest upstream calls, then fewest rows, then the connector's
own order (its first alternative is the plain one). :func:`floor_seconds` is the least time the
chosen calls can take under the source's limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from syncd.abc import Connector, MetricRequest, QueryModel, Strategy

AnyStrategy = Strategy[Any]
Chooser = Callable[[Sequence[AnyStrategy]], AnyStrategy]


def cheapest(alternatives: Sequence[AnyStrategy]) -> AnyStrategy:
    """The alternative with the fewest calls, then the fewest rows; the first on a tie."""
    if not alternatives:
        raise ValueError("no strategy to choose from")
    return min(alternatives, key=lambda strategy: (strategy.calls, strategy.rows))


def named(name: str) -> Chooser:
    """A chooser that takes the alternative called ``name`` wherever a group offers it, else
    the cheapest (tests compare strategies with it; ``plain`` is :func:`plain`)."""

    def choose(alternatives: Sequence[AnyStrategy]) -> AnyStrategy:
        for strategy in alternatives:
            if strategy.name == name:
                return strategy
        return cheapest(alternatives)

    return choose


def plain(alternatives: Sequence[AnyStrategy]) -> AnyStrategy:
    """The connector's first alternative: the request-by-request way, no optimisation."""
    return alternatives[0]


@dataclass(frozen=True)
class Choice:
    """One group of requests: the strategy taken and the alternatives it beat."""

    chosen: AnyStrategy
    alternatives: tuple[AnyStrategy, ...]


@dataclass(frozen=True)
class SourcePlan:
    """How one source answers its requests: a choice per group, and the totals."""

    choices: tuple[Choice, ...]

    @property
    def calls(self) -> int:
        return sum(choice.chosen.calls for choice in self.choices)

    @property
    def rows(self) -> int:
        return sum(choice.chosen.rows for choice in self.choices)

    @property
    def plain_calls(self) -> int:
        """What the connector's first alternatives would cost: the plan without optimisation."""
        return sum(choice.alternatives[0].calls for choice in self.choices)


def plan(
    connector: Connector[Any, Any],
    requests: Sequence[MetricRequest[QueryModel]],
    choose: Chooser = cheapest,
) -> SourcePlan:
    """The connector's strategies for ``requests``, each group's taken by ``choose``."""
    choices = []
    for alternatives in connector.strategies(requests):
        if alternatives:
            group = tuple(alternatives)
            choices.append(Choice(choose(group), group))
    return SourcePlan(tuple(choices))


def floor_seconds(
    calls: int, *, latency: float, concurrency: int, rate_per_second: float | None
) -> float:
    """The least wall time ``calls`` can take: max(calls × latency / concurrency,
    calls / rate)."""
    by_latency = calls * latency / max(1, concurrency)
    by_rate = calls / rate_per_second if rate_per_second else 0.0
    return max(by_latency, by_rate)


def pages(rows: int, page_size: int) -> int:
    """Calls needed to read ``rows`` records ``page_size`` at a time (at least one)."""
    return max(1, math.ceil(rows / page_size))
