"""Fixtures shared by the whole suite: a store URL per backend, and an opened store.

``store_url`` runs a test once per backend: on SQLite (a file in ``tmp_path``), on PostgreSQL (a
fresh database ``syncd_t_<hex>``, dropped afterwards) and in memory (a named ``MemoryStore``,
forgotten afterwards). ``sql_store_url`` and ``sql_store`` are the SQL backends only, for tests
of what only SQL has (migrations, views, files, drivers). The PostgreSQL server comes from
``$SYNCD_TEST_POSTGRES``; when it is unreachable the PostgreSQL cases skip, or fail when ``CI``
is ``true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from syncd.store import MemoryStore, StateStore, Store, open_store

POSTGRES_ENV = "SYNCD_TEST_POSTGRES"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An autocommit engine on the test server's maintenance database."""
    engine = create_engine(
        os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        reason = (
            f"PostgreSQL not reachable at {where} ({str(exc.orig).strip().splitlines()[0]}); "
            f"start it with `pg_ctlcluster 15 main start` or set {POSTGRES_ENV}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"syncd_t_{uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:
        # template0: a clean database, whatever was added to template1 on this server.
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SQL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'syncd.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=[*SQL_BACKENDS, "memory"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store, once per backend (open it with ``open_store``)."""
    if request.param != "memory":
        yield _sql_url(request, tmp_path)
        return
    url = f"memory://{uuid4().hex}"
    yield url
    MemoryStore.drop(url)


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    """A store opened (and migrated) on ``store_url``."""
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture(params=SQL_BACKENDS)
def sql_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty SQL store, once per SQL backend (SQLite, PostgreSQL)."""
    return _sql_url(request, tmp_path)


@pytest.fixture
def sql_store(sql_store_url: str) -> Iterator[Store]:
    """A SQL store opened (and migrated) on ``sql_store_url``."""
    with Store.open(sql_store_url) as opened:
        yield opened
