"""The store as the daemon sees it: measurements survive a store outage through the spool.

Run bookkeeping and settle re-reads are best effort while the store is down (logged, skipped);
measurements never are. Two kinds of "no" are told apart:

- an outage (the store raises ``StoreError``: unreachable, full, locked): the batch goes to the
  spool, and every later write replays the spool first, so measurements reach the store in the
  order they were taken;
- a refusal (the store answered but would not take an item: not a finite number, an unknown
  KR, …): the other items are written and the refused ones are set aside as dead letters in
  the store, so they never block a later write, a replay included.

When the spool itself cannot write (a full disk), the batch is neither stored nor spooled: the
write raises ``StoreError`` so the pass is not counted as stored, and the failure is logged once
until the spool works again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import structlog

from syncd.config.models import Config
from syncd.daemon.spool import Spool
from syncd.errors import StoreError
from syncd.store import Store
from syncd.store.records import Measurement, MeasurementIn, WriteResult

log = structlog.get_logger("syncd.daemon")


class SpoolingStore:
    """A :class:`~syncd.store.abc.SyncStore` over a real store and a local spool."""

    def __init__(self, store: Store, spool: Spool, config: Config) -> None:
        self.store = store
        self.spool = spool
        self._config = config
        self._definitions_pending = True
        self._write_lock = threading.Lock()  # replay and new writes keep their order
        self._spool_failing = False  # log a failing spool once, not on every pass

    def set_config(self, config: Config) -> None:
        self._config = config
        self._definitions_pending = True

    def sync_definitions(self, config: Config) -> None:
        try:
            self.store.sync_definitions(config)
            self._definitions_pending = False
        except StoreError as exc:
            self._definitions_pending = True
            log.warning("store.unreachable", action="sync definitions", error=str(exc))

    def measurements(
        self, key_result_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Sequence[Measurement]:
        try:
            return self.store.measurements(key_result_id, since=since, until=until)
        except StoreError as exc:
            log.warning("store.unreachable", action="read measurements", error=str(exc))
            return []

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        try:
            return self.store.start_run(source=source, trigger=trigger, slot=slot)
        except StoreError as exc:
            log.warning("store.unreachable", action="start run", error=str(exc))
            return "unrecorded-" + uuid4().hex[:20]

    def finish_run(self, run_id: str, **counters: object) -> None:
        if run_id.startswith("unrecorded-"):
            return
        try:
            self.store.finish_run(run_id, **counters)  # type: ignore[arg-type]
        except StoreError as exc:
            log.warning("store.unreachable", action="finish run", error=str(exc))

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Write through when the store answers (after replaying the spool), else spool.
        Refused items are set aside; ``StoreError`` only when the spool cannot keep the batch."""
        with self._write_lock:
            try:
                self._replay_locked()
                return self._write(list(items))
            except StoreError as exc:
                outage = exc
            if items:
                self._spool(items)
            log.warning(
                "measurements.spooled",
                count=len(items),
                pending=self.spool.pending(),
                error=str(outage),
            )
            return WriteResult(inserted=0, updated=0, unchanged=0)

    def dead_letter_count(self) -> int | None:
        """How many refused measurements are set aside; None while the store is unreachable."""
        try:
            return self.store.dead_letter_count()
        except StoreError:
            return None

    def replay(self) -> int:
        """Move spooled measurements into the store; 0 when it is still unreachable."""
        with self._write_lock:
            try:
                return self._replay_locked()
            except StoreError as exc:
                log.info("spool.waiting", pending=self.spool.pending(), error=str(exc))
                return 0

    def _replay_locked(self) -> int:
        if self._definitions_pending:
            self.store.sync_definitions(self._config)
            self._definitions_pending = False
        replayed = self.spool.replay(self._write)
        if replayed:
            log.info("spool.replayed", measurements=replayed)
        return replayed

    def _write(self, items: list[MeasurementIn]) -> WriteResult:
        """Write to the store and set aside what it refused; ``StoreError`` on an outage."""
        result = self.store.record_measurements(items)
        if result.refused:
            self.store.set_aside(result.refused)
            for refusal in result.refused:
                log.warning(
                    "measurement.set_aside",
                    kr=str(refusal.item.key_result_id),
                    window_end=str(refusal.item.window_end),
                    reason=refusal.reason,
                )
        return result

    def _spool(self, items: Sequence[MeasurementIn]) -> None:
        try:
            self.spool.append(items, datetime.now(UTC))
        except StoreError as exc:
            if not self._spool_failing:
                self._spool_failing = True
                log.error("spool.failed", count=len(items), error=str(exc))
            raise
        if self._spool_failing:
            self._spool_failing = False
            log.info("spool.recovered")
