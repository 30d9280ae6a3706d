"""Every extension point of syncd, in one module.

A **connector** pulls numbers from one kind of upstream system. It is one folder under
``connectors/`` (or a third-party package) registered under the entry-point group
``syncd.connectors``. It does I/O and mapping only; the framework around it owns the rest::

    planner (syncd.sync)      bindings, windows snapped to whole days, present-only guard,
       │                      identical requests asked once
       ▼
    runner (syncd.collect)    limiter, retries with Retry-After, stats per run, value checks,
       │                      one failure policy, logging once on failure and once on recovery
       ▼
    Connector.fetch(request)                  one request → one raw value
    Connector.batches + fetch_batch(batch)    many requests → one upstream exchange
    Connector.strategies(requests)            alternative ways, each with its estimated
                                              cost; the framework takes the cheapest
       │
       ▼
    syncd.http.RestClient / Connector.call    one error table, pacing, call counting

A connector declares two pydantic models, both rejecting unknown keys so a typo fails at config
load, not at 3 a.m.:

- ``config_model``: the source's settings under ``sources.<name>`` (``type`` plus its own keys);
- ``query_model``: what one metric asks of the source under ``metrics.<name>.query``.

and, per query, its :class:`QueryTraits`: whether it counts whole days (in which zone), whether
it can see the past, and the kind of value it returns. The planner and the runner act on them,
so every connector gets the same day rule and the same sanity checks.

A **check-in source** (:class:`CheckinSource`, the ``manual`` type) is never pulled: people
push its values with ``syncd checkin``, and it only validates them.

A **sink** (:class:`Sink`) is an OKR tool syncd pushes values to, registered under
``syncd.sinks``. It declares ``config_model`` (``sinks.<name>``) and ``target_model`` (where one
KR's values go, under ``key_results[].push.<name>``) and implements ``deliver`` (one value,
idempotently), ``read`` and ``check``; the framework turns recorded measurements into
:class:`Delivery` records, keeps each :class:`Receipt`, retries and parks::

    outbox: MeasurementRecorded ──► sink consumer (one per sink, each event once across
       restarts and instances): skip what the tool has, Delivery + previous Receipt
       ──► Sink.deliver ──► Receipt kept per (sink, KR, key)

Connectors and sinks share :class:`Upstream`: every upstream call goes through its ``call``.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
import threading
import time
import weakref
from abc import ABC
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from types import TracebackType
from typing import ClassVar, Generic, Self, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from syncd.errors import QueryError, SourceError
from syncd.limits import SourceLimiter

T = TypeVar("T")


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
        # A query is frozen and a plan asks for its digest thousands of times: computed once.
        known = _FINGERPRINTS.get(id(self))
        if known is None:
            dumped = self.model_dump(mode="json")
            canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
            known = hashlib.sha256(canonical.encode()).hexdigest()[:16]
            _FINGERPRINTS[id(self)] = known
            weakref.finalize(self, _FINGERPRINTS.pop, id(self), None)
        return known


_FINGERPRINTS: dict[int, str] = {}
"""Digests of live queries by ``id`` (an entry goes with its query, before its id is reused)."""


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
class DaySpan:
    """Whole local days: ``first`` to ``end`` (exclusive), as a day-granular source reads them.

    The planner sets it on every request to a source that counts whole days, so a connector
    never derives dates from instants itself: SOQL's ``CloseDate``, GA4's ``dateRanges`` and
    SQL's ``:start_date``/``:end_date`` all read these dates.
    """

    first: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.first:
            raise ValueError(f"day span ends ({self.end}) before it starts ({self.first})")

    @property
    def last(self) -> date:
        """The last day included."""
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def days(self) -> int:
        return self.end.toordinal() - self.first.toordinal()

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


class ValueKind(StrEnum):
    """What a query's answer is; the runner refuses answers that cannot be of their kind."""

    COUNT = "count"  # a whole number ≥ 0 (sessions, tickets, deals)
    SUM = "sum"  # a total of amounts (may be negative: refunds)
    SHARE = "share"  # a proportion in [0, 1] (bounce rate, CSAT)
    DURATION = "duration"  # a length of time ≥ 0 (reply time in minutes)
    NUMBER = "number"  # any finite number (an average, a score, a ratio)


