"""Alembic environment of the store: migrations run on the connection syncd passes in.

``syncd.store.migrate`` builds the Alembic config in code and puts an open connection (already in
a transaction) into ``config.attributes["connection"]``; no alembic.ini is read at runtime. For
authoring a new revision with the ``alembic`` CLI, ``sqlalchemy.url`` may be given instead.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import UTCDateTime

from syncd.store.tables import metadata


def render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write UTC datetime columns as their plain column type, so migrations never import syncd."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations through syncd.store, or set sqlalchemy.url")
    with create_engine(url).begin() as own:
        run(own)


main()
