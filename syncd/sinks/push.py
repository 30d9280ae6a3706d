"""``syncd push``: re-send stored history through the same delivery function as the outbox
consumer, so it is idempotent by the receipts (a value the sink has is not sent again).

A parked sink is tried once first (its check): passing unparks it, failing reports the sink
failed and leaves it parked. A refused token mid-way parks it, as the consumer does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from syncd.abc import Window
from syncd.config.models import Config
from syncd.errors import AuthError, SourceError
from syncd.logs import get_logger, scrub
from syncd.sinks.build import AnySink
from syncd.sinks.consumer import SinkStore, park_reason
from syncd.sinks.deliveries import Recorded, deliver, delivery_for
from syncd.windows import local_midnight

log = get_logger("syncd.sinks")


@dataclass
class SinkPush:
    """What pushing to one sink did: per KR the outcomes counted (sent, unchanged, older,
    failed), and the errors met (one line each, no secrets)."""

    sink: str
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(c["failed"] for c in self.counts.values())


def pushed_krs(config: Config, sink: str, kr_ids: Iterable[str] | None) -> list[str]:
    """The KRs mapped to ``sink`` (of ``kr_ids``, when given), in config order."""
    wanted = set(kr_ids) if kr_ids is not None else None
    return [
        kr.id
        for _, kr in config.key_results()
        if sink in kr.push and (wanted is None or kr.id in wanted)
    ]


def push_history(
    config: Config,
    store: SinkStore,
    sinks: Mapping[str, AnySink],
    *,
    since: date,
    kr_ids: Iterable[str] | None = None,
    clock: Callable[[], datetime],
) -> list[SinkPush]:
    """Deliver every stored value since ``since`` (local day) of the KRs mapped to each of
    ``sinks``, oldest window first."""
    start = local_midnight(since, config.tz)
    return [
        _push_one(config, store, name, sink, start, kr_ids, clock) for name, sink in sinks.items()
    ]


def _push_one(
    config: Config,
    store: SinkStore,
    name: str,
    sink: AnySink,
    start: datetime,
    kr_ids: Iterable[str] | None,
    clock: Callable[[], datetime],
) -> SinkPush:
    result = SinkPush(name)
    if any(p.sink == name for p in store.parked_sinks()):
        try:
            sink.check()
        except SourceError as exc:
            result.errors.append(f"parked, and its check still fails: {scrub(str(exc))}")
            return result
        store.unpark_sink(name)
    for kr_id in pushed_krs(config, name, kr_ids):
        counts = result.counts.setdefault(kr_id, Counter())
        stored = store.measurements(kr_id, since=start)
        if not sink.keeps_history:  # the tool holds the newest value only
            stored = [max(stored, key=lambda m: m.window_end)] if stored else []
        for m in stored:
            recorded = Recorded(
                kr_id, Window(m.window_start, m.window_end), m.value, m.collected_at, m.source
            )
            delivery = delivery_for(config, name, recorded, store, keeps_history=sink.keeps_history)
            if delivery is None:
                continue
            try:
                counts[deliver(name, sink, delivery, store, now=clock())] += 1
            except AuthError as exc:
                reason = park_reason(exc)
                store.park_sink(name, reason, now=clock())
                counts["failed"] += 1
                result.errors.append(f"parked: {reason}")
                return result
            except SourceError as exc:
                counts["failed"] += 1
                result.errors.append(f"{delivery.key}: {scrub(str(exc))}")
    return result
