"""The store: KR definitions, measurements with revisions, check-ins, sync runs, what lets
several instances share it, and the measurements it refused (dead letters).

Its concerns are the protocols of :mod:`syncd.store.abc`; :class:`Store` implements them on
SQLite (the default, WAL mode) or PostgreSQL with SQLModel tables migrated by Alembic, and
:class:`~syncd.store.memory.MemoryStore` in one process. Reads return the frozen records of
:mod:`syncd.store.records`::

    with Store.open("sqlite:///syncd.db") as store:
        store.sync_definitions(config)
        store.record_measurements([MeasurementIn(...)])
"""

from syncd.store.abc import StateStore
from syncd.store.memory import SCHEME as MEMORY_SCHEME
from syncd.store.memory import MemoryStore
from syncd.store.records import (
    Backoff,
    CheckIn,
    DeadLetter,
    Delivery,
    Measurement,
    MeasurementIn,
    MeasurementRevision,
    OutgoingMessage,
    ParkedSink,
    Refusal,
    SinkReceipt,
    StoredCycle,
    StoredObjective,
    SyncRun,
    WriteResult,
)
from syncd.store.store import Store
from syncd.store.tables import metadata

__all__ = [
    "Backoff",
    "CheckIn",
    "DeadLetter",
    "Delivery",
    "Measurement",
    "MeasurementIn",
    "MeasurementRevision",
    "MemoryStore",
    "OutgoingMessage",
    "ParkedSink",
    "Refusal",
    "SinkReceipt",
    "StateStore",
    "Store",
    "StoredCycle",
    "StoredObjective",
    "SyncRun",
    "WriteResult",
    "metadata",
    "open_store",
]


def open_store(url: str, *, upgrade: bool = True, owner: str | None = None) -> StateStore:
    """The store at ``url``: :class:`MemoryStore` for ``memory://[name]``, else :class:`Store`
    (SQLite or PostgreSQL, migrated to head unless ``upgrade`` is False)."""
    if url.startswith(MEMORY_SCHEME):
        return MemoryStore.open(url, owner=owner)
    return Store.open(url, upgrade=upgrade, owner=owner)
