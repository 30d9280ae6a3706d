"""Databases for the sql connector tests: a SQLite file and a temporary PostgreSQL database,
both holding the same known rows around the end of daylight saving time in Europe/Zurich
(2026-10-25, 03:00 CEST → 02:00 CET, so that local day lasts 25 hours).

The PostgreSQL database is made through the suite's shared ``postgres_admin`` fixture, so it
follows the project rule: when the server is down the tests fail under CI=true, and are skipped
with a reason elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

ZURICH = ZoneInfo("Europe/Zurich")

# (instant in UTC, amount). Amounts are powers of two so every sum names its rows.
EVENTS: list[tuple[datetime, int]] = [
    (datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC), 1),  # 23:59:59 CEST, 24 Oct
    (datetime(2026, 10, 24, 22, 0, 0, tzinfo=UTC), 2),  # 00:00 CEST, 25 Oct
    (datetime(2026, 10, 25, 0, 30, 0, tzinfo=UTC), 4),  # 02:30 CEST (first 02:30)
    (datetime(2026, 10, 25, 1, 30, 0, tzinfo=UTC), 8),  # 02:30 CET (second 02:30)
    (datetime(2026, 10, 25, 22, 30, 0, tzinfo=UTC), 16),  # 23:30 CET, 25 Oct
    (datetime(2026, 10, 25, 23, 0, 0, tzinfo=UTC), 32),  # 00:00 CET, 26 Oct
    (datetime(2026, 10, 26, 10, 0, 0, tzinfo=UTC), 64),  # 11:00 CET, 26 Oct
]
INVOICES: list[tuple[date, int]] = [
    (date(2026, 10, 24), 100),
    (date(2026, 10, 25), 200),
    (date(2026, 10, 26), 400),
    (date(2026, 10, 31), 800),
    (date(2026, 11, 1), 1600),
]
CUSTOMERS = ["alice", "bob", "x' OR '1'='1"]

TABLES = """
CREATE TABLE events_aware (ts {aware} NOT NULL, amount INTEGER NOT NULL);
CREATE TABLE events_local (ts {naive} NOT NULL, amount INTEGER NOT NULL);
CREATE TABLE events_utc (ts {naive} NOT NULL, amount INTEGER NOT NULL);
CREATE TABLE invoices (invoice_date DATE NOT NULL, amount NUMERIC(12, 2) NOT NULL);
CREATE TABLE customers (name TEXT NOT NULL, plan TEXT);
"""


def _timestamp_rows(dialect: str) -> dict[str, list[dict[str, object]]]:
    """Each event as each table stores it. SQLite has no timestamp type: ISO text, as
    Python's sqlite3 adapter writes (and binds) datetimes."""

    def text_or_value(moment: datetime) -> object:
        return moment.isoformat(" ") if dialect == "sqlite" else moment

    return {
        "events_aware": [{"ts": text_or_value(ts), "amount": a} for ts, a in EVENTS],
        "events_local": [
            {"ts": text_or_value(ts.astimezone(ZURICH).replace(tzinfo=None)), "amount": a}
            for ts, a in EVENTS
        ],
        "events_utc": [
            {"ts": text_or_value(ts.replace(tzinfo=None)), "amount": a} for ts, a in EVENTS
        ],
    }


def populate(engine: sa.Engine) -> None:
    """Create the tables and insert the known rows."""
    dialect = engine.dialect.name
    types = (
        {"aware": "TIMESTAMPTZ", "naive": "TIMESTAMP"}
        if dialect == "postgresql"
        else {"aware": "TEXT", "naive": "TEXT"}
    )
    with engine.begin() as connection:
        for statement in TABLES.format(**types).split(";"):
            if statement.strip():
                connection.execute(sa.text(statement))
        for table, rows in _timestamp_rows(dialect).items():
            connection.execute(
                sa.text(f"INSERT INTO {table} (ts, amount) VALUES (:ts, :amount)"), rows
            )
        connection.execute(
            sa.text("INSERT INTO invoices (invoice_date, amount) VALUES (:day, :amount)"),
            [{"day": day, "amount": amount} for day, amount in INVOICES],
        )
        connection.execute(
            sa.text("INSERT INTO customers (name, plan) VALUES (:name, NULL)"),
            [{"name": name} for name in CUSTOMERS],
        )


@pytest.fixture(scope="session")
def sql_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding the known rows."""
    path = tmp_path_factory.mktemp("sql-connector") / "warehouse.db"
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    populate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sql_pg_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A temporary PostgreSQL database holding the known rows, dropped afterwards.

    ``postgres_admin`` (tests/conftest.py) skips, or fails under CI, when the server is down.
    The URL carries a password; the server trusts local connections, so any password works,
    which lets the tests check that it never leaks.
    """
    name = f"syncd_sql_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = postgres_admin.url.set(database=name, password="pg-s3cr3t-pw")
    engine = sa.create_engine(url)
    try:
        populate(engine)
        engine.dispose()
        yield url.render_as_string(hide_password=False)
    finally:
        engine.dispose()
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
