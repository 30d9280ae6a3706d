"""Every extension point of syncd, in one module.

A **connector** pulls numbers from one kind of upstream system. It is one folder under
``connectors/`` (or a third-party package) registered under the entry-point group
``syncd.connectors`` and implements one method, :meth:`Connector.collect`. It does I/O and mapping
only: no database, no KR logic. The framework around it (``syncd.collect``) owns retries at the
job level, stats, logging and the recovery from unexpected exceptions.

A connector declares two pydantic models, both rejecting unknown keys so a typo fails at config
load, not at 3 a.m.:

- ``config_model``: the source's settings under ``sources.<name>`` (``type`` plus its own keys);
- ``query_model``: what one metric asks of the source under ``metrics.<name>.query``.
"""

from __future__ import annotations

import hashlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from syncd.errors import QueryError, SourceError
from syncd.limits import SourceLimiter


class RateLimit(BaseModel):
    """At most ``requests`` upstream calls per ``per_seconds``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: int = Field(ge=1)
    per_seconds: float = Field(gt=0)


class SourceConfig(BaseModel):
    """Base of every connector's source settings. Subclasses narrow ``type`` to a Literal.

    ``rate_limit`` and ``concurrency`` are the framework's, common to every source; unset, the
    connector's documented defaults apply (``default_rate_limit``, ``default_concurrency``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    rate_limit: RateLimit | None = Field(None, description="upstream calls allowed per period")
    concurrency: int | None = Field(None, ge=1, description="upstream calls in flight at most")


class QueryModel(BaseModel):
    """Base of every connector's query model: what one metric asks of a source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def fingerprint(self) -> str:
        """A stable digest of the query, recorded with each measurement as its provenance."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Window:
    """The period the data covers: ``start`` inclusive, ``end`` exclusive, both tz-aware.

    A snapshot (a point-in-time count such as open tickets) has ``start == end``.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    @property
    def is_snapshot(self) -> bool:
        return self.start == self.end

    def astimezone(self, tz: ZoneInfo) -> Window:
        return Window(self.start.astimezone(tz), self.end.astimezone(tz))

    def __str__(self) -> str:
        if self.is_snapshot:
            return f"snapshot at {self.end.isoformat()}"
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@dataclass(frozen=True)
class MetricRequest:
    """One number asked of one source: a typed query over a window."""

    source: str
    query: QueryModel
    window: Window

    @property
    def key(self) -> tuple[str, str, datetime, datetime]:
        """Identical requests share a key, so a sync asks each only once."""
        # UTC: a slot in the repeated DST hour (fold=1) never compares equal across zones.
        start, end = self.window.start.astimezone(UTC), self.window.end.astimezone(UTC)
        return (self.source, self.query.fingerprint(), start, end)


@dataclass(frozen=True)
class Observation:
    """The answer to a request: a number, and the upstream request in words (for ``preview``)."""

    request: MetricRequest
    value: float
    upstream: str = ""


@dataclass(frozen=True)
class RequestFailed:
    """A request the source could not answer; the other requests of the batch still count."""

    request: MetricRequest
    error: SourceError


CollectResult = Observation | RequestFailed


@dataclass
class UpstreamStats:
    """Counters a connector bumps for every upstream call; the framework reports them."""

    calls: int = 0
    retries: int = 0

    def count_call(self) -> None:
        self.calls += 1

    def count_retry(self) -> None:
        self.retries += 1


@dataclass
class RetryPolicy:
    """How hard one upstream call is retried before its error is final."""

    attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0


@dataclass
class ConnectorContext:
    """What the framework hands a connector: its source name, the config time zone, counters."""

    source: str
    timezone: ZoneInfo
    stats: UpstreamStats = field(default_factory=UpstreamStats)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: SourceLimiter | None = None


ConfigT = TypeVar("ConfigT", bound=SourceConfig)
QueryT = TypeVar("QueryT", bound=QueryModel)


class Connector(ABC, Generic[ConfigT, QueryT]):
    """A source of metric values. Implement :meth:`collect`; everything else is optional.

    ``pull`` is False for sources whose values are pushed to syncd (``manual`` check-ins): the
    scheduler never calls their ``collect``. ``past_snapshots`` is False for sources that only
    know the present state (Zendesk's open tickets): syncd then never asks them for a snapshot
    of a past moment (a backfill skips those KRs, saying why).
    """

    config_model: ClassVar[type[SourceConfig]]
    query_model: ClassVar[type[QueryModel]]
    pull: ClassVar[bool] = True
    past_snapshots: ClassVar[bool] = True
    default_rate_limit: ClassVar[RateLimit | None] = None
    default_concurrency: ClassVar[int] = 4

    @classmethod
    def limiter_for(cls, config: SourceConfig) -> SourceLimiter:
        """The limiter a source gets: its configured limits, else the connector's defaults."""
        rate = config.rate_limit or cls.default_rate_limit
        return SourceLimiter(
            requests=rate.requests if rate else None,
            per_seconds=rate.per_seconds if rate else None,
            concurrency=config.concurrency or cls.default_concurrency,
        )

    def __init__(self, config: ConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    @abstractmethod
    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """Answer every request, one result each, in any order.

        Raise a :class:`~syncd.errors.SourceError` only when the whole source fails (bad
        credentials, unreachable); a request-specific failure is a :class:`RequestFailed`.
        """

    @classmethod
    def metric_collectors(cls) -> Sequence[object]:
        """Prometheus collectors of the connector's own (e.g. a quota gauge); the daemon adds
        them to its ``/metrics``."""
        return ()

    @classmethod
    def check_value(cls, value: float, query: QueryModel | None) -> float:
        """Validate a value pushed to a non-pull source (``syncd checkin``); raise QueryError."""
        if not math.isfinite(value):
            raise QueryError(f"{value} is not a finite number")
        return value

    def describe(self, request: MetricRequest) -> str:
        """The upstream request in words, secrets left out (shown by ``syncd preview``)."""
        query = request.query.model_dump(mode="json")
        return f"{self.config.type} query {query} over {request.window}"

    def close(self) -> None:
        """Release connections. Called once, after the last ``collect``."""

    def __enter__(self) -> Connector[ConfigT, QueryT]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
