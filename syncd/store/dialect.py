"""``INSERT … ON CONFLICT`` for the two supported backends."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def upsert_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's ``insert(table)``, which offers ``on_conflict_do_nothing/do_update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {name!r} dialect")
