"""Settings of an ``sql`` source and the query model of its metrics."""

from __future__ import annotations

from typing import Literal

import sqlparse
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from syncd.abc import QueryModel, SourceConfig, ValueKind

WINDOW_PARAMS = ("window_start", "window_end", "start_date", "end_date")
"""Bind parameters every SQL query may use; syncd binds them from the request's window."""

ParamValue = str | int | float | bool


class SqlSourceConfig(SourceConfig):
    """A database reachable through SQLAlchemy (SQLite, PostgreSQL, or any installed dialect)."""

    # The URL may carry a password: never echo raw input in validation errors.
    model_config = ConfigDict(hide_input_in_errors=True)

    type: Literal["sql"]
    url: SecretStr = Field(
        description="SQLAlchemy URL, e.g. postgresql+psycopg://reader:${env:PW}@db/warehouse"
    )
    timestamps: Literal["aware", "local", "utc"] = Field(
        "aware",
        description="how the database stores timestamps: tz-aware, naive local wall time in the "
        "config time zone, or naive UTC; decides how :window_start/:window_end are bound",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, description="connect and statement timeout for each query"
    )

    @field_validator("url")
    @classmethod
    def _parses_with_installed_driver(cls, url: SecretStr) -> SecretStr:
        try:
            parsed = make_url(url.get_secret_value())
        except ArgumentError:
            raise ValueError(
                "not a SQLAlchemy URL (expected dialect+driver://user:password@host/database)"
            ) from None
        try:
            parsed.get_dialect()
        except NoSuchModuleError:
            raise ValueError(f"no SQLAlchemy dialect {parsed.drivername!r} is installed") from None
        except ImportError as exc:
            raise ValueError(
                f"the driver of {parsed.drivername!r} is not installed ({exc.name or exc})"
            ) from None
        return url

    @property
    def sqlalchemy_url(self) -> URL:
        """The parsed URL, password included: hand it to the engine, never to a message."""
        return make_url(self.url.get_secret_value())

    @property
    def redacted_url(self) -> str:
        """The URL with the password masked, for messages and ``describe``."""
        return self.sqlalchemy_url.render_as_string(hide_password=True)


class SqlQuery(QueryModel):
    """One SELECT returning exactly one row with one number.

    The statement may use the bind parameters ``:window_start``, ``:window_end`` (timestamps,
    end exclusive), ``:start_date``, ``:end_date`` (local dates, end exclusive) and the keys of
    ``params``. Values are always bound, never formatted into the SQL.
    """

    sql: str = Field(min_length=1, description="a single SELECT or WITH … SELECT statement")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="extra values for :name bind parameters"
    )
    kind: ValueKind = Field(
        ValueKind.NUMBER,
        description="what the number is: count (whole, ≥ 0), sum, share (0–1), duration (≥ 0) "
        "or number; a value that cannot be of its kind is refused, never stored",
    )

    @field_validator("sql")
    @classmethod
    def _single_select(cls, sql: str) -> str:
        statements = [part for part in sqlparse.split(sql) if part.strip().rstrip(";").strip()]
        if len(statements) != 1:
            raise ValueError(
                f"give exactly one statement, found {len(statements)} (remove the ';' between them)"
            )
        kind = sqlparse.parse(statements[0])[0].get_type()  # type: ignore[no-untyped-call]
        if kind != "SELECT":
            raise ValueError(
                f"only SELECT (or WITH … SELECT) statements are allowed, this one is {kind}"
            )
        return sql

    @field_validator("params")
    @classmethod
    def _no_shadowing(cls, params: dict[str, ParamValue]) -> dict[str, ParamValue]:
        shadowing = sorted(set(params) & set(WINDOW_PARAMS))
        if shadowing:
            raise ValueError(
                f"params {', '.join(shadowing)} would shadow the window parameters "
                f"({', '.join(WINDOW_PARAMS)}) that syncd binds itself"
            )
        return params

    @model_validator(mode="after")
    def _known_bind_parameters(self) -> SqlQuery:
        available = sorted([*WINDOW_PARAMS, *self.params])
        unknown = sorted(set(self.bind_names()) - set(available))
        if unknown:
            raise ValueError(
                f"unknown bind parameter {', '.join(':' + name for name in unknown)}; "
                f"available: {', '.join(':' + name for name in available)} "
                "(add it under 'params')"
            )
        return self

    def bind_names(self) -> list[str]:
        """The ``:name`` bind parameters the statement uses, in SQLAlchemy's reading."""
        return list(text(self.sql)._bindparams)
