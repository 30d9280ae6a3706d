"""A fake connector whose answers are computable by hand: ``per_day`` × window length in days."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from syncd.abc import Connector, MetricRequest, QueryModel, SourceConfig
from syncd.errors import AuthError, QueryError


class DailyConfig(SourceConfig):
    type: Literal["daily"]
    mode: Literal["ok", "auth", "crash"] = "ok"


class DailyQuery(QueryModel):
    per_day: float


class DailyConnector(Connector[DailyConfig, DailyQuery]):
    """``per_day`` for each day of the window; a negative ``per_day`` is a bad query."""

    config_model = DailyConfig
    query_model = DailyQuery
    requests: ClassVar[list[MetricRequest]] = []
    factor: ClassVar[float] = 1.0

    def fetch(self, request: MetricRequest[DailyQuery]) -> float:
        if self.config.mode == "auth":
            raise AuthError("token rejected by the fake")
        if self.config.mode == "crash":
            raise RuntimeError("boom")
        self.call(lambda: None, what="fake call")
        DailyConnector.requests.append(request)
        query = request.query
        if query.per_day < 0:
            raise QueryError("per_day must not be negative")
        days = (request.window.end - request.window.start) / timedelta(days=1)
        return query.per_day * days * DailyConnector.factor
