"""The measurement store: KR definitions, measurements with revisions, sync runs, and the
measurements it refused (dead letters).

SQLModel tables migrated by Alembic, on SQLite (the default, WAL mode) or PostgreSQL::

    with Store.open("sqlite:///syncd.db") as store:
        store.sync_definitions(config)
        store.record_measurements([MeasurementIn(...)])
"""

from syncd.store.records import MeasurementIn, Refusal, WriteResult
from syncd.store.store import Store
from syncd.store.tables import (
    DeadLetter,
    KeyResultRecord,
    Measurement,
    MeasurementRevision,
    ObjectiveRecord,
    SyncRun,
    metadata,
)

__all__ = [
    "DeadLetter",
    "KeyResultRecord",
    "Measurement",
    "MeasurementIn",
    "MeasurementRevision",
    "ObjectiveRecord",
    "Refusal",
    "Store",
    "SyncRun",
    "WriteResult",
    "metadata",
]
