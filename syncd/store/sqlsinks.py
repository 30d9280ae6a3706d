"""The SQL store's sink ledger (:class:`~syncd.store.abc.SinkLedger`): receipts of the values
pushed to OKR tools, and the parked sinks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select

from syncd.store.dialect import upsert_insert
from syncd.store.records import ParkedSink, SinkReceipt, record_of
from syncd.store.sqlbase import SqlBase
from syncd.store.tables import ParkedSinkRecord, SinkReceiptRecord


def _receipts() -> Table:
    return SinkReceiptRecord.__table__  # type: ignore[attr-defined,no-any-return]


def _parked() -> Table:
    return ParkedSinkRecord.__table__  # type: ignore[attr-defined,no-any-return]


class SqlSinkLedger(SqlBase):
    """:class:`~syncd.store.abc.SinkLedger` on SQLite or PostgreSQL."""

    def sink_receipt(self, sink: str, kr_id: str, key: str) -> SinkReceipt | None:
        """The receipt kept for ``(sink, kr_id, key)``, or None."""
        table = _receipts()
        with self._reading("reading sink receipts") as session:
            row = session.execute(
                select(table).where(
                    table.c.sink == sink, table.c.kr_id == kr_id, table.c.key == key
                )
            ).first()
            return None if row is None else record_of(SinkReceipt, row)

    def keep_sink_receipt(self, receipt: SinkReceipt) -> None:
        """Keep ``receipt`` as the one of its ``(sink, kr_id, key)``, replacing any before."""
        table = _receipts()
        values: dict[str, Any] = {
            "sink": receipt.sink,
            "kr_id": receipt.kr_id,
            "key": receipt.key,
            "remote_id": receipt.remote_id,
            "value": receipt.value,
            "window_end": receipt.window_end,
            "delivered_at": receipt.delivered_at,
        }
        with self._writing("keeping a sink receipt") as session:
            insert = upsert_insert(session, table).values(**values)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["sink", "kr_id", "key"],
                    set_={
                        k: insert.excluded[k]
                        for k in ("remote_id", "value", "window_end", "delivered_at")
                    },
                )
            )

    def sink_receipts(self, sink: str, *, kr_id: str | None = None) -> list[SinkReceipt]:
        """The receipts of ``sink`` (of one KR, or all), by KR then key."""
        table = _receipts()
        query = select(table).where(table.c.sink == sink)
        if kr_id is not None:
            query = query.where(table.c.kr_id == kr_id)
        with self._reading("reading sink receipts") as session:
            rows = session.execute(query.order_by(table.c.kr_id, table.c.key))
            return [record_of(SinkReceipt, row) for row in rows]

    def park_sink(self, sink: str, reason: str, *, now: datetime) -> None:
        """Park ``sink`` for ``reason``; parking it again keeps the first moment, the new
        reason."""
        table = _parked()
        with self._writing("parking a sink") as session:
            insert = upsert_insert(session, table).values(sink=sink, reason=reason, parked_at=now)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["sink"], set_={"reason": insert.excluded.reason}
                )
            )

    def unpark_sink(self, sink: str) -> bool:
        """Unpark ``sink``; whether it was parked."""
        table = _parked()
        with self._writing("unparking a sink") as session:
            result = session.execute(delete(table).where(table.c.sink == sink))
            return bool(getattr(result, "rowcount", 0))

    def parked_sinks(self) -> list[ParkedSink]:
        """Every parked sink, by name."""
        table = _parked()
        with self._reading("reading parked sinks") as session:
            rows = session.execute(select(table).order_by(table.c.sink))
            return [record_of(ParkedSink, row) for row in rows]
