"""The sql connector against a SQLite file and a PostgreSQL database with known rows.

Expected values are sums of the rows in ``conftest.py`` picked by hand; amounts are powers of
two, so each expected sum names exactly the rows it includes.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

import connectors.sql
from connectors.sql import SqlConnector, SqlQuery, SqlSourceConfig
from syncd.abc import (
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
    RetryPolicy,
    Window,
)
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, SourceError, TransientSourceError
from syncd.evaluate import DayRule
from syncd.testing import ConnectorConformance, first_failure

ZURICH = ZoneInfo("Europe/Zurich")
PG_PASSWORD = "pg-s3cr3t-pw"  # the password conftest puts in the PostgreSQL URL


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZURICH)


def make_request(
    sql: str, start: datetime, end: datetime, source: str = "warehouse", **params: Any
) -> MetricRequest:
    window = Window(start, end)
    # As the planner does for a query that reads dates: the days of the config's zone.
    days = DayRule(ZURICH).span(window) if ":start_date" in sql or ":end_date" in sql else None
    return MetricRequest(source, SqlQuery(sql=sql, params=params), window, days)


SUM_SQL = (
    "SELECT COALESCE(SUM(amount), 0) FROM {table} WHERE ts >= :window_start AND ts < :window_end"
)
OCT_25 = (local(2026, 10, 25), local(2026, 10, 26))  # 25 hours: DST ends at 03:00
ACROSS_DST = (local(2026, 10, 24, 12), local(2026, 10, 25, 12))  # 12:00 CEST → 12:00 CET
WEEK = (local(2026, 10, 19), local(2026, 10, 26))


def fast_context(source: str = "warehouse") -> ConnectorContext:
    return ConnectorContext(
        source=source,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, max_retry_after=0.05),
    )


def connector_for(
    url: str, context: ConnectorContext | None = None, **settings: Any
) -> SqlConnector:
    config = SqlSourceConfig.model_validate({"type": "sql", "url": url, **settings})
    return SqlConnector(config, context or fast_context())


def collect_one(connector: SqlConnector, request: MetricRequest) -> Observation | RequestFailed:
    (result,) = list(connector.collect([request]))
    return result


# ---- conformance -------------------------------------------------------------------------------


class SqlConformanceBase(ConnectorConformance):
    connector_name = "sql"
    speaks_http = False  # database errors have their own tests below
    timestamps = "utc"
    table = "events_utc"

    @pytest.fixture
    def query(self):
        return {
            "sql": "SELECT COUNT(*) FROM customers WHERE name = :name",
            "params": {"name": "bob"},
        }

    @pytest.fixture
    def make_connector(self, source_config, context):
        made: list[SqlConnector] = []

        def make(**overrides: Any) -> SqlConnector:
            config = SqlSourceConfig.model_validate({**source_config, **overrides})
            made.append(SqlConnector(config, context))
            return made[-1]

        yield make
        for connector in made:
            connector.close()

    @pytest.fixture
    def windowed_requests(self, context):
        sql = SUM_SQL.format(table=self.table)
        return [
            (make_request(sql, *OCT_25, source=context.source), 2 + 4 + 8 + 16),
            (make_request(sql, *ACROSS_DST, source=context.source), 1 + 2 + 4 + 8),
            (make_request(sql, *WEEK, source=context.source), 1 + 2 + 4 + 8 + 16),
            (
                make_request(
                    "SELECT SUM(amount) FROM invoices "
                    "WHERE invoice_date >= :start_date AND invoice_date < :end_date",
                    local(2026, 10, 1),
                    local(2026, 11, 1),
                    source=context.source,
                ),
                100 + 200 + 400 + 800,
            ),
        ]


class TestSqliteConformance(SqlConformanceBase):
    @pytest.fixture
    def source_config(self, sql_sqlite_url):
        return {"type": "sql", "url": sql_sqlite_url, "timestamps": "utc", "timeout_seconds": 0.05}

    @pytest.fixture
    def failure_cases(self, make_connector, sql_sqlite_url, context):
        missing = make_request("SELECT COUNT(*) FROM no_such_table", *OCT_25, context.source)

        def locked():
            blocker = sqlite3.connect(sql_sqlite_url.removeprefix("sqlite:///"))
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                return make_connector().collect([missing])
            finally:
                blocker.rollback()
                blocker.close()

        return {
            QueryError: lambda: make_connector().collect([missing]),
            TransientSourceError: locked,
        }


@pytest.mark.postgres
class TestPostgresConformance(SqlConformanceBase):
    secret_values = (PG_PASSWORD,)
    timestamps = "aware"
    table = "events_aware"

    @pytest.fixture
    def source_config(self, sql_pg_url):
        return {"type": "sql", "url": sql_pg_url, "timestamps": "aware", "timeout_seconds": 1}

    @pytest.fixture
    def failure_cases(self, make_connector, sql_pg_url, context):
        request = make_request("SELECT COUNT(*) FROM no_such_table", *OCT_25, context.source)
        url = sa.engine.make_url(sql_pg_url)
        stranger = url.set(username="no_such_role").render_as_string(hide_password=False)
        refused = url.set(port=1).render_as_string(hide_password=False)
        return {
            QueryError: lambda: make_connector().collect([request]),
            AuthError: lambda: make_connector(url=stranger).collect([request]),
            TransientSourceError: lambda: make_connector(url=refused).collect([request]),
        }


# ---- both databases ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request):
    return request.getfixturevalue("sql_sqlite_url" if request.param == "sqlite" else "sql_pg_url")


@pytest.mark.parametrize(
    ("timestamps", "table"),
    [("local", "events_local"), ("utc", "events_utc"), ("aware", "events_aware")],
)
@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        (OCT_25, 2 + 4 + 8 + 16),  # 00:00 included, both 02:30 included, next 00:00 excluded
        (ACROSS_DST, 1 + 2 + 4 + 8),
        ((local(2026, 10, 24, 0), local(2026, 10, 24, 23)), 0),
        ((local(2026, 10, 26), local(2026, 10, 27)), 32 + 64),
    ],
)
def test_timestamp_modes_pick_the_same_rows_across_the_dst_change(
    db_url, timestamps, table, bounds, expected
):
    with connector_for(db_url, timestamps=timestamps) as connector:
        result = collect_one(connector, make_request(SUM_SQL.format(table=table), *bounds))
    assert isinstance(result, Observation), result
    assert result.value == expected


def test_row_at_window_start_is_included_and_at_window_end_excluded(db_url):
    # Event 2 is at 22:00 UTC exactly, event 6 at 23:00 UTC exactly.
    start, end = (
        datetime.fromisoformat("2026-10-24T22:00:00+00:00"),
        datetime.fromisoformat("2026-10-25T23:00:00+00:00"),
    )
    count = "SELECT COUNT(*) FROM events_utc WHERE ts >= :window_start AND ts < :window_end"
    with connector_for(db_url, timestamps="utc") as connector:
        results = list(
            connector.collect(
                [
                    make_request(count, start, end),
                    make_request(count, start, start.replace(hour=22, second=1)),
                    make_request(count, end, end.replace(hour=23, second=1)),
                ]
            )
        )
    assert [r.value for r in results if isinstance(r, Observation)] == [4, 1, 1]


def test_dates_are_local_dates_of_the_window_with_end_exclusive(db_url):
    sql = (
        "SELECT COALESCE(SUM(amount), 0) FROM invoices "
        "WHERE invoice_date >= :start_date AND invoice_date < :end_date"
    )
    # 2026-10-25 00:00 Zurich is still 24 October in UTC: the local date must win.
    with connector_for(db_url) as connector:
        results = list(
            connector.collect(
                [
                    make_request(sql, *OCT_25),
                    make_request(sql, local(2026, 10, 1), local(2026, 11, 1)),
                ]
            )
        )
    assert [r.value for r in results if isinstance(r, Observation)] == [200, 1500]


def test_params_are_bound_as_data_not_sql(db_url):
    sql = "SELECT COUNT(*) FROM customers WHERE name = :name"
    with connector_for(db_url) as connector:
        injected = collect_one(connector, make_request(sql, *OCT_25, name="x' OR '1'='1"))
        nobody = collect_one(connector, make_request(sql, *OCT_25, name="nobody' OR '1'='1"))
    # Formatted into the SQL, both would count all 3 customers.
    assert isinstance(injected, Observation) and injected.value == 1
    assert isinstance(nobody, Observation) and nobody.value == 0


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT amount FROM events_utc WHERE amount > 1000", "returned no row"),
        ("SELECT amount FROM events_utc", "more than one row"),
        ("SELECT COUNT(*), SUM(amount) FROM events_utc", "returned 2 columns"),
        ("SELECT SUM(amount) FROM events_utc WHERE amount > 1000", "COALESCE(…, 0)"),
        ("SELECT 'many' AS label", "returned str 'many', not a number"),
        ("SELECT COUNT(*) FROM no_such_table", "no_such_table"),
        ("SELECT no_such_column FROM events_utc", "no_such_column"),
        ("SELECT COUNT(*) FROM events_utc WHERE WHERE", "syntax error"),
    ],
)
def test_bad_queries_fail_that_request_only(db_url, sql, message):
    good = make_request("SELECT COUNT(*) FROM customers", *OCT_25)
    bad = make_request(sql, *OCT_25)
    with connector_for(db_url) as connector:
        results = list(connector.collect([good, bad]))
    assert isinstance(results[0], Observation) and results[0].value == 3
    failed = results[1]
    assert isinstance(failed, RequestFailed) and failed.request == bad
    assert type(failed.error) is QueryError
    assert message in str(failed.error)
    assert connector.context.stats.retries == 0


def test_sqlite_database_locked_is_transient_and_retried(sql_sqlite_url):
    blocker = sqlite3.connect(sql_sqlite_url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN EXCLUSIVE")
    context = fast_context()
    try:
        with (
            connector_for(sql_sqlite_url, context, timeout_seconds=0.05) as connector,
            pytest.raises(TransientSourceError, match="database is locked"),
        ):
            first_failure(
                connector.collect([make_request("SELECT COUNT(*) FROM customers", *OCT_25)])
            )
    finally:
        blocker.rollback()
        blocker.close()
    assert (context.stats.calls, context.stats.retries) == (2, 1)


@pytest.mark.postgres
def test_postgres_numeric_sums_arrive_as_floats(sql_pg_url):
    sql = "SELECT SUM(amount) FROM invoices WHERE invoice_date >= :start_date"
    with connector_for(sql_pg_url) as connector:
        result = collect_one(connector, make_request(sql, local(2026, 10, 26), local(2026, 11, 2)))
    assert isinstance(result, Observation)
    assert result.value == 400 + 800 + 1600
    assert type(result.value) is float


@pytest.mark.postgres
def test_postgres_booleans_are_not_numbers(sql_pg_url):
    with connector_for(sql_pg_url) as connector:
        result = collect_one(connector, make_request("SELECT true", *OCT_25))
    assert isinstance(result, RequestFailed)
    assert "returned bool True, not a number" in str(result.error)


@pytest.mark.postgres
def test_postgres_transaction_is_read_only(sql_pg_url):
    # A SELECT can still write (here: a sequence); the read-only transaction refuses it.
    admin = sa.create_engine(sql_pg_url)
    with admin.begin() as connection:
        connection.execute(sa.text("CREATE SEQUENCE IF NOT EXISTS counter"))
    admin.dispose()
    with connector_for(sql_pg_url) as connector:
        result = collect_one(connector, make_request("SELECT nextval('counter')", *OCT_25))
    assert isinstance(result, RequestFailed)
    assert type(result.error) is QueryError
    assert "read-only" in str(result.error)


@pytest.mark.postgres
def test_postgres_statement_timeout_is_transient_and_fails_the_source(sql_pg_url):
    context = fast_context()
    with (
        connector_for(sql_pg_url, context, timeout_seconds=0.1) as connector,
        pytest.raises(TransientSourceError, match="statement timeout"),
    ):
        first_failure(connector.collect([make_request("SELECT 1 FROM pg_sleep(2)", *OCT_25)]))
    assert (context.stats.calls, context.stats.retries) == (2, 1)


@pytest.mark.postgres
def test_postgres_unknown_role_is_an_auth_error_without_the_password(sql_pg_url):
    url = sa.engine.make_url(sql_pg_url).set(username="no_such_role")
    context = fast_context()
    with (
        connector_for(url.render_as_string(hide_password=False), context) as connector,
        pytest.raises(AuthError) as raised,
    ):
        first_failure(connector.collect([make_request("SELECT 1", *OCT_25)]))
    assert "no_such_role" in str(raised.value)
    assert PG_PASSWORD not in str(raised.value)
    assert context.stats.retries == 0


def test_one_engine_per_connector_released_on_close(sql_sqlite_url):
    connector = connector_for(sql_sqlite_url)
    first = connector.engine
    connector.collect([make_request("SELECT COUNT(*) FROM customers", *OCT_25)] * 2)
    assert connector.engine is first
    connector.close()
    assert connector.engine is not first
    connector.close()


def test_describe_shows_sql_bound_values_and_redacted_url():
    connector = connector_for(
        "postgresql+psycopg://reader:hunter2@db.example/analytics", timestamps="local"
    )
    request = make_request(
        "SELECT COUNT(*) FROM t\n WHERE ts >= :window_start AND ts < :window_end AND k = :k",
        *OCT_25,
        k="v",
    )
    assert connector.describe(request) == (
        "SELECT COUNT(*) FROM t WHERE ts >= :window_start AND ts < :window_end AND k = :k "
        "[window_start=2026-10-25T00:00:00, window_end=2026-10-26T00:00:00, k='v'] "
        "on postgresql+psycopg://reader:***@db.example/analytics"
    )


# ---- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; DELETE FROM customers", "exactly one statement, found 2"),
        ("DELETE FROM customers", "this one is DELETE"),
        ("WITH gone AS (SELECT 1) DELETE FROM customers", "this one is DELETE"),
        ("UPDATE customers SET plan = 'x'", "this one is UPDATE"),
        ("SELECT :since_day", "unknown bind parameter :since_day; available: :end_date, :segment"),
    ],
)
def test_query_validation_rejects(sql, message):
    with pytest.raises(ValidationError, match=message):
        SqlQuery(sql=sql, params={"segment": "newcomer"})


def test_query_accepts_a_trailing_semicolon_semicolons_in_strings_and_ctes():
    assert SqlQuery(sql="SELECT COUNT(*) FROM t WHERE note = 'a;b';").bind_names() == []
    cte = SqlQuery(sql="WITH w AS (SELECT * FROM t WHERE d >= :start_date) SELECT COUNT(*) FROM w")
    assert cte.bind_names() == ["start_date"]


def test_params_must_not_shadow_window_names():
    with pytest.raises(ValidationError, match="params window_end would shadow"):
        SqlQuery(sql="SELECT :window_end", params={"window_end": "2026-01-01"})


def test_param_values_keep_their_types():
    query = SqlQuery(sql="SELECT :a + :b", params={"a": True, "b": 2, "c": 2.5, "d": "x"})
    assert [type(v) for v in query.params.values()] == [bool, int, float, str]


def test_source_config_rejects_bad_urls_without_echoing_them():
    with pytest.raises(ValidationError) as raised:
        SqlSourceConfig.model_validate({"type": "sql", "url": "nodialect://u:hunter2@h/db"})
    assert "no SQLAlchemy dialect 'nodialect'" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    with pytest.raises(ValidationError, match="not a SQLAlchemy URL"):
        SqlSourceConfig.model_validate({"type": "sql", "url": "hunter2"})


def test_source_config_defaults():
    config = SqlSourceConfig.model_validate({"type": "sql", "url": "sqlite://"})
    assert (config.timestamps, config.timeout_seconds) == ("aware", 30)
    assert config.redacted_url == "sqlite://"


def test_window_values_per_timestamp_mode():
    from connectors.sql.binding import window_values

    window = Window(*OCT_25)
    aware = window_values(window, "aware", ZURICH)
    assert aware["window_start"] == datetime.fromisoformat("2026-10-24T22:00:00+00:00")
    assert aware["window_end"] == datetime.fromisoformat("2026-10-25T23:00:00+00:00")
    assert window_values(window, "local", ZURICH)["window_start"] == datetime(2026, 10, 25)
    assert window_values(window, "utc", ZURICH)["window_end"] == datetime(2026, 10, 25, 23)
    assert (aware["start_date"], aware["end_date"]) == (date(2026, 10, 25), date(2026, 10, 26))


def test_sample_config_loads():
    sample = Path(connectors.sql.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={"WAREHOUSE_PASSWORD": "pw"}).config
    warehouse = config.sources["warehouse"]
    assert isinstance(warehouse, SqlSourceConfig)
    assert warehouse.redacted_url == "postgresql+psycopg://syncd_reader:***@db.internal/analytics"
    signups = config.metrics["newcomer_signups"].query
    assert isinstance(signups, SqlQuery)
    assert signups.params == {"segment": "newcomer"}
    assert sorted(config.metrics) == ["newcomer_revenue", "newcomer_signups", "open_tickets"]


def test_check_connects_and_names_the_database_without_the_password(sql_sqlite_url):
    with connector_for(sql_sqlite_url) as connector:
        assert connector.check() == f"connected to {sql_sqlite_url}"


def test_check_of_an_unreachable_database_is_a_source_error(tmp_path):
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'db.sqlite'}"
    with connector_for(missing, fast_context()) as connector, pytest.raises(SourceError):
        connector.check()
