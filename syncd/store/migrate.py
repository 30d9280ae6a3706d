"""Running the Alembic migrations from code: no alembic.ini, the connection passed in.

The migration scripts ship inside the package (``syncd/store/migrations``). On SQLite,
foreign-key enforcement is paused while migrating, because batch mode rebuilds tables by copy
and drop; the foreign keys are checked as a whole before the migration commits.

Alembic loads only when a store is not at :data:`HEAD_REVISION`: opening a current store (every
command, most of the time) reads the ``alembic_version`` row and compares it with that constant,
so read-only commands do not pay for importing Alembic and its script directory.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, Connection

from syncd.errors import StoreError
from syncd.store.engine import writing
from syncd.store.failures import guarded, store_error, translate

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "syncd.store:migrations"
HEAD_REVISION = "0010"
"""The newest packaged migration, known without loading Alembic (a test keeps it equal to the
head of the scripts: update it with every new revision)."""
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not change it
# Any constant key works; it only has to be the same for every syncd sharing a database.
MIGRATION_LOCK_KEY = 0x5D1CD_0001

_VERSIONS = text(f"SELECT version_num FROM {VERSION_TABLE}")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations, bound to ``connection`` if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def script_directory() -> ScriptDirectory:
    """The packaged migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest migration of the scripts (loads Alembic; :data:`HEAD_REVISION` does not)."""
    head = script_directory().get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is at (empty for a database never migrated): the rows of
    Alembic's version table, read without loading Alembic."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return ()
    return tuple(connection.execute(_VERSIONS).scalars())


def check_known(connection: Connection, url: URL) -> None:
    """Fail when the database was migrated by a newer syncd than this one."""
    revisions = current_revisions(connection)
    if revisions in ((), (HEAD_REVISION,)):
        return  # new or current: no need to load the scripts
    from alembic.util import CommandError

    scripts = script_directory()
    for revision in revisions:
        try:
            known = scripts.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise store_error(
                url,
                "opening",
                f"the database is at migration {revision!r}, which this syncd does not know: "
                "a newer syncd has migrated it",
                "upgrade syncd to the version that migrated this store (or use another store)",
            )


def is_current(engine: Engine, url: URL) -> bool:
    """Whether the database is migrated to this code's head."""
    with guarded(url, "checking migrations"), engine.connect() as connection:
        check_known(connection, url)
        return current_revisions(connection) == (HEAD_REVISION,)


def upgrade(engine: Engine, url: URL) -> str:
    """Migrate the database to head in one transaction; returns the head revision.

    Concurrent callers are serialized (an advisory lock on PostgreSQL, the write lock on
    SQLite), so several instances starting together migrate once.
    """
    sqlite = engine.dialect.name == "sqlite"
    with guarded(url, "migrating"), writing(engine).connect() as connection:
        check_known(connection, url)
        if current_revisions(connection) == (HEAD_REVISION,):
            return HEAD_REVISION
        head = head_revision()
        connection.rollback()
        raw = connection.connection.driver_connection
        if sqlite:
            # PRAGMA foreign_keys is ignored inside a transaction, so it goes first.
            raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                if current_revisions(connection) != (head,):
                    _run_upgrade(connection, url, sqlite=sqlite)
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return head


def _run_upgrade(connection: Connection, url: URL, *, sqlite: bool) -> None:
    from alembic import command

    try:
        command.upgrade(alembic_config(connection), "head")
    except StoreError:
        raise
    except Exception as exc:  # a failing migration script may raise anything
        raise translate(exc, url, "migrating") from exc
    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
        raise store_error(url, "migrating", "the migration left rows with broken foreign keys")
