"""The sink consumer: one *shared* outbox consumer per configured sink, ``sink:<name>``.

It gets every ``MeasurementRecorded`` once across restarts and instances (the outbox's claim
and acknowledgement, run by :class:`~syncd.consumers.ConsumerRunner`) and hands the values of
the KRs mapped to its sink to :func:`syncd.sinks.deliveries.deliver`, which skips what the
sink already has and keeps the receipts. What a sink's error does:

- ``AuthError``: the sink is parked in the store's ledger with the reason, the batch is given
  back unhandled (:class:`~syncd.events.Postponed`) and, while parked, the consumer claims
  nothing: its events wait in the outbox, sources keep syncing. A parked sink is unparked when
  its check passes: when the daemon (re)builds its sink consumers (start, SIGHUP: a fixed
  secret or config takes effect there), when a one-shot ``syncd sync`` drains the sinks, or
  when ``syncd check-sinks`` or ``syncd push`` succeeds for it;
- any other error: the event fails and the outbox retries it after a backoff, parking the
  event (not the sink) after the last attempt (``syncd status`` lists it). Retries of 429 and
  5xx inside one call are :meth:`~syncd.abc.Upstream.call`'s, before that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from syncd.abc import Window
from syncd.config.models import Config
from syncd.errors import AuthError
from syncd.events import MEASUREMENT_RECORDED, Delivered, Event, MeasurementRecorded, Postponed
from syncd.logs import get_logger, scrub
from syncd.sinks.build import AnySink
from syncd.sinks.deliveries import Recorded, SinkLedgerStore, deliver, delivery_for
from syncd.store.records import ParkedSink

log = get_logger("syncd.sinks")

CONSUMER_PREFIX = "sink:"

OutcomeHook = Callable[[str, str], None]
"""Told ``(sink name, outcome)`` per event handled: sent, unchanged, older, failed, parked."""


class SinkStore(SinkLedgerStore, Protocol):
    """What a sink consumer needs of a store: measurements, receipts and parking."""

    def park_sink(self, sink: str, reason: str, *, now: datetime) -> None: ...

    def unpark_sink(self, sink: str) -> bool: ...

    def parked_sinks(self) -> list[ParkedSink]: ...


def consumer_name(sink: str) -> str:
    """The outbox consumer of sink ``sink``."""
    return CONSUMER_PREFIX + sink


def recorded_of(event: MeasurementRecorded) -> Recorded:
    """The value an event records."""
    return Recorded(
        kr_id=event.kr_id,
        window=Window(event.window_start, event.window_end),
        value=event.value,
        measured_at=event.measured_at,
        source=event.source,
    )


def park_reason(error: AuthError) -> str:
    """Why a sink is parked, in one line without secrets."""
    return scrub(" ".join(str(error).split()))[:500]


class SinkConsumer:
    """Delivers the values of KRs mapped to sink ``sink_name`` (module docstring)."""

    event_types = frozenset({MEASUREMENT_RECORDED})
    shared = True

    def __init__(
        self,
        sink_name: str,
        sink: AnySink,
        config: Config,
        store: SinkStore,
        *,
        clock: Callable[[], datetime],
        on_outcome: OutcomeHook | None = None,
    ) -> None:
        self.sink_name = sink_name
        self.name = consumer_name(sink_name)
        self.sink = sink
        self.config = config
        self.store = store
        self.clock = clock
        self.on_outcome = on_outcome

    def paused(self) -> bool:
        """Whether the sink is parked (its events wait)."""
        return any(p.sink == self.sink_name for p in self.store.parked_sinks())

    def try_unpark(self) -> bool:
        """Unpark a parked sink whose check passes now; whether it takes events."""
        if not self.paused():
            return True
        try:
            self.sink.check()
        except Exception as exc:  # still refused, or unreachable: stays parked
            log.info("sink.still_parked", sink=self.sink_name, error=scrub(str(exc)))
            return False
        self.store.unpark_sink(self.sink_name)
        log.info("sink.unparked", sink=self.sink_name)
        return True

    def handle(self, events: Sequence[Delivered]) -> Sequence[Event]:
        """Deliver each recorded value of a mapped KR; park the sink on ``AuthError``. For a
        sink holding current values only, the newest value of each KR goes first, so the
        older ones of the batch are skipped without a call."""
        recorded = [d.event for d in events if isinstance(d.event, MeasurementRecorded)]
        if not self.sink.keeps_history:
            recorded.sort(key=lambda event: event.window_end, reverse=True)
        for event in recorded:
            self._one(event)
        return ()

    def _one(self, event: MeasurementRecorded) -> None:
        delivery = delivery_for(
            self.config,
            self.sink_name,
            recorded_of(event),
            self.store,
            keeps_history=self.sink.keeps_history,
        )
        if delivery is None:
            return
        try:
            outcome = deliver(self.sink_name, self.sink, delivery, self.store, now=self.clock())
        except AuthError as exc:
            reason = park_reason(exc)
            self.store.park_sink(self.sink_name, reason, now=self.clock())
            log.warning("sink.parked", sink=self.sink_name, reason=reason)
            self._tell("parked")
            raise Postponed(reason) from exc
        except Exception:
            self._tell("failed")
            raise
        log.debug("sink.delivered", sink=self.sink_name, key=delivery.key, outcome=outcome)
        self._tell(outcome)

    def _tell(self, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(self.sink_name, outcome)


def sink_consumers(
    sinks: dict[str, AnySink],
    config: Config,
    store: SinkStore,
    *,
    clock: Callable[[], datetime],
    on_outcome: OutcomeHook | None = None,
) -> list[SinkConsumer]:
    """A consumer per sink of ``sinks``; a parked one is unparked if its check passes now."""
    consumers = [
        SinkConsumer(name, sink, config, store, clock=clock, on_outcome=on_outcome)
        for name, sink in sinks.items()
    ]
    for consumer in consumers:
        consumer.try_unpark()
    return consumers