@dataclass(frozen=True)
class QueryTraits:
    """What a query can answer, declared by its connector (:meth:`Connector.traits`).

    ``day_zone``
        None when the query reads exact instants; else the time zone whose whole days the
        source counts (GA4's property zone, a date column's zone). The planner then snaps the
        window to complete days of that zone (see ``syncd.sync``) and sets ``request.days``.
    ``past_windows``
        False when the query ignores its window and reads the present state (a search without
        a date filter, SQL without window parameters): it is then never asked for a past slot.
    ``past_snapshots``
        False when a snapshot can only be read as of now (open tickets): a snapshot of a past
        moment is never asked.
    ``kind``
        The kind of value returned; every answer is checked against it.
    """

    day_zone: ZoneInfo | None = None
    past_windows: bool = True
    past_snapshots: bool = True
    kind: ValueKind = ValueKind.NUMBER

    def sees(self, window: Window) -> bool:
        """Whether a window ending before the present can be answered."""
        return self.past_snapshots if window.is_snapshot else self.past_windows


QueryT = TypeVar("QueryT", bound=QueryModel)
QueryT_co = TypeVar("QueryT_co", bound=QueryModel, covariant=True)
RequestKey = tuple[str, str, datetime, datetime, "DaySpan | None"]


@dataclass(frozen=True)
class MetricRequest(Generic[QueryT_co]):
    """One number asked of one source: a typed query over a window.

    ``days`` is set by the planner for a source that counts whole days: the complete local days
    the window covers in that source's zone (see :class:`QueryTraits`).
    """

    source: str
    query: QueryT_co
    window: Window
    days: DaySpan | None = None

    @cached_property
    def key(self) -> RequestKey:
        """Identical requests share a key, so a sync asks each only once."""
        # UTC: a slot in the repeated DST hour (fold=1) never compares equal across zones.
        start, end = self.window.start.astimezone(UTC), self.window.end.astimezone(UTC)
        return (self.source, self.query.fingerprint(), start, end, self.days)


class UpstreamFloat(float):
    """A float that remembers the text it was parsed from (``1e400``, ``NaN``), so an error
    about it quotes what the vendor sent: ``json.loads(body, parse_float=UpstreamFloat,
    parse_constant=UpstreamFloat)``."""

    text: str

    def __new__(cls, text: str) -> UpstreamFloat:
        value = super().__new__(cls, text)
        value.text = text
        return value


RawValue = int | float | str | Decimal
"""What a connector returns for a request, as the upstream sent it; the runner checks it."""


AnswerBatch = Callable[
    [Sequence[MetricRequest[QueryT]]], Mapping[RequestKey, RawValue | SourceError]
]
"""How a strategy answers one batch: per request key a value, or the error failing that
request only (a ``QueryError``, or a source's refusal such as its quota used up)."""


@dataclass(frozen=True)
class Strategy(Generic[QueryT]):
    """One way to answer a group of requests, with its estimated upstream cost.

    A connector offers alternatives for the same group (:meth:`Connector.strategies`); the
    framework (``syncd.cost``) takes the cheapest, so the choice is made in one place. ``calls``
    counts upstream calls (pages included); ``rows`` the records they transfer (a tiebreak:
    fewer calls always wins). Each of ``batches`` goes to ``answer`` (default
    :meth:`Connector.fetch_batch`) and is retried as one; every strategy of a group must give
    the same values.
    """

    name: str
    batches: Sequence[Sequence[MetricRequest[QueryT]]]
    calls: int
    rows: int = 0
    answer: AnswerBatch[QueryT] | None = field(default=None, compare=False)

    @property
    def requests(self) -> int:
        """How many requests the strategy answers."""
        return sum(len(batch) for batch in self.batches)


