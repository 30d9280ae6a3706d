"""The progress gauges of ``/metrics``, kept current from events instead of a timer.

:class:`ProgressGauges` is a local consumer (every process keeps its own gauges; see
:class:`syncd.events.Consumer`): it refreshes the KR gauges when a batch of measurements or
status changes arrives, and once when the daemon starts or reloads. An idle daemon does no
progress work at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from syncd.config import LoadedConfig
from syncd.events import MEASUREMENT_RECORDED, STATUS_CHANGED, Delivered, Event
from syncd.observe.metrics import Telemetry
from syncd.overview import build_overview
from syncd.store import Store


class ProgressGauges:
    """Publishes every KR's progress to ``telemetry`` when something was measured."""

    name = "telemetry"
    event_types = frozenset({MEASUREMENT_RECORDED, STATUS_CHANGED})
    shared = False

    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        telemetry: Telemetry,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.telemetry = telemetry
        self.clock = clock

    def refresh(self) -> None:
        """Recompute every KR's progress now and publish it."""
        overview = build_overview(self.loaded, self.store, self.clock())
        self.telemetry.record_progress(kr for o in overview for kr in o.key_results)

    def handle(self, events: Sequence[Delivered]) -> Sequence[Event]:
        self.refresh()
        return ()
