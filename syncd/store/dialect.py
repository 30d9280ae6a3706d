"""``INSERT … ON CONFLICT`` for the two supported backends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlmodel import Session

if TYPE_CHECKING:  # a dialect's module loads only on a store of that dialect
    from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's ``insert(table)``, which offers ``on_conflict_do_nothing/do_update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {name!r} dialect")