@dataclass(frozen=True)
class Observation:
    """The answer to a request: a checked number, and the upstream request in words."""

    request: MetricRequest[QueryModel]
    value: float
    upstream: str = ""


@dataclass(frozen=True)
class RequestFailed:
    """A request the source could not answer; the other requests of the batch still count."""

    request: MetricRequest[QueryModel]
    error: SourceError


CollectResult = Observation | RequestFailed


@dataclass
class UpstreamStats:
    """Upstream calls and retries. The runner keeps one per run (never a shared counter) and
    adds it to the connector's lifetime totals in ``ConnectorContext.stats``."""

    calls: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_call(self) -> None:
        with self._lock:
            self.calls += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def add(self, other: UpstreamStats) -> None:
        with self._lock:
            self.calls += other.calls
            self.retries += other.retries


run_stats: contextvars.ContextVar[UpstreamStats | None] = contextvars.ContextVar(
    "syncd_run_stats", default=None
)
"""The stats of the run the current thread works for; set by the runner around each fetch."""


@dataclass
class RetryPolicy:
    """How hard one upstream call is retried before its error is final."""

    attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0


@dataclass
class ConnectorContext:
    """What the framework hands a connector: its source name, the config time zone, the
    lifetime counters, the retry policy and the source's limiter."""

    source: str
    timezone: ZoneInfo
    stats: UpstreamStats = field(default_factory=UpstreamStats)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: SourceLimiter | None = None
    sleep: Callable[[float], None] = time.sleep


ConfigT = TypeVar("ConfigT", bound=SourceConfig)


class SourcePlugin(ABC, Generic[ConfigT, QueryT]):
    """What every source type declares: its config and query models. ``pull`` tells a
    :class:`Connector` (pulled on a schedule) from a :class:`CheckinSource` (pushed by people)."""

    config_model: ClassVar[type[SourceConfig]]
    query_model: ClassVar[type[QueryModel]]
    pull: ClassVar[bool]

    @classmethod
    def traits(cls, config: ConfigT, query: QueryT, timezone: ZoneInfo) -> QueryTraits:
        """What ``query`` can answer (``timezone`` is the configuration's). Default: exact
        instants, any past window or snapshot, any finite number."""
        return QueryTraits()


class CheckinSource(SourcePlugin[ConfigT, QueryT]):
    """A source whose values people check in (``syncd checkin``); it is never pulled."""

    pull = False

    @classmethod
    def check_value(cls, value: float, query: QueryModel | None) -> float:
        """Validate a checked-in value; raise :class:`~syncd.errors.QueryError` naming why."""
        if not math.isfinite(value):
            raise QueryError(f"{value} is not a finite number")
        return value

    @classmethod
    def describe(cls, source: str, query: QueryModel) -> str:
        """Where the values of ``query`` come from, in words."""
        return f"values checked in to {source}"


