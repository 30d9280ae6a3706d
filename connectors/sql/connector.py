"""The ``sql`` connector: one read-only SELECT per metric request, through SQLAlchemy."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.sql.binding import BoundValue, bind_values
from connectors.sql.config import SqlQuery, SqlSourceConfig
from connectors.sql.errors import classify
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
)
from syncd.errors import QueryError
from syncd.retry import call_upstream

log = structlog.get_logger(__name__)

_SHAPE = "it must return exactly one row with one number"


class SqlConnector(Connector[SqlSourceConfig, SqlQuery]):
    """Runs each metric's SELECT in its own read-only transaction, rolled back afterwards.

    Bad SQL, an unknown table or a result that is not one number fails that request only
    (:class:`~syncd.errors.QueryError`); rejected credentials (:class:`~syncd.errors.AuthError`)
    or a database still unreachable after retries fail the whole source.
    """

    config_model = SqlSourceConfig
    query_model = SqlQuery

    def __init__(self, config: SqlSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        url = config.sqlalchemy_url
        self._secrets = [
            secret for secret in (url.password, config.url.get_secret_value()) if secret
        ]

    @property
    def engine(self) -> Engine:
        """The source's engine, created on first use (``pool_pre_ping``, read-only sessions)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._create_engine()
            return self._engine

    def _create_engine(self) -> Engine:
        url = self.config.sqlalchemy_url
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            connect_args["timeout"] = self.config.timeout_seconds
        elif url.get_driver_name() == "psycopg":
            connect_args["connect_timeout"] = max(1, math.ceil(self.config.timeout_seconds))
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        if url.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_query_only)
        return engine

    def _prepare(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION READ ONLY"))
            timeout_ms = str(math.ceil(self.config.timeout_seconds * 1000))
            connection.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": timeout_ms}
            )

    def _query(self, request: MetricRequest) -> SqlQuery:
        if isinstance(request.query, SqlQuery):
            return request.query
        return SqlQuery.model_validate(request.query.model_dump())

    def _params(self, request: MetricRequest) -> dict[str, BoundValue]:
        return bind_values(
            self._query(request),
            request.window,
            self.config.timestamps,
            self.context.timezone,
        )

    def _run(self, query: SqlQuery, params: dict[str, BoundValue]) -> float:
        try:
            with self.engine.connect() as connection:
                try:
                    self._prepare(connection)
                    result = connection.execute(text(query.sql), params)
                    if not result.returns_rows:
                        raise QueryError(
                            f"{self.context.source}: the statement returned no result; {_SHAPE}",
                            source=self.context.source,
                        )
                    try:
                        columns = list(result.keys())
                        rows = [tuple(row) for row in result.fetchmany(2)]
                    finally:
                        # An unfinished SQLite cursor keeps its read lock, blocking writers.
                        result.close()
                finally:
                    connection.rollback()
        except SQLAlchemyError as exc:
            raise classify(exc, source=self.context.source, secrets=self._secrets) from exc
        return self._number(columns, rows)

    def _number(self, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
        source = self.context.source
        if len(columns) != 1:
            raise QueryError(
                f"{source}: the query returned {len(columns)} columns ({', '.join(columns)}); "
                f"{_SHAPE}",
                source=source,
            )
        if not rows:
            raise QueryError(
                f"{source}: the query returned no row; {_SHAPE} (an aggregate such as "
                "SELECT COUNT(*) or SUM(…) always returns one)",
                source=source,
            )
        if len(rows) > 1:
            raise QueryError(
                f"{source}: the query returned more than one row; {_SHAPE} (aggregate the rows)",
                source=source,
            )
        value = rows[0][0]
        if value is None:
            raise QueryError(
                f"{source}: the query returned NULL; wrap it in COALESCE(…, 0) if no rows "
                "means zero",
                source=source,
            )
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise QueryError(
                f"{source}: the query returned {type(value).__name__} {shown}, not a number; "
                "cast it in SQL",
                source=source,
            )
        number = float(value)
        if not math.isfinite(number):
            raise QueryError(
                f"{source}: the query returned {number}, not a finite number", source=source
            )
        return number

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """Run each request's SELECT; one result per request, in request order."""
        results: list[CollectResult] = []
        for request in requests:
            query = self._query(request)
            params = self._params(request)
            try:
                value = call_upstream(
                    lambda query=query, params=params: self._run(query, params),
                    self.context,
                    what=f"SELECT for {request.window}",
                )
            except QueryError as error:
                log.info("sql.query_failed", source=self.context.source, error=str(error))
                results.append(RequestFailed(request, error))
                continue
            log.debug(
                "sql.query", source=self.context.source, url=self.config.redacted_url, value=value
            )
            results.append(Observation(request, value, upstream=self.describe(request)))
        return results

    def describe(self, request: MetricRequest) -> str:
        """The SQL, the values bound to its parameters and the URL with the password hidden."""
        bound = ", ".join(f"{name}={_show(value)}" for name, value in self._params(request).items())
        sql = " ".join(self._query(request).sql.split())
        return f"{sql} [{bound or 'no parameters'}] on {self.config.redacted_url}"

    def close(self) -> None:
        """Dispose of the engine's connection pool."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _show(value: BoundValue) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    # SQLite has no read-only transactions; query_only refuses writes on this connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()
