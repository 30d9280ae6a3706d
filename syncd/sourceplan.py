"""What one sync pass would ask of each source, and how, without asking it (``syncd plan``).

:func:`requests_by_source` turns the configuration into each source's due requests through
:func:`syncd.planner.plan`, the planner every pass uses; :func:`plan_sources` hands them to
each connector's strategies and :mod:`syncd.cost` picks the cheapest, exactly as a pass
does, then adds the floor: the least time the chosen calls take under the source's limits.
No connector is asked anything upstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd import cost
from syncd.abc import MetricRequest, QueryModel
from syncd.collect import ConnectorPool
from syncd.config import LoadedConfig

DEFAULT_LATENCY = 0.1
"""Seconds per upstream round trip assumed by the floor when none is given."""


@dataclass(frozen=True)
class SourceCost:
    """One source's plan: its requests, the strategies taken and the floor."""

    source: str
    type: str
    requests: int
    plan: cost.SourcePlan
    concurrency: int
    rate_per_second: float | None
    floor_seconds: float


def requests_by_source(
    loaded: LoadedConfig, as_of: datetime
) -> dict[str, list[MetricRequest[QueryModel]]]:
    """Each pulled source's distinct requests due at ``as_of``, as a sync pass asks them."""
    from syncd.planner import plan

    due = plan(loaded.config, as_of).requests
    return {source: list(requests) for source, requests in due.items()}


def plan_sources(
    loaded: LoadedConfig,
    requests: dict[str, list[MetricRequest[QueryModel]]],
    *,
    latency: float = DEFAULT_LATENCY,
    choose: cost.Chooser = cost.cheapest,
) -> list[SourceCost]:
    """Each source's strategies for its ``requests``, chosen as a pass chooses them."""
    config = loaded.config
    costs: list[SourceCost] = []
    with ConnectorPool(config.sources, config.tz) as pool:
        for source, asked in requests.items():
            connector: Any = pool.get(source)
            plan = cost.plan(connector, asked, choose)
            limiter = connector.context.limiter
            concurrency = limiter.concurrency if limiter is not None else 1
            rate = limiter.rate if limiter is not None else None
            floor = cost.floor_seconds(
                plan.calls, latency=latency, concurrency=concurrency, rate_per_second=rate
            )
            costs.append(
                SourceCost(
                    source=source,
                    type=config.sources[source].type,
                    requests=len(asked),
                    plan=plan,
                    concurrency=concurrency,
                    rate_per_second=rate,
                    floor_seconds=floor,
                )
            )
    return costs


def render(costs: Sequence[SourceCost], latency: float) -> list[str]:
    """The plan as lines of at most 80 columns for people."""
    lines: list[str] = []
    for item in costs:
        rate = f"{item.rate_per_second:.3g}/s" if item.rate_per_second else "no rate limit"
        lines.append(
            f"{item.source} ({item.type}): {item.requests} requests, {item.plan.calls} calls "
            f"(one each: {item.plan.plain_calls})"
        )
        lines.append(
            f"  floor {item.floor_seconds:.2f} s ({item.concurrency} in flight, {rate}, "
            f"{latency * 1000:.0f} ms a call)"
        )
        for choice in item.plan.choices:
            chosen = choice.chosen
            lines.append(f"  - {chosen.name}: {_cost(chosen)}, {chosen.requests} requests")
            for other in choice.alternatives:
                if other is not chosen:
                    lines.append(f"      instead of {other.name}: {_cost(other)}")
    if costs:
        slowest = max(costs, key=lambda item: item.floor_seconds)
        lines.append(
            f"cycle floor: {slowest.floor_seconds:.2f} s (the slowest source, {slowest.source})"
        )
    else:
        lines.append("nothing is due: no source would be asked")
    return lines


def _cost(strategy: cost.AnyStrategy) -> str:
    calls = f"{strategy.calls} call" + ("" if strategy.calls == 1 else "s")
    return f"{calls}, {strategy.rows} rows" if strategy.rows else calls