class Upstream:
    """What a connector and a sink share: the framework's way of making upstream calls.

    Subclasses implement :meth:`classify` (when they use an SDK with exceptions of its own) and
    :meth:`close`; they call :meth:`call` around every upstream call. ``context.source`` names
    the source or the sink in logs, errors and stats.
    """

    context: ConnectorContext
    sdk_modules: ClassVar[tuple[str, ...]] = ()
    """The modules the first upstream call imports (the vendor SDK, its HTTP stack). The runner
    imports them before it asks sources on parallel threads: two threads importing shared
    packages (requests, urllib3) for the first time at once can end in an import deadlock."""

    def classify(self, exc: Exception) -> SourceError | None:
        """Map an SDK's exception onto the error tree (use ``syncd.http.error_for_status`` for
        anything with an HTTP status); None leaves it to the runner's catch-all."""
        return None

    def close(self) -> None:
        """Release connections. Called once, after the last call."""

    def call(self, fn: Callable[[], T], *, what: str) -> T:
        """Make one upstream call the framework's way: wait for the limiter, count it in the
        current run, map an SDK exception through :meth:`classify`, and retry it on
        ``RateLimited``/``TransientSourceError`` (backoff, never shorter than Retry-After), so
        a failure on page 9 never re-reads pages 1 to 8. ``what`` names it in the logs."""
        from syncd.retry import retry_call  # syncd.retry imports this module

        stats = run_stats.get() or self.context.stats
        limiter = self.context.limiter

        def attempt() -> T:
            if limiter is None:
                return counted()
            with limiter.slot():
                return counted()

        def counted() -> T:
            stats.count_call()
            try:
                return fn()
            except SourceError as error:
                error.source = error.source or self.context.source
                raise
            except Exception as exc:
                classified = self.classify(exc)
                if classified is None:
                    raise
                classified.source = classified.source or self.context.source
                raise classified from exc

        return retry_call(
            attempt,
            policy=self.context.retry,
            stats=stats,
            source=self.context.source,
            what=what,
            sleep=self.context.sleep,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Connector(SourcePlugin[ConfigT, QueryT], Upstream):
    """A source of metric values pulled by syncd. Implement :meth:`fetch`, or, where the vendor
    answers many requests in one exchange, :meth:`batches` and :meth:`fetch_batch`.

    Raise from the :class:`~syncd.errors.SourceError` tree; an SDK's own exceptions are mapped
    by :meth:`classify` (REST connectors use :class:`syncd.http.RestClient`, which maps for
    them). What a raised error does is the runner's one policy: a ``QueryError`` fails the
    request (or the batch), an ``AuthError`` fails the source, ``RateLimited`` and
    ``TransientSourceError`` are retried and then fail the rest of the source, anything else is
    wrapped in a ``SourceError`` naming the connector and fails the request.

    Connectors hold no retry code, no database, no KR logic, and may be called from several
    threads at once (daemon jobs share a pool).
    """

    pull = True
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

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The vendor account whose quota the source spends, in non-secret words (a host, an
        instance, a project or property id), or None when the config does not tell (the
        default): the source's name then stands for it. Sources of one type naming the same
        account share one rate window among all instances on a PostgreSQL store (see
        ``syncd.limits.quota_key``). Never a secret: it is stored as it is."""
        return None

    def __init__(self, config: ConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    # ---- what a connector implements ----------------------------------------------------

    def fetch(self, request: MetricRequest[QueryT]) -> RawValue:
        """The value for one request, as upstream sent it (the runner checks it)."""
        raise NotImplementedError(f"{type(self).__qualname__} implements fetch_batch only")

    def batches(
        self, requests: Sequence[MetricRequest[QueryT]]
    ) -> Iterable[Sequence[MetricRequest[QueryT]]]:
        """Group requests into upstream exchanges; each group goes to :meth:`fetch_batch` (and
        is retried as one). Default: one request per exchange."""
        return [[request] for request in requests]

    def strategies(
        self, requests: Sequence[MetricRequest[QueryT]]
    ) -> Sequence[Sequence[Strategy[QueryT]]]:
        """Ways to answer ``requests``: for each group of them, its alternative
        :class:`Strategy`s with their estimated cost (the first being the plain one); the
        framework answers each group with its cheapest. Groups must not overlap and together
        cover ``requests``. Default: one group, answered by :meth:`batches`, a call each."""
        batches = [list(batch) for batch in self.batches(requests)]
        return [[Strategy("one call per batch", batches, calls=len(batches))]] if batches else []

    def fetch_batch(
        self, batch: Sequence[MetricRequest[QueryT]]
    ) -> Mapping[RequestKey, RawValue | QueryError]:
        """Answer one group: a value or a per-request ``QueryError`` for each request's key.
        Default: :meth:`fetch` for each."""
        answers: dict[RequestKey, RawValue | QueryError] = {}
        for request in batch:
            try:
                answers[request.key] = self.fetch(request)
            except QueryError as error:
                answers[request.key] = error
        return answers

    def describe(self, request: MetricRequest[QueryT]) -> str:
        """The upstream request in words, secrets left out (shown by ``syncd preview``)."""
        query = request.query.model_dump(mode="json")
        span = f" (days {request.days})" if request.days else ""
        return f"{self.config.type} query {query} over {request.window}{span}"

    def check(self) -> str:
        """One cheap authenticated call proving credentials and reachability (``syncd
        check-sources``); returns what was checked, in words. Raise a ``SourceError``."""
        raise NotImplementedError

    @classmethod
    def metric_collectors(cls) -> Sequence[object]:
        """Prometheus collectors of the connector's own (e.g. a quota gauge); the daemon adds
        them to its ``/metrics``."""
        return ()

    # ---- what the framework provides ------------------------------------------------------

    def collect(self, requests: Sequence[MetricRequest[QueryT]]) -> list[CollectResult]:
        """Answer every request through the framework's runner: one result each, checked."""
        from syncd.collect import run_connector  # the runner imports this module

        return run_connector(self, requests).results_in_order(requests)


def check_answer(raw: object, kind: ValueKind) -> float:
    """``raw`` as a float of ``kind``; a :class:`~syncd.errors.QueryError` quoting the raw
    upstream text when it cannot be one (not a number, not finite, a negative or fractional
    count, a share outside [0, 1], a negative duration)."""
    if isinstance(raw, UpstreamFloat):
        shown = repr(raw.text[:80])
    else:
        shown = repr(raw) if not isinstance(raw, str) else repr(raw[:80])
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise QueryError(f"the answer {shown} is not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise QueryError(f"the answer {shown} is not a number") from None
    if not math.isfinite(value):
        raise QueryError(f"the answer {shown} is not a finite number")
    if kind is ValueKind.COUNT and (value < 0 or not value.is_integer()):
        raise QueryError(f"the answer {shown} cannot be a count (a whole number ≥ 0)")
    if kind is ValueKind.SHARE and not 0 <= value <= 1:
        raise QueryError(f"the answer {shown} cannot be a share (between 0 and 1)")
    if kind is ValueKind.DURATION and value < 0:
        raise QueryError(f"the answer {shown} cannot be a duration (≥ 0)")
    return value


# ---- sinks ------------------------------------------------------------------------------------


class SinkConfig(BaseModel):
    """Base of every sink's settings under ``sinks.<name>``. Subclasses narrow ``type`` to a
    Literal and add their own keys (secrets as ``${env:…}``/``${file:…}`` references, like
    sources). ``rate_limit`` is the framework's; unset, the sink's ``default_rate_limit``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    rate_limit: RateLimit | None = Field(None, description="upstream calls allowed per period")


class TargetModel(BaseModel):
    """Base of a sink's per-KR mapping under ``key_results[].push.<sink name>``: where in the
    OKR tool one KR's values go (a Perdoo key-result UUID, a sheet's row key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


TargetT = TypeVar("TargetT", bound=TargetModel)
TargetT_co = TypeVar("TargetT_co", bound=TargetModel, covariant=True)
SinkConfigT = TypeVar("SinkConfigT", bound=SinkConfig)


@dataclass(frozen=True)
class Delivery(Generic[TargetT_co]):
    """One measured KR value to put in an OKR tool, made by the framework from a
    :class:`~syncd.events.MeasurementRecorded` and the KR's definition.

    ``day`` is the local day (the config's zone) the value is for: the last day the window
    covers, or a snapshot's day. ``key`` names the check-in the value belongs to (the KR and
    ``day``): every later value with the same key updates that check-in, never adds a second
    one. ``status`` is syncd's computed status of the KR with this value (the vocabulary of
    :mod:`syncd.status`), None when it has none yet. ``note`` says where the value came from
    (source, window), ready to send as the check-in's comment.
    """

    kr_id: str
    kr_title: str
    target: TargetT_co
    key: str
    value: float
    unit: str | None
    day: date
    window: Window
    measured_at: datetime
    source: str
    status: str | None
    note: str


@dataclass(frozen=True)
class Receipt:
    """What :meth:`Sink.deliver` left in the tool. ``sent`` is False when the tool already held
    the value and nothing was written. ``remote_id`` names the check-in, commit or row that
    holds the value; the framework keeps it per (sink, KR, key) and hands it back as
    ``previous`` to the next delivery with that key. ``detail`` says what was done, in words."""

    sent: bool
    remote_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Reading:
    """What an OKR tool shows for one mapped KR now (``syncd check-sinks``): its name there, its
    current value and the day of that value (None where it has none), and anything worth
    saying, in words."""

    title: str | None
    value: float | None
    day: date | None = None
    detail: str = ""


class Sink(Upstream, ABC, Generic[SinkConfigT, TargetT]):
    """An OKR tool syncd pushes measured KR values to. Implement :meth:`deliver`, :meth:`read`
    and :meth:`check`; declare ``config_model`` and ``target_model``. Registered under the
    entry-point group ``syncd.sinks``; a vendor's folder may hold a source and a sink sharing
    its client and auth.

    The framework owns the rest, as for sources: it subscribes to the outbox, turns each
    recorded value of a KR mapped to the sink into a :class:`Delivery`, skips values the sink
    already received (same key, same value) and values older than the one delivered for their
    key, keeps each :class:`Receipt`, retries, and parks. A sink raises from the
    :class:`~syncd.errors.SourceError` tree through :meth:`Upstream.call` (REST sinks use
    :class:`syncd.http.RestClient`, which maps every answer for them): ``AuthError`` parks the
    sink with its reason until it is fixed; ``RateLimited`` and ``TransientSourceError`` are
    retried (then the delivery is due again after a backoff); ``QueryError`` (the KR is not in
    the tool, the tool refused the value) fails that delivery, retried later and parked after
    the last attempt.

    Sinks keep no state of their own between calls (the receipts are the framework's), no
    retry code, no database; they may be called from several threads at once.
    """

    config_model: ClassVar[type[SinkConfig]]
    target_model: ClassVar[type[TargetModel]]
    default_rate_limit: ClassVar[RateLimit | None] = None
    keeps_history: ClassVar[bool] = True
    """True for a tool that keeps a check-in per day (Perdoo, Quantive); False for one that
    holds a KR's current value only (Weekdone's progress, a sheet's row per KR). For the
    latter the framework keys every value by the KR alone: it sends only the newest value of a
    batch or a ``syncd push``, and never one older than the value the tool holds."""

    def __init__(self, config: SinkConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    @classmethod
    def limiter_for(cls, config: SinkConfig) -> SourceLimiter:
        """The limiter a sink gets: its configured rate, else the sink's default; one call in
        flight, so a tool sees check-ins in the order they were measured."""
        rate = config.rate_limit or cls.default_rate_limit
        return SourceLimiter(
            requests=rate.requests if rate else None,
            per_seconds=rate.per_seconds if rate else None,
            concurrency=1,
        )

    def deliver(self, delivery: Delivery[TargetT], previous: Receipt | None) -> Receipt:
        """Put ``delivery`` in the tool, idempotently. ``previous`` is the receipt of the last
        value delivered with the same ``delivery.key`` (None for the key's first value).

        Never two check-ins for one key: update ``previous.remote_id`` where the tool can (a
        Perdoo commit, a sheet row, a Weekdone result set by value); where it only appends,
        read its latest check-in first and return ``Receipt(sent=False)`` when it already holds
        this value for this day. A crash after the write and before the receipt is kept
        repeats the call, so the read-first rule is what keeps it single."""
        raise NotImplementedError

    def read(self, target: TargetT) -> Reading:
        """What the tool shows for ``target`` now, changing nothing (``syncd check-sinks``).
        Raise ``QueryError`` when the tool has no such KR."""
        raise NotImplementedError

    def check(self) -> str:
        """One cheap authenticated call proving credentials and reachability; returns what was
        checked, in words. Raise a ``SourceError``."""
        raise NotImplementedError
