"""``syncd preview``: measure one KR or metric now, as a sync would, and store nothing.

An analyst checks a binding before it goes live: the window it resolves to, the upstream
requests it makes (as the connector describes them, secrets left out) and the value. A KR is
planned like any pass (:mod:`syncd.planner`: its cycle, its day rule, the present-only guard)
for the moment itself rather than its schedule's slot; a metric over the cycle containing that
moment. Both are collected and evaluated by :func:`syncd.sync.measure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syncd.abc import Window
from syncd.collect import ConnectorPool
from syncd.config import LoadedConfig
from syncd.errors import ConfigError, ConfigIssue
from syncd.evaluate import Evaluated
from syncd.logs import scrub
from syncd.planner import Binding, MetricBinding, Planner, requests_by_source
from syncd.sync import measure


@dataclass(frozen=True)
class Preview:
    """What a preview found."""

    target: str
    metric: str
    window_spec: str
    window: Window
    requests: tuple[tuple[str, str], ...]  # (source, description)
    evaluated: Evaluated
    upstream_calls: int


def run_preview(
    loaded: LoadedConfig, target: str, now: datetime, *, present: datetime | None = None
) -> Preview:
    """Measure ``target`` (a KR id or a metric name) at ``now``, with ``present`` (default
    ``now``) the moment it really is, and ask its sources."""
    config = loaded.config
    planner = Planner(config)
    bound: Binding | MetricBinding | str
    if target in {kr.id for _, kr in config.key_results()}:
        plan = planner.plan(now, kr_ids=[target], per_schedule=False, present=present)
        bound = plan.bindings[0] if plan.bindings else dict(plan.skipped)[target]
        metric_name = config.key_result(target)[1].metric or ""
    elif target in config.metrics:
        bound = planner.metric_binding(target, now)
        metric_name = target
    else:
        raise ConfigError(
            ConfigIssue(
                f"{target!r} is neither a key result id nor a metric name",
                hint="metrics: " + ", ".join(sorted(config.metrics)),
            )
        )
    if isinstance(bound, str):
        raise ConfigError(ConfigIssue(f"{target}: {bound}"))
    requests = requests_by_source(planner.evaluator, [bound])
    with ConnectorPool(config.sources, config.tz) as pool:
        ((_, evaluated),), outcomes = measure(planner.evaluator, pool, [bound], requests)
        described = [
            (source, scrub(pool.get(source).describe(request)))
            for source, asked in requests.items()
            if outcomes[source].error is None
            for request in asked
        ]
    return Preview(
        target=target,
        metric=metric_name,
        window_spec=bound.metric.window,
        window=bound.window,
        requests=tuple(described),
        evaluated=evaluated,
        upstream_calls=sum(outcome.stats.calls for outcome in outcomes.values()),
    )
