"""Fixtures shared by the whole suite: a store URL per backend, and an opened store.

``store_url`` runs a test once on SQLite (a file in ``tmp_path``) and once on PostgreSQL (a fresh
database ``syncd_t_<hex>``, dropped afterwards). The PostgreSQL server comes from
``$SYNCD_TEST_POSTGRES``; when it is unreachable the PostgreSQL cases skip, or fail when ``CI``
is ``true``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from syncd.store import Store

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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL for an empty store, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'syncd.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store opened (and migrated) on ``store_url``."""
    with Store.open(store_url) as opened:
        yield opened
