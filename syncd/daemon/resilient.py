"""The store as the daemon sees it: measurements survive a store outage through the spool.

Run bookkeeping and settle re-reads are best effort while the store is down (logged, skipped);
measurements never are: a batch the store refuses goes to the spool, and every later write
replays the spool first, so measurements reach the store in the order they were taken.
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
from syncd.store.records import MeasurementIn, WriteResult
from syncd.store.tables import Measurement

log = structlog.get_logger("syncd.daemon")


class SpoolingStore:
    """A :class:`~syncd.typing.MeasurementStore` over a real store and a local spool."""

    def __init__(self, store: Store, spool: Spool, config: Config) -> None:
        self.store = store
        self.spool = spool
        self._config = config
        self._definitions_pending = True
        self._write_lock = threading.Lock()  # replay and new writes keep their order

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
        """Write through when the store answers (after replaying the spool), else spool."""
        with self._write_lock:
            try:
                self._replay_locked()
                return self.store.record_measurements(items)
            except StoreError as exc:
                if items:
                    self.spool.append(items, datetime.now(UTC))
                log.warning(
                    "measurements.spooled",
                    count=len(items),
                    pending=self.spool.pending(),
                    error=str(exc),
                )
                return WriteResult(inserted=0, updated=0, unchanged=0)

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
        replayed = self.spool.replay(self.store.record_measurements)
        if replayed:
            log.info("spool.replayed", measurements=replayed)
        return replayed
