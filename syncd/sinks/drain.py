"""One-shot delivery: run every mapped sink's consumer until the outbox has nothing for it
(``syncd sync`` after its pass, so cron users get their deliveries too)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from syncd.config.models import Config
from syncd.consumers import ConsumerRunner
from syncd.sinks.build import mapped_sinks, opened_sinks
from syncd.sinks.consumer import sink_consumers
from syncd.store.abc import StateStore


def _utcnow() -> datetime:
    return datetime.now(UTC)


def drain_sinks(config: Config, store: StateStore, *, owner: str) -> dict[str, Counter[str]]:
    """Deliver what waits in the outbox for each mapped sink; per sink, the outcomes counted
    (sent, unchanged, older, failed, parked). A parked sink whose check fails stays parked
    and gets nothing."""
    names = mapped_sinks(config)
    counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    if not names:
        return counts

    def count(sink: str, outcome: str) -> None:
        counts[sink][outcome] += 1

    with opened_sinks(config, names) as sinks:
        consumers = sink_consumers(sinks, config, store, clock=_utcnow, on_outcome=count)
        ConsumerRunner(store.outbox, consumers, owner=owner).drain()
    return counts
