"""The runner: every upstream request a connector makes goes through here.

A connector implements ``fetch`` (or ``batches`` + ``fetch_batch``); :func:`run_connector` owns
the rest, the same for every vendor:

- **retries**: each upstream call a connector makes through ``Connector.call`` (which
  ``syncd.http`` uses for every request) is retried on ``RateLimited``/``TransientSourceError``
  with exponential backoff, never shorter than the source's ``Retry-After`` (``syncd.retry``);
  a failure on one page never re-reads the pages before it;
- **stats per run**: calls and retries are counted in an accumulator of this run (a context
  variable the connector's ``call`` and ``syncd.http`` read), so concurrent daemon jobs sharing a
  connector never mix their numbers;
- **values**: every answer is checked against its query's declared kind (finite; counts whole
  and ≥ 0; shares in [0, 1]; durations ≥ 0); a bad one fails its request, quoting the raw text;
- **one failure policy**:

  ========================  =========================================================
  error                     what fails
  ========================  =========================================================
  ``QueryError``            the request (or the batch it was raised for)
  ``AuthError``             the source: the remaining requests are not asked
  ``RateLimited``,          after the retries, the rest of the source, fast (asking
  ``TransientSourceError``  again now would only meet the same wall)
  any other exception       wrapped in a ``SourceError`` naming the connector; the request
  ========================  =========================================================

- **concurrency**: in a pass (:func:`collect_from_source`), a source's batches are fetched on
  a thread pool as large as its limiter's ``concurrency`` (its config's, else the connector's
  default; ``Connector.collect`` asks one after another); the limiter in
  ``Connector.call`` keeps every upstream call within the source's rate and concurrency. After
  a failure of the source, batches not yet started are not asked (those already in flight
  finish and count);
- **logging once**: a source that starts failing is logged once as ``source.failing`` and once
  as ``source.recovered`` when it answers again, not on every run.

Nothing escapes from here but ``KeyboardInterrupt``/``SystemExit``: one failing source never
stops the others.
"""

from __future__ import annotations

import contextvars
import importlib
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog

