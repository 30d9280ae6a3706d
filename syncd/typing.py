"""Protocols for the parts of syncd that can be swapped.

``syncd.abc`` holds the extension points third parties implement (connectors); this module holds
the structural types syncd's own layers meet at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from syncd.config.models import Config
from syncd.store.records import MeasurementIn, WriteResult
from syncd.store.tables import Measurement


class MeasurementStore(Protocol):
    """What a sync pass needs of a store: the real :class:`~syncd.store.Store`, or the daemon's
    spooling wrapper that keeps measurements while the store is unreachable."""

    def sync_definitions(self, config: Config) -> None:
        """Record the configured objectives and KRs (measurements reference them)."""

    def measurements(
        self, key_result_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Sequence[Measurement]:
        """A KR's measurements with ``since <= window_end <= until``, by window end."""
        ...

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Open a run record; returns its id."""
        ...

    def finish_run(
        self,
        run_id: str,
        *,
        outcome: str,
        error: str | None,
        upstream_calls: int,
        retries: int,
        requests: int,
        measurements: int,
        duration: float | None = None,
    ) -> None:
        """Close a run record with its outcome, counters and the source's own duration."""

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Upsert measurements on their natural key; items the store refuses come back in
        ``refused`` (the others are written), a store failure raises ``StoreError``."""
        ...
