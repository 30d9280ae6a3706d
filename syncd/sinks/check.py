"""``syncd check-sinks``: does each sink let us in, and what does each mapped KR show there
against what syncd would send? It changes nothing in the tools; a parked sink whose check
passes is unparked (its events then flow again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from syncd.abc import Window
from syncd.config.models import Config
from syncd.errors import SourceError
from syncd.logs import scrub
from syncd.sinks.build import AnySink
from syncd.sinks.consumer import SinkStore
from syncd.sinks.deliveries import Recorded, delivery_for
from syncd.sinks.push import pushed_krs
from syncd.sourcecheck import hint_for

Outcome = Literal["ok", "failed"]


@dataclass(frozen=True)
class KrComparison:
    """One mapped KR: what the tool shows (or the error reading it) and what syncd would send
    (the latest stored value, its day), and whether they agree."""

    kr_id: str
    shown: float | None
    shown_day: date | None
    title: str | None
    would_send: float | None
    day: date | None
    error: str | None = None

    @property
    def in_sync(self) -> bool:
        return self.error is None and self.shown == self.would_send and self.day == self.shown_day


@dataclass
class SinkCheck:
    """One sink's check: ``text`` what it checked (or the error), ``hint`` what to do."""

    sink: str
    type: str
    outcome: Outcome
    text: str
    hint: str | None = None
    unparked: bool = False
    krs: list[KrComparison] = field(default_factory=list)


def check_sinks(
    config: Config,
    store: SinkStore,
    sinks: Mapping[str, AnySink],
    kr_ids: Iterable[str] | None = None,
) -> Iterable[SinkCheck]:
    """Check each of ``sinks`` in turn, yielding each result as it is known."""
    parked = {p.sink for p in store.parked_sinks()}
    for name, sink in sinks.items():
        yield _check_one(config, store, name, sink, name in parked, kr_ids)


def _line(text: str, sink: str) -> str:
    return scrub(" ".join(text.split())).removeprefix(f"{sink}: ")


def _check_one(
    config: Config,
    store: SinkStore,
    name: str,
    sink: AnySink,
    parked: bool,
    kr_ids: Iterable[str] | None,
) -> SinkCheck:
    kind = config.sinks[name].type
    try:
        text = sink.check()
    except SourceError as exc:
        hint = hint_for(exc, name).replace(f"sources.{name}", f"sinks.{name}")
        return SinkCheck(name, kind, "failed", _line(str(exc), name), hint)
    result = SinkCheck(name, kind, "ok", _line(text, name))
    if parked:
        result.unparked = store.unpark_sink(name)
    for kr_id in pushed_krs(config, name, kr_ids):
        result.krs.append(_compare(config, store, name, sink, kr_id))
    return result


def _compare(
    config: Config, store: SinkStore, name: str, sink: AnySink, kr_id: str
) -> KrComparison:
    target = config.key_result(kr_id)[1].push[name]
    stored = store.measurements(kr_id)
    would, day = None, None
    if stored:
        m = stored[-1]
        recorded = Recorded(
            kr_id, Window(m.window_start, m.window_end), m.value, m.collected_at, m.source
        )
        delivery = delivery_for(config, name, recorded, store, keeps_history=sink.keeps_history)
        if delivery is not None:
            would, day = delivery.value, delivery.day
    try:
        reading = sink.read(target)
    except SourceError as exc:
        return KrComparison(kr_id, None, None, None, would, day, _line(str(exc), name))
    return KrComparison(kr_id, reading.value, reading.day, reading.title, would, day)
