"""The ``sql`` connector: one read-only SELECT per metric request, through SQLAlchemy.

Read-only is enforced below the config check, which a crafted string can fool: on PostgreSQL
every statement is a prepared statement (``prepare_threshold=0``), so the server refuses a
second command in it (``SELECT 1; COMMIT; DELETE …`` cannot leave the ``READ ONLY``
transaction); SQLite runs one statement at a time with ``PRAGMA query_only``. Still, give the
source a role that may only read (docs/ops.md).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.sql.binding import BoundValue, bind_values
from connectors.sql.config import SqlQuery, SqlSourceConfig
from connectors.sql.errors import classify
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RawValue,
    RequestKey,
    Strategy,
)
from syncd.errors import QueryError, SourceError
from syncd.logs import get_logger

log = get_logger(__name__)

_SHAPE = "it must return exactly one row with one number"
UNION_LIMIT = 25
"""Statements in one ``UNION ALL`` (well below SQLite's 500 compound terms)."""
_BIND = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)
"""A ``:name`` parameter as SQLAlchemy's ``text()`` finds one (``\\:`` escapes and ``::`` casts
are not parameters)."""


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
            connect_args["prepare_threshold"] = 0  # one command per statement, always
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        if url.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_query_only)
        return engine

    def _prepare(self, connection: Connection, statements: int = 1) -> None:
        """Read-only; on PostgreSQL the statement timeout, ``timeout_seconds`` for each of the
        ``statements`` a union holds."""
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION READ ONLY"))
            timeout_ms = str(math.ceil(self.config.timeout_seconds * statements * 1000))
            connection.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": timeout_ms}
            )

    @classmethod
    def traits(cls, config: SqlSourceConfig, query: SqlQuery, timezone: ZoneInfo) -> QueryTraits:
        """Dates (``:start_date``/``:end_date``) count whole days of the config's zone; a
        statement without window parameters reads the present state; the kind is declared."""
        names = set(query.bind_names())
        sees_window = bool(names & {"window_start", "window_end", "start_date", "end_date"})
        return QueryTraits(
            day_zone=timezone if names & {"start_date", "end_date"} else None,
            past_windows=sees_window,
            past_snapshots=sees_window,
            kind=query.kind,
        )

    def _params(self, request: MetricRequest[SqlQuery]) -> dict[str, BoundValue]:
        return bind_values(
            request.query,
            request.window,
            self.config.timestamps,
            self.context.timezone,
            request.days,
        )

    def classify(self, exc: Exception) -> SourceError | None:
        if isinstance(exc, SQLAlchemyError):
            return classify(exc, source=self.context.source, secrets=self._secrets)
        return None

    def fetch(self, request: MetricRequest[SqlQuery]) -> RawValue:
        """Run the request's SELECT in a read-only transaction, rolled back afterwards."""
        query, params = request.query, self._params(request)
        return self.call(lambda: self._run(query, params), what=f"SELECT for {request.window}")

    def strategies(
        self, requests: Sequence[MetricRequest[SqlQuery]]
    ) -> Sequence[Sequence[Strategy[SqlQuery]]]:
        """A statement each, or up to 25 statements in one ``UNION ALL`` (each one's first two
        rows tagged with its place, so every request is judged as it would be alone; on
        PostgreSQL the union may take ``timeout_seconds`` for each statement it holds)."""
        if not requests:
            return []
        each = Strategy("statement each", [[r] for r in requests], calls=len(requests))
        chunks = [list(requests[i : i + UNION_LIMIT]) for i in range(0, len(requests), UNION_LIMIT)]
        united = Strategy("statements united", chunks, calls=len(chunks), answer=self.fetch_united)
        return [[each, united]]

    def fetch_united(
        self, batch: Sequence[MetricRequest[SqlQuery]]
    ) -> Mapping[RequestKey, RawValue | QueryError]:
        """The batch's statements in one ``UNION ALL``; when the database refuses the union
        (columns or types that do not unite, one statement's error), each runs alone."""
        if len(batch) == 1:
            return super().fetch_batch(batch)
        members: list[str] = []
        params: dict[str, BoundValue] = {}
        for slot, request in enumerate(batch):
            prefix = f"u{slot}_"
            statement = _BIND.sub(rf":{prefix}\1", request.query.sql)
            statement = statement.strip().rstrip(";")
            members.append(
                f"SELECT * FROM (SELECT {slot} AS syncd_slot, q{slot}.* FROM (\n{statement}\n) "
                f"AS q{slot} LIMIT 2) AS u{slot}"
            )
            params.update({prefix + k: v for k, v in self._params(request).items()})
        sql = "\nUNION ALL\n".join(members)
        what = f"{len(batch)} SELECTs united"
        try:
            columns, rows = self.call(lambda: self._rows(sql, params, len(batch)), what=what)
        except QueryError:
            return super().fetch_batch(batch)
        if len(columns) != 2:
            return super().fetch_batch(batch)
        by_slot: dict[int, list[tuple[Any, ...]]] = {slot: [] for slot in range(len(batch))}
        for row in rows:
            by_slot[int(row[0])].append(tuple(row[1:]))
        answers: dict[RequestKey, RawValue | QueryError] = {}
        for slot, request in enumerate(batch):
            try:
                answers[request.key] = self._number(columns[1:], by_slot[slot])
            except QueryError as error:
                answers[request.key] = error
        return answers

    def _rows(
        self, sql: str, params: dict[str, BoundValue], statements: int
    ) -> tuple[list[str], list[Any]]:
        with self.engine.connect() as connection:
            try:
                self._prepare(connection, statements)
                result = connection.execute(text(sql), params)
                try:
                    return list(result.keys()), [tuple(row) for row in result.fetchall()]
                finally:
                    result.close()
            finally:
                connection.rollback()

    def _run(self, query: SqlQuery, params: dict[str, BoundValue]) -> RawValue:
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
        return self._number(columns, rows)

    def _number(self, columns: list[str], rows: list[tuple[Any, ...]]) -> RawValue:
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
        return value

    def check(self) -> str:
        """Connect and run ``SELECT 1`` read-only."""
        self.call(lambda: self._run(SqlQuery(sql="SELECT 1"), {}), what="SELECT 1")
        return f"connected to {self.config.redacted_url}"

    def describe(self, request: MetricRequest[SqlQuery]) -> str:
        """The SQL, the values bound to its parameters and the URL with the password hidden."""
        bound = ", ".join(f"{name}={_show(value)}" for name, value in self._params(request).items())
        sql = " ".join(request.query.sql.split())
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
