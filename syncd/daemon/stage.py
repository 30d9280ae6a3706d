"""The daemon's event stage: the consumers of the outbox and the timed work around them.

One :meth:`EventStage.tick` (the daemon runs it apart from catch-up: every few seconds while
events come, less often while none do, at once after its own sync wrote) does, in order:

- every :data:`~syncd.statuses.SWEEP_EVERY`: judge every KR again for the status changes time
  alone makes (pace, staleness) and publish them;
- hand new events to the consumers (:class:`~syncd.consumers.ConsumerRunner`): the
  progress engine (measurements → status changes), the alerts (when notifications are
  configured), one consumer per sink a KR pushes to (:mod:`syncd.sinks.consumer`) and the
  ``/metrics`` progress gauges;
- every :data:`DIGESTS_EVERY`: the weekly digests that are due, and the deliveries to retry;
- every :data:`PRUNE_EVERY`: delete the events older than :data:`OUTBOX_KEEP` that every
  consumer handled.

:meth:`EventStage.reload` rebuilds the consumers for a new config (closing the old sinks
and opening the new ones; a parked sink whose check now passes is unparked there);
:meth:`EventStage.close` closes the sinks. A lock keeps a reload from closing a sink a tick is
using.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import structlog

from syncd.config import LoadedConfig
from syncd.consumers import ConsumerRunner
from syncd.errors import StoreError, SyncdError
from syncd.notify_teams import send_due_digests
from syncd.notify_teams.alerts import AlertConsumer
from syncd.observe import Telemetry
from syncd.observe.gauges import ProgressGauges
from syncd.sinks.build import AnySink, close_sinks, mapped_sinks, open_sink
from syncd.sinks.consumer import SinkConsumer, sink_consumers
from syncd.statuses import SWEEP_EVERY, ProgressEngine
from syncd.store import Store

log = structlog.get_logger("syncd.daemon")

DIGESTS_EVERY = timedelta(seconds=60)
PRUNE_EVERY = timedelta(hours=1)
OUTBOX_KEEP = timedelta(days=30)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EventStage:
    """Runs the consumers of ``loaded``'s config on ``store`` as ``owner`` (module docstring)."""

    def __init__(
        self, loaded: LoadedConfig, store: Store, telemetry: Telemetry, *, owner: str
    ) -> None:
        self.store = store
        self.telemetry = telemetry
        self.owner = owner
        self._swept_at = 0.0
        self._digests_at = 0.0
        self._pruned_at = time.monotonic()
        self._lock = threading.Lock()
        self.sinks: dict[str, AnySink] = {}
        self.reload(loaded)

    def close(self) -> None:
        """Close the sinks (the daemon stops)."""
        with self._lock:
            close_sinks(self.sinks.values())
            self.sinks = {}

    def reload(self, loaded: LoadedConfig) -> None:
        """Consumers for ``loaded``; the gauges are refreshed at once."""
        with self._lock:
            self._reload(loaded)

    def _open_sinks(self, loaded: LoadedConfig) -> dict[str, AnySink]:
        sinks: dict[str, AnySink] = {}
        for name in mapped_sinks(loaded.config):
            try:
                sinks[name] = open_sink(loaded.config, name)
            except Exception as exc:  # one broken sink must not stop the others
                log.error("sink.open_failed", sink=name, error=str(exc))
        return sinks

    def _reload(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.progress = ProgressEngine(loaded, self.store, clock=_utcnow)
        self.gauges = ProgressGauges(loaded, self.store, self.telemetry, clock=_utcnow)
        consumers: list[ProgressEngine | AlertConsumer | ProgressGauges | SinkConsumer] = [
            self.progress
        ]
        if loaded.config.notifications is not None:
            consumers.append(
                AlertConsumer(loaded.config, self.store, clock=_utcnow, owner=self.owner)
            )
        close_sinks(self.sinks.values())
        self.sinks = self._open_sinks(loaded)
        try:
            consumers.extend(
                sink_consumers(
                    self.sinks,
                    loaded.config,
                    self.store,
                    clock=_utcnow,
                    on_outcome=self.telemetry.record_sink_delivery,
                )
            )
        except StoreError as exc:  # parked state unknown: the sinks join on the next reload
            log.warning("store.unreachable", action="start sinks", error=str(exc))
        consumers.append(self.gauges)
        self._consumers = consumers
        self.runner: ConsumerRunner | None = None
        self._start()

    def _start(self) -> None:
        try:
            self.runner = ConsumerRunner(self.store.outbox, self._consumers, owner=self.owner)
            self.gauges.refresh()
        except StoreError as exc:  # started on the next tick
            log.warning("store.unreachable", action="start consumers", error=str(exc))

    def tick(self) -> int:
        """One round of the stage's work; how many events it handed out (the daemon polls
        sooner after a busy round). Store failures are logged, never raised."""
        with self._lock:
            return self._tick()

    def _tick(self) -> int:
        handed = 0
        try:
            if self.runner is None:
                self._start()
                if self.runner is None:
                    return 0
            if time.monotonic() - self._swept_at > SWEEP_EVERY.total_seconds():
                self._swept_at = time.monotonic()
                self.progress.sweep()
            if handed := self.runner.run_once():
                log.debug("consumers.handled", events=handed)
            self._gauge_sinks()
            if time.monotonic() - self._digests_at > DIGESTS_EVERY.total_seconds():
                self._digests_at = time.monotonic()
                self._send_digests()
            if time.monotonic() - self._pruned_at > PRUNE_EVERY.total_seconds():
                self._pruned_at = time.monotonic()
                if pruned := self.store.outbox.prune(before=_utcnow() - OUTBOX_KEEP):
                    log.info("outbox.pruned", events=pruned)
        except SyncdError as exc:
            log.warning("daemon.consumers_failed", error=str(exc))
        return handed

    def _gauge_sinks(self) -> None:
        parked = {p.sink for p in self.store.parked_sinks()}
        for name in self.sinks:
            self.telemetry.set_sink_parked(name, name in parked)

    def _send_digests(self) -> None:
        """The weekly digests that are due, and the deliveries to retry; each sent once
        across instances."""
        sent = send_due_digests(self.loaded, self.store, now=_utcnow(), owner=self.owner)
        if sent:
            log.info("notifications.sent", count=sent)
