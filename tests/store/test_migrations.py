"""Alembic migrations of the SQL store. SQL-only (``sql_store_url``): the in-memory store has
no schema."""

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from syncd.errors import StoreError
from syncd.store import Store, metadata, migrate

TABLES = {
    "alembic_version",
    "objectives",
    "key_results",
    "measurements",
    "measurement_revisions",
    "sync_runs",
    "job_claims",
    "notification_deliveries",
    "outbox_events",
    "outbox_deliveries",
    "outbox_cursors",
    "dead_letters",
    "cycles",
    "checkins",
    "quota_windows",
    "sink_receipts",
    "parked_sinks",
}
HEAD = "0010"


def test_migrations_match_the_models(sql_store_url):
    with Store.open(sql_store_url):
        pass
    engine = create_engine(sql_store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            assert set(inspect(connection).get_table_names()) == TABLES
            unique = inspect(connection).get_unique_constraints("measurements")
            assert [c["column_names"] for c in unique] == [
                ["key_result_id", "window_start", "window_end"]
            ]
            indexes = {
                tuple(index["column_names"])
                for index in inspect(connection).get_indexes("measurements")
            }
            assert ("key_result_id", "window_end") in indexes
    finally:
        engine.dispose()


def test_open_without_upgrade_leaves_an_empty_store_unmigrated(sql_store_url):
    with Store.open(sql_store_url, upgrade=False) as store:
        assert store.is_current() is False
        assert store.upgrade() == HEAD
        assert store.is_current() is True
        # Upgrading an up-to-date store is a no-op.
        assert store.upgrade() == HEAD


def test_a_store_from_a_newer_syncd_is_refused(sql_store_url):
    with Store.open(sql_store_url):
        pass
    engine = create_engine(sql_store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"'9999'.*newer syncd"):
        Store.open(sql_store_url)
    with pytest.raises(StoreError, match="newer syncd"):
        Store.open(sql_store_url, upgrade=False)


def test_sqlite_store_creates_its_directory_and_uses_wal(tmp_path):
    path = tmp_path / "deep" / "er" / "syncd.db"
    with Store.open(f"sqlite:///{path}") as store:
        assert store.is_current()
    assert path.is_file()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


@pytest.fixture
def broken_migrations(tmp_path, monkeypatch):
    """The packaged migrations plus a newest revision whose SQL fails halfway."""
    packaged = Path(migrate.script_directory().dir)
    scripts = tmp_path / "migrations"
    shutil.copytree(packaged, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9000_broken.py").write_text(
        '"""broken"""\n'
        "from alembic import op\n"
        'revision = "9000"\n'
        f'down_revision = "{HEAD}"\n'
        "branch_labels = None\n"
        "depends_on = None\n\n"
        "def upgrade():\n"
        '    op.execute("CREATE TABLE half_done (id INTEGER)")\n'
        '    op.execute("INSERT INTO no_such_table VALUES (1)")\n\n'
        "def downgrade():\n"
        "    pass\n"
    )
    migrate.script_directory.cache_clear()
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", str(scripts))
    yield
    migrate.script_directory.cache_clear()


def test_a_failing_migration_is_a_store_error_and_rolls_back(sql_store_url, broken_migrations):
    with pytest.raises(StoreError, match="migrating failed for store") as caught:
        Store.open(sql_store_url)
    assert "no_such_table" in str(caught.value)
    engine = create_engine(sql_store_url)
    try:
        with engine.connect() as connection:
            # All of the upgrade, the good revisions included, ran in one transaction that was
            # rolled back.
            assert inspect(connection).get_table_names() == []
    finally:
        engine.dispose()


def test_the_head_known_without_alembic_is_the_head_of_the_scripts():
    # Opening a current store compares its version row with this constant instead of loading
    # Alembic's script directory; a new migration must update it.
    assert migrate.head_revision() == HEAD
    assert migrate.HEAD_REVISION == HEAD, (
        "a new migration: set HEAD_REVISION in syncd/store/migrate.py"
    )


def test_a_current_store_reports_its_revision_without_alembic(sql_store_url):
    with Store.open(sql_store_url) as store:
        assert store.is_current()
    engine = create_engine(sql_store_url)
    try:
        with engine.connect() as connection:
            assert migrate.current_revisions(connection) == (HEAD,)
            expected = MigrationContext.configure(connection).get_current_heads()
            assert migrate.current_revisions(connection) == tuple(expected)
    finally:
        engine.dispose()


def test_a_new_database_has_no_revision(sql_store_url):
    engine = create_engine(sql_store_url)
    try:
        with engine.connect() as connection:
            assert migrate.current_revisions(connection) == ()
    finally:
        engine.dispose()


def test_0008_replaces_alert_states_with_the_outbox_and_downgrades(sql_store_url):
    from alembic import command

    with Store.open(sql_store_url):
        pass
    engine = create_engine(sql_store_url)
    try:
        with engine.begin() as connection:
            command.downgrade(migrate.alembic_config(connection), "0007")
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        assert "alert_states" in tables
        assert not {"outbox_events", "outbox_deliveries", "outbox_cursors"} & tables
        with engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection), "head")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES
    finally:
        engine.dispose()
