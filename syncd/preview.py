"""``syncd preview``: run one KR's or metric's query now, store nothing.

An analyst checks a binding before it goes live: the window it resolves to, the upstream
requests it makes (as the connector describes them, secrets left out) and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syncd.abc import CollectResult, RequestKey, Window
from syncd.collect import ConnectorPool, collect_from_source
from syncd.config import LoadedConfig
from syncd.errors import ConfigError, ConfigIssue
from syncd.evaluate import Evaluated
from syncd.logs import scrub
from syncd.sync import Syncer
from syncd.windows import parse_window


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


def run_preview(loaded: LoadedConfig, target: str, now: datetime) -> Preview:
    """Resolve ``target`` (a KR id or a metric name) at ``now`` and ask its sources."""
    config = loaded.config
    metric_name, cycle_name = target, None
    kr_ids = {kr.id for _, kr in config.key_results()}
    if target in kr_ids:
        objective, key_result = config.key_result(target)
        if key_result.metric is None:
            raise ConfigError(ConfigIssue(f"{target} has no metric: its values come by check-in"))
        metric_name, cycle_name = key_result.metric, objective.cycle
    elif target not in config.metrics:
        raise ConfigError(
            ConfigIssue(
                f"{target!r} is neither a key result id nor a metric name",
                hint="metrics: " + ", ".join(sorted(config.metrics)),
            )
        )
    metric = config.metrics[metric_name]
    if not Syncer(loaded).pulls(metric):
        raise ConfigError(
            ConfigIssue(f"{metric_name} reads a manual source: its values come by check-in")
        )
    if cycle_name is None:
        cycle_name = next(
            (name for name, c in config.cycles.items() if c.start <= now.date() <= c.end), None
        )
    if cycle_name is None:
        raise ConfigError(
            ConfigIssue(
                f"no cycle contains {now.date()}, so the window of {metric_name} is undefined",
                hint="preview a KR id instead, or pass --as-of with a moment inside a cycle",
            )
        )
    cycle = config.cycles[cycle_name]
    syncer = Syncer(loaded)
    window = parse_window(metric.window).resolve(now, config.tz, cycle.start, cycle.end)
    running_day = config.key_result(target)[1].running_day if target in kr_ids else False
    decided = syncer.days(metric, window, running_day=running_day)
    if isinstance(decided, str):
        raise ConfigError(ConfigIssue(f"{target}: {decided}"))
    window, days = decided
    evaluator = syncer.evaluator
    requests = evaluator.requests(metric, window, days)
    results: dict[RequestKey, CollectResult] = {}
    calls = 0
    described: list[tuple[str, str]] = []
    with ConnectorPool(config.sources, config.tz) as pool:
        for source in sorted({request.source for request in requests}):
            mine = [request for request in requests if request.source == source]
            outcome = collect_from_source(pool, source, mine)
            results.update(outcome.results)
            calls += outcome.stats.calls
            if outcome.error is None:
                described += [(source, scrub(pool.get(source).describe(r))) for r in mine]
    return Preview(
        target=target,
        metric=metric_name,
        window_spec=metric.window,
        window=window,
        requests=tuple(described),
        evaluated=evaluator.evaluate(metric, window, results, days),
        upstream_calls=calls,
    )
