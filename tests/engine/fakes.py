"""A fake connector whose answers are computable by hand: ``per_day`` × window length in days."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from syncd.abc import (
    Connector,
    MetricRequest,
    QueryModel,
    QueryTraits,
    RawValue,
    SourceConfig,
    ValueKind,
)
from syncd.errors import AuthError, QueryError


class DailyConfig(SourceConfig):
    type: Literal["daily"]
    mode: Literal["ok", "auth", "crash"] = "ok"
    days_in: str | None = None  # count whole days of this zone (like GA4)
    present_only: bool = False  # reads only the present state (like a search without dates)
    kind: ValueKind = ValueKind.NUMBER


class DailyQuery(QueryModel):
    per_day: float
    raw: str | None = None  # answer this text instead, as a vendor might


class DailyConnector(Connector[DailyConfig, DailyQuery]):
    """``per_day`` for each day of the window; a negative ``per_day`` is a bad query."""

    config_model = DailyConfig
    query_model = DailyQuery
    requests: ClassVar[list[MetricRequest]] = []
    factor: ClassVar[float] = 1.0
    barrier: ClassVar[threading.Barrier | None] = None  # every fetch waits at it when set

    @classmethod
    def traits(cls, config: DailyConfig, query: DailyQuery, timezone: ZoneInfo) -> QueryTraits:
        return QueryTraits(
            day_zone=ZoneInfo(config.days_in) if config.days_in else None,
            past_windows=not config.present_only,
            past_snapshots=not config.present_only,
            kind=config.kind,
        )

    def fetch(self, request: MetricRequest[DailyQuery]) -> RawValue:
        if self.config.mode == "auth":
            raise AuthError("token rejected by the fake")
        if self.config.mode == "crash":
            raise RuntimeError("boom")
        self.call(lambda: None, what="fake call")
        if DailyConnector.barrier is not None:
            DailyConnector.barrier.wait()
        DailyConnector.requests.append(request)
        query = request.query
        if query.per_day < 0:
            raise QueryError("per_day must not be negative")
        if query.raw is not None:
            return query.raw
        if request.days is not None:
            days = float(request.days.days)
        else:
            days = (request.window.end - request.window.start) / timedelta(days=1)
        return query.per_day * days * DailyConnector.factor
