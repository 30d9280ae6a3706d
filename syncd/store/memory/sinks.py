"""The in-memory store's sink ledger (:class:`~syncd.store.abc.SinkLedger`)."""

from __future__ import annotations

from datetime import datetime

from syncd.store.memory.state import MemoryBase, utc
from syncd.store.records import ParkedSink, SinkReceipt


class MemorySinkLedger(MemoryBase):
    """:class:`~syncd.store.abc.SinkLedger` in memory."""

    def sink_receipt(self, sink: str, kr_id: str, key: str) -> SinkReceipt | None:
        """The receipt kept for ``(sink, kr_id, key)``, or None."""
        with self._state.lock:
            return self._state.sink_receipts.get((sink, kr_id, key))

    def keep_sink_receipt(self, receipt: SinkReceipt) -> None:
        """Keep ``receipt`` as the one of its ``(sink, kr_id, key)``, replacing any before."""
        self._aware("keeping a sink receipt", receipt.window_end, receipt.delivered_at)
        kept = SinkReceipt(
            sink=receipt.sink,
            kr_id=receipt.kr_id,
            key=receipt.key,
            remote_id=receipt.remote_id,
            value=float(receipt.value),
            window_end=utc(receipt.window_end),
            delivered_at=utc(receipt.delivered_at),
        )
        with self._state.lock:
            self._state.sink_receipts[(receipt.sink, receipt.kr_id, receipt.key)] = kept

    def sink_receipts(self, sink: str, *, kr_id: str | None = None) -> list[SinkReceipt]:
        """The receipts of ``sink`` (of one KR, or all), by KR then key."""
        with self._state.lock:
            found = [
                r
                for r in self._state.sink_receipts.values()
                if r.sink == sink and (kr_id is None or r.kr_id == kr_id)
            ]
        return sorted(found, key=lambda r: (r.kr_id, r.key))

    def park_sink(self, sink: str, reason: str, *, now: datetime) -> None:
        """Park ``sink`` for ``reason``; parking it again keeps the first moment, the new
        reason."""
        self._aware("parking a sink", now)
        with self._state.lock:
            before = self._state.parked_sinks.get(sink)
            since = before.parked_at if before is not None else utc(now)
            self._state.parked_sinks[sink] = ParkedSink(sink, reason, since)

    def unpark_sink(self, sink: str) -> bool:
        """Unpark ``sink``; whether it was parked."""
        with self._state.lock:
            return self._state.parked_sinks.pop(sink, None) is not None

    def parked_sinks(self) -> list[ParkedSink]:
        """Every parked sink, by name."""
        with self._state.lock:
            return sorted(self._state.parked_sinks.values(), key=lambda p: p.sink)