from syncd import cost, registry
from syncd.abc import (
    AnswerBatch,
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    QueryModel,
    RawValue,
    RequestFailed,
    RequestKey,
    RetryPolicy,
    SourceConfig,
    Upstream,
    UpstreamStats,
    ValueKind,
    check_answer,
    run_stats,
)
from syncd.errors import (
    AuthError,
    QueryError,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from syncd.limits import QuotaShare, quota_key
from syncd.logs import scrub

log = structlog.get_logger("syncd.collect")

Outcome = Literal["ok", "partial", "failed"]
AnyConnector = Connector[Any, Any]
AnyRequest = MetricRequest[QueryModel]

_FAILS_THE_SOURCE = (AuthError, RateLimited, TransientSourceError)


@dataclass
class SourceOutcome:
    """What one source did in one run."""

    source: str
    results: dict[RequestKey, CollectResult] = field(default_factory=dict)
    error: SourceError | None = None
    stats: UpstreamStats = field(default_factory=UpstreamStats)
    duration: float = 0.0

    @property
    def failures(self) -> list[RequestFailed]:
        return [r for r in self.results.values() if isinstance(r, RequestFailed)]

    @property
    def outcome(self) -> Outcome:
        if self.error is not None and not any(
            isinstance(r, Observation) for r in self.results.values()
        ):
            return "failed"
        if self.results and len(self.failures) == len(self.results):
            return "failed"
        return "partial" if self.failures else "ok"

    def error_text(self) -> str | None:
        if self.error is not None:
            return scrub(str(self.error))
        if self.failures:
            first = self.failures[0].error
            more = len(self.failures) - 1
            return scrub(str(first)) + (f" (and {more} more failed requests)" if more else "")
        return None

    def results_in_order(self, requests: Sequence[AnyRequest]) -> list[CollectResult]:
        """One result per distinct request, in the order asked."""
        seen: dict[RequestKey, CollectResult] = {}
        for request in requests:
            seen.setdefault(request.key, self.results[request.key])
        return list(seen.values())


class _Health:
    """Which sources are failing, so a failure is logged once and a recovery once."""

    def __init__(self) -> None:
        self._failing: dict[str, str] = {}
        self._lock = threading.Lock()

    def note(self, source: str, error: SourceError | None) -> None:
        with self._lock:
            was = self._failing.get(source)
            if error is not None:
                self._failing[source] = type(error).__name__
            else:
                self._failing.pop(source, None)
        if error is not None and was is None:
            log.warning("source.failing", source=source, error=scrub(str(error)))
        elif error is None and was is not None:
            log.info("source.recovered", source=source)


health = _Health()


def _classified(connector: AnyConnector, exc: Exception) -> SourceError:
    """``exc`` as a ``SourceError``: the connector's mapping, else a wrapper naming it."""
    source = connector.context.source
    if isinstance(exc, SourceError):
        exc.source = exc.source or source
        return exc
    mapped = connector.classify(exc)
    if mapped is not None:
        mapped.source = mapped.source or source
        return mapped
    # A connector bug must cost only its own requests: keep the traceback in the log.
    log.error("connector.crashed", source=source, exc_info=exc)
    kind = connector.config.type
    return SourceError(
        f"{source}: the {kind} connector crashed: {type(exc).__name__}: {exc}", source=source
    )


def run_connector(
    connector: AnyConnector,
    requests: Sequence[AnyRequest],
    *,
    concurrency: int = 1,
    choose: cost.Chooser = cost.cheapest,
) -> SourceOutcome:
    """Answer ``requests`` (one source's) through ``connector``, up to ``concurrency`` batches
    in flight (default one after another, in the order asked); never raises a source's
    failure. Duplicate requests (same key) are asked once. Each group of the connector's
    strategies is answered the way ``choose`` takes (default: the cheapest)."""
    context = connector.context
    source = context.source
    outcome = SourceOutcome(source=source)
    started = time.monotonic()
    unique = list({request.key: request for request in requests}.values())
    kinds: dict[str, ValueKind] = {}

    def kind_of(request: AnyRequest) -> ValueKind:
        fingerprint = request.query.fingerprint()
        if fingerprint not in kinds:
            traits = connector.traits(connector.config, request.query, context.timezone)
            kinds[fingerprint] = traits.kind
        return kinds[fingerprint]

    def settle(request: AnyRequest, answer: RawValue | SourceError | None) -> None:
        if isinstance(answer, SourceError):
            answer.source = answer.source or source
            outcome.results[request.key] = RequestFailed(request, answer)
            return
        if answer is None:
            missing = SourceError(f"{source}: the connector gave no answer", source=source)
            outcome.results[request.key] = RequestFailed(request, missing)
            return
        try:
            value = check_answer(answer, kind_of(request))
        except QueryError as error:
            error.source = source
            error.args = (f"{source}: {error}",)
            outcome.results[request.key] = RequestFailed(request, error)
            return
        outcome.results[request.key] = Observation(request, value, _describe(connector, request))

    lock = threading.Lock()

    def settle_all(
        batch: Sequence[AnyRequest],
        answers: Mapping[RequestKey, Any] | None,
        error: SourceError | None,
    ) -> None:
        with lock:
            for request in batch:
                settle(request, error if answers is None else answers.get(request.key))

    def source_failed() -> SourceError | None:
        with lock:
            failed = outcome.error
        return failed if isinstance(failed, _FAILS_THE_SOURCE) else None

    def run_batch(batch: Sequence[AnyRequest], answer: AnswerBatch[Any]) -> None:
        if (failed := source_failed()) is not None:
            settle_all(batch, None, failed)  # the source failed meanwhile: not asked
            return
        try:
            try:
                answers = answer(batch)
            except Exception as exc:
                raise _classified(connector, exc) from exc
        except SourceError as error:
            if isinstance(error, _FAILS_THE_SOURCE):
                with lock:
                    outcome.error = outcome.error or error
            settle_all(batch, None, error)
            return
        settle_all(batch, answers, None)

    token = run_stats.set(outcome.stats)
    try:
        batches: list[tuple[list[AnyRequest], AnswerBatch[Any]]] = []
        try:
            for choice in cost.plan(connector, unique, choose).choices:
                answer = choice.chosen.answer or connector.fetch_batch
                batches += [(list(batch), answer) for batch in choice.chosen.batches]
        except Exception as exc:
            batches = []
            outcome.error = _classified(connector, exc)
        workers = min(len(batches), concurrency)
        if workers <= 1:
            for batch, answer in batches:
                run_batch(batch, answer)
        else:
            # Each worker runs in a copy of this context, so its calls count in this run.
            with ThreadPoolExecutor(workers, thread_name_prefix=f"syncd-{source}") as executor:
                futures = [
                    executor.submit(contextvars.copy_context().run, run_batch, batch, answer)
                    for batch, answer in batches
                ]
                for future in futures:
                    future.result()
    finally:
        run_stats.reset(token)
    context.stats.add(outcome.stats)
    outcome.duration = time.monotonic() - started
    health.note(source, outcome.error if outcome.outcome == "failed" else None)
    return outcome


def _concurrency(connector: AnyConnector) -> int:
    """How many fetches of the source may be in flight: its limiter's bound (configured
    ``concurrency``, else the connector's default)."""
    limiter = connector.context.limiter
    if limiter is not None:
        return limiter.concurrency
    return connector.config.concurrency or connector.default_concurrency


def _describe(connector: AnyConnector, request: AnyRequest) -> str:
    try:
        return scrub(connector.describe(request))
    except Exception:  # a description is a courtesy; it never costs a value
        return ""


class ConnectorPool:
    """Opens each source's connector on first use and closes them all at the end.

    With ``quota`` (a PostgreSQL store's shared windows, see :meth:`syncd.sync.Syncer.pool`)
    each rate-limited source counts its calls in its vendor account's window, shared with
    every instance on the store; the pool closes it with the connectors."""

    def __init__(
        self,
        sources: Mapping[str, SourceConfig],
        tz: ZoneInfo,
        retry: RetryPolicy | None = None,
        *,
        quota: QuotaShare | None = None,
    ) -> None:
        self._sources = sources
        self._tz = tz
        self._retry = retry or RetryPolicy()
        self._quota = quota
        self._open: dict[str, AnyConnector] = {}
        self._lock = threading.Lock()

    def opened(self, sources: Iterable[str]) -> list[AnyConnector]:
        """The connectors of ``sources`` that open; a source that cannot (a check-in source,
        a missing SDK) is left for its collection to report."""
        connectors = []
        for source in sources:
            try:
                connectors.append(self.get(source))
            except Exception:
                continue
        return connectors

    def get(self, source: str) -> AnyConnector:
        with self._lock:
            if source not in self._open:
                config = self._sources[source]
                connector_cls = registry.load_connector(config.type)
                if not issubclass(connector_cls, Connector):
                    raise QueryError(
                        f"{source} ({config.type}) is a check-in source: its values arrive by "
                        "`syncd checkin`, there is nothing to pull",
                        source=source,
                    )
                limiter = connector_cls.limiter_for(config)
                if self._quota is not None:
                    account = connector_cls.quota_account(config)
                    self._quota.share(limiter, quota_key(config.type, account, source))
                context = ConnectorContext(
                    source=source, timezone=self._tz, retry=self._retry, limiter=limiter
                )
                self._open[source] = connector_cls(config, context)
            return self._open[source]

    def close(self) -> None:
        with self._lock:
            opened, self._open = self._open, {}
            quota, self._quota = self._quota, None
        for name, connector in opened.items():
            try:
                connector.close()
            except Exception as exc:  # a connector that fails to close must not hide results
                log.warning("connector.close_failed", source=name, error=exc)
        if quota is not None:
            quota.close()

    def __enter__(self) -> ConnectorPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def collect_from_source(
    pool: ConnectorPool, source: str, requests: Sequence[AnyRequest]
) -> SourceOutcome:
    """Run one source's connector over its requests; never raises a source's failure."""
    started = time.monotonic()
    try:
        connector = pool.get(source)
    except Exception as exc:
        error = exc if isinstance(exc, SourceError) else None
        if error is None:
            log.error("connector.open_failed", source=source, exc_info=exc)
            error = SourceError(
                f"{source}: the connector could not start: {type(exc).__name__}: {exc}",
                source=source,
            )
        error.source = error.source or source
        outcome = SourceOutcome(source=source, error=error)
        for request in requests:
            outcome.results[request.key] = RequestFailed(request, error)
        outcome.duration = time.monotonic() - started
        health.note(source, error)
    else:
        outcome = run_connector(connector, requests, concurrency=_concurrency(connector))
    observed = sum(isinstance(r, Observation) for r in outcome.results.values())
    log.info(
        "source.collected",
        source=source,
        outcome=outcome.outcome,
        requests=len(outcome.results),
        observed=observed,
        upstream_calls=outcome.stats.calls,
        retries=outcome.stats.retries,
        duration=round(outcome.duration, 3),
        error=outcome.error_text(),
    )
    return outcome


def import_sdks(connectors: Iterable[Upstream]) -> None:
    """Import the connectors' ``sdk_modules`` on this thread, before they are asked on
    parallel ones (see :attr:`syncd.abc.Upstream.sdk_modules`); an SDK that fails to import
    is left for its connector's first call to report."""
    for module in dict.fromkeys(m for c in connectors for m in type(c).sdk_modules):
        try:
            importlib.import_module(module)
        except ImportError:
            continue


def collect_sources(
    pool: ConnectorPool, requests: Mapping[str, Sequence[AnyRequest]]
) -> dict[str, SourceOutcome]:
    """Collect every source's requests at once, one thread per source (each source's runner
    then keeps its own requests in flight); outcomes in the order of ``requests``."""
    if len(requests) <= 1:
        return {
            source: collect_from_source(pool, source, asked) for source, asked in requests.items()
        }
    import_sdks(pool.opened(requests))
    with ThreadPoolExecutor(len(requests), thread_name_prefix="syncd-source") as executor:
        futures = {
            source: executor.submit(
                contextvars.copy_context().run, collect_from_source, pool, source, asked
            )
            for source, asked in requests.items()
        }
        return {source: future.result() for source, future in futures.items()}
