"""From a recorded measurement to a :class:`~syncd.abc.Delivery`, and the framework's rules
for handing one to a sink: in one place, for the outbox consumer and ``syncd push`` alike.

The day rule: a value is for the local day (the config's zone) of the last instant its window
covers, ``end - 1 µs`` (a window ``[Nov 20 00:00, Nov 21 00:00)`` is Nov 20's), and a
snapshot is for the day of its moment. The key names the check-in: ``<kr id>@<day>``; for a
sink that holds a KR's current value only (``Sink.keeps_history`` False) it is the KR's id, so
the rules below then hold across days: never an older value over a newer one.

The skip rules (:func:`deliver`), per ``(sink, KR, key)`` and its kept receipt:

- the receipt already holds this value: nothing is sent (``unchanged``);
- the receipt is for a later window end than this value's (history arriving out of order, a
  backfill): nothing is sent (``older``);
- else ``Sink.deliver(delivery, previous)`` and the new receipt is kept (``sent``, or
  ``unchanged`` when the sink found the value already in the tool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from syncd.abc import Delivery, Receipt, Sink, TargetModel, Window
from syncd.config.models import Config, KeyResult, Objective
from syncd.cycles import cycle_bounds
from syncd.progress import Point, evaluate_kr
from syncd.store.records import Measurement, SinkReceipt

Outcome = Literal["sent", "unchanged", "older"]
"""What :func:`deliver` did with a delivery."""

ONE_MICROSECOND = timedelta(microseconds=1)


class SinkLedgerStore(Protocol):
    """What building and delivering need of a store: a KR's measurements and the receipts."""

    def measurements(
        self, key_result_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Sequence[Measurement]: ...

    def sink_receipt(self, sink: str, kr_id: str, key: str) -> SinkReceipt | None: ...

    def keep_sink_receipt(self, receipt: SinkReceipt) -> None: ...


@dataclass(frozen=True)
class Recorded:
    """One KR value for one window, as an event or the store holds it."""

    kr_id: str
    window: Window
    value: float
    measured_at: datetime
    source: str


def delivery_day(window: Window, tz: ZoneInfo) -> date:
    """The local day a window's value is for: that of its last instant covered
    (``end - 1 µs``), or a snapshot's own day."""
    last = window.end if window.is_snapshot else window.end - ONE_MICROSECOND
    return last.astimezone(tz).date()


def delivery_key(kr_id: str, day: date | None) -> str:
    """The check-in a value belongs to: the KR and its day, or the KR alone (``day`` None:
    a tool holding the current value only)."""
    return kr_id if day is None else f"{kr_id}@{day.isoformat()}"


def window_words(window: Window, tz: ZoneInfo) -> str:
    """The window in words, in local time: ``snapshot at 2026-11-20 06:00``, ``2026-11-20``
    (one whole day), ``2026-10-01 to 2026-11-20`` (whole days) or instants."""
    start, end = window.start.astimezone(tz), window.end.astimezone(tz)
    if window.is_snapshot:
        return f"snapshot at {end:%Y-%m-%d %H:%M}"
    if start.time() == time(0) and end.time() == time(0):
        last = delivery_day(window, tz)
        if last == start.date():
            return last.isoformat()
        return f"{start.date().isoformat()} to {last.isoformat()}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def kr_status(
    config: Config,
    objective: Objective,
    kr: KeyResult,
    recorded: Recorded,
    history: Sequence[Measurement],
) -> str | None:
    """The KR's status computed by the progress engine with ``recorded`` as its latest value,
    as of the value's window end; None when the value is outside the KR's cycle."""
    cycle = config.cycles.get(objective.cycle)
    if cycle is None:
        return None
    end = recorded.window.end
    points = [
        Point(at=m.window_end, value=m.value, collected_at=m.collected_at, source=m.source)
        for m in history
        if m.window_end < end
    ]
    points.append(Point(end, recorded.value, recorded.measured_at, recorded.source))
    progress = evaluate_kr(
        objective, kr, cycle, points, now=end, settings=config.progress, tz=config.tz
    )
    return None if progress.status == "not_started" else progress.status


def build_delivery(
    config: Config,
    objective: Objective,
    kr: KeyResult,
    target: TargetModel,
    recorded: Recorded,
    history: Sequence[Measurement],
    *,
    keeps_history: bool = True,
) -> Delivery[TargetModel]:
    """The delivery of ``recorded`` (a value of ``kr``) to ``target``; ``history`` is the KR's
    stored measurements up to the value's window end (for its status)."""
    tz = config.tz
    day = delivery_day(recorded.window, tz)
    return Delivery(
        kr_id=kr.id,
        kr_title=kr.title,
        target=target,
        key=delivery_key(kr.id, day if keeps_history else None),
        value=recorded.value,
        unit=kr.unit,
        day=day,
        window=recorded.window,
        measured_at=recorded.measured_at,
        source=recorded.source,
        status=kr_status(config, objective, kr, recorded, history),
        note=f"syncd: {recorded.source}, {window_words(recorded.window, tz)}",
    )


def delivery_for(
    config: Config,
    sink_name: str,
    recorded: Recorded,
    store: SinkLedgerStore,
    *,
    keeps_history: bool = True,
) -> Delivery[TargetModel] | None:
    """The delivery of ``recorded`` to sink ``sink_name``, or None when its KR is not
    configured or not mapped to that sink (its status reads the KR's measurements of its cycle
    up to the value, never the whole history)."""
    try:
        objective, kr = config.key_result(recorded.kr_id)
    except KeyError:
        return None
    target = kr.push.get(sink_name)
    if target is None:
        return None
    cycle = config.cycles.get(objective.cycle)
    since = cycle_bounds(cycle, config.tz).start if cycle is not None else None
    history = store.measurements(kr.id, since=since, until=recorded.window.end)
    return build_delivery(
        config, objective, kr, target, recorded, history, keeps_history=keeps_history
    )


def deliver(
    sink_name: str,
    sink: Sink[Any, Any],
    delivery: Delivery[TargetModel],
    store: SinkLedgerStore,
    *,
    now: datetime,
) -> Outcome:
    """Hand ``delivery`` to ``sink`` by the framework's rules (the module docstring) and keep
    its receipt. A sink's error propagates (the caller parks, retries or counts it)."""
    previous = store.sink_receipt(sink_name, delivery.kr_id, delivery.key)
    end = delivery.window.end
    if previous is not None and previous.window_end > end:
        return "older"
    if previous is not None and previous.value == delivery.value:
        if end > previous.window_end:
            store.keep_sink_receipt(_receipt(sink_name, delivery, previous.remote_id, previous))
        return "unchanged"
    handed = Receipt(True, previous.remote_id, "") if previous is not None else None
    receipt = sink.deliver(delivery, handed)
    remote_id = receipt.remote_id or (previous.remote_id if previous is not None else None)
    store.keep_sink_receipt(_receipt(sink_name, delivery, remote_id, None, now))
    return "sent" if receipt.sent else "unchanged"


def _receipt(
    sink_name: str,
    delivery: Delivery[TargetModel],
    remote_id: str | None,
    previous: SinkReceipt | None,
    now: datetime | None = None,
) -> SinkReceipt:
    delivered_at = previous.delivered_at if previous is not None else now
    assert delivered_at is not None
    return SinkReceipt(
        sink=sink_name,
        kr_id=delivery.kr_id,
        key=delivery.key,
        remote_id=remote_id,
        value=delivery.value,
        window_end=delivery.window.end,
        delivered_at=delivered_at,
    )
