"""The measurement store: KR definitions, measurements with revisions, and sync runs.

SQLModel tables migrated by Alembic, on SQLite (the default, WAL mode) or PostgreSQL::

    with Store.open("sqlite:///syncd.db") as store:
        store.sync_definitions(config)
        store.record_measurements([MeasurementIn(...)])
"""

from syncd.store.records import MeasurementIn, WriteResult
from syncd.store.store import Store
from syncd.store.tables import (
    KeyResultRecord,
    Measurement,
    MeasurementRevision,
    ObjectiveRecord,
    SyncRun,
    metadata,
)

__all__ = [
    "KeyResultRecord",
    "Measurement",
    "MeasurementIn",
    "MeasurementRevision",
    "ObjectiveRecord",
    "Store",
    "SyncRun",
    "WriteResult",
    "metadata",
]
