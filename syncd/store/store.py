"""``Store``: the SQL store (SQLite or PostgreSQL), one object over its concerns."""

from __future__ import annotations

from sqlalchemy import text

from syncd.store import migrate
from syncd.store.engine import make_engine, parse_url
from syncd.store.failures import guarded
from syncd.store.sqlcoordination import SqlCoordination
from syncd.store.sqldeliveries import SqlDeliveries
from syncd.store.sqlmeasurements import SqlMeasurements
from syncd.store.sqlruns import SqlRunLog
from syncd.store.sqlsinks import SqlSinkLedger


class Store(SqlMeasurements, SqlRunLog, SqlCoordination, SqlDeliveries, SqlSinkLedger):
    """The store on SQLite or PostgreSQL: a :class:`~syncd.store.abc.StateStore`.

    Open it with :meth:`open`. Each concern is a class of its own (:class:`SqlMeasurements`,
    :class:`SqlRunLog`, :class:`SqlCoordination`, :class:`SqlDeliveries`,
    :class:`SqlSinkLedger`) on one engine; every failure surfaces as
    :class:`~syncd.errors.StoreError` naming the store URL (password hidden) and a hint.
    Reads return frozen records (:mod:`syncd.store.records`).
    """

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True, owner: str | None = None) -> Store:
        """Connect to the store at ``url`` and, unless ``upgrade`` is False, migrate it to head.

        ``owner`` names this process in the runs it records (default ``host:pid``). A store
        migrated by a newer syncd is refused either way.
        """
        parsed = parse_url(url)
        store = cls(make_engine(parsed), parsed, owner=owner)
        try:
            with guarded(parsed, "connecting"), store._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                migrate.check_known(connection, parsed)
            if upgrade:
                store.upgrade()
        except BaseException:
            store.close()
            raise
        return store
