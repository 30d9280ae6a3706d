"""The framework around a connector: it owns stats, logging and recovery.

A connector only implements ``collect``; :func:`collect_from_source` makes sure that whatever it
does — answers, raises a ``SourceError``, or crashes with any other exception — the caller gets
exactly one result per request and a ``SourceOutcome`` to record. One failing source never stops
the others: nothing escapes from here but ``KeyboardInterrupt``/``SystemExit``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

import structlog

from syncd import registry
from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    RequestFailed,
    RetryPolicy,
    SourceConfig,
    UpstreamStats,
)
from syncd.errors import SourceError
from syncd.logs import scrub

log = structlog.get_logger("syncd.collect")

Outcome = Literal["ok", "partial", "failed"]


@dataclass
class SourceOutcome:
    """What one source did in one run."""

    source: str
    results: dict[tuple[str, str, object, object], CollectResult] = field(default_factory=dict)
    error: SourceError | None = None
    stats: UpstreamStats = field(default_factory=UpstreamStats)
    duration: float = 0.0

    @property
    def failures(self) -> list[RequestFailed]:
        return [r for r in self.results.values() if isinstance(r, RequestFailed)]

    @property
    def outcome(self) -> Outcome:
        if self.error is not None or (self.results and len(self.failures) == len(self.results)):
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


class ConnectorPool:
    """Opens each source's connector on first use and closes them all at the end."""

    def __init__(
        self,
        sources: dict[str, SourceConfig],
        tz: ZoneInfo,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._sources = sources
        self._tz = tz
        self._retry = retry or RetryPolicy()
        self._open: dict[str, Connector[SourceConfig, object]] = {}  # type: ignore[type-var]

    def get(self, source: str) -> Connector:  # type: ignore[type-arg]
        if source not in self._open:
            config = self._sources[source]
            connector_cls = registry.load_connector(config.type)
            context = ConnectorContext(
                source=source,
                timezone=self._tz,
                retry=self._retry,
                limiter=connector_cls.limiter_for(config),
            )
            self._open[source] = connector_cls(config, context)
        return self._open[source]

    def close(self) -> None:
        for name, connector in self._open.items():
            try:
                connector.close()
            except Exception as exc:  # a connector that fails to close must not hide results
                log.warning("connector.close_failed", source=name, error=exc)
        self._open.clear()

    def __enter__(self) -> ConnectorPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def collect_from_source(
    pool: ConnectorPool, source: str, requests: Sequence[MetricRequest]
) -> SourceOutcome:
    """Run one source's connector over its requests; never raises a source's failure."""
    outcome = SourceOutcome(source=source)
    started = time.monotonic()
    connector: Connector | None = None  # type: ignore[type-arg]
    calls_before = retries_before = 0
    try:
        connector = pool.get(source)
        calls_before = connector.context.stats.calls
        retries_before = connector.context.stats.retries
        for result in connector.collect(requests):
            outcome.results[result.request.key] = result
    except SourceError as error:
        error.source = error.source or source
        outcome.error = error
    except Exception as exc:
        # A connector bug must cost only its own source: record it, keep the traceback in
        # the log, and let the other sources finish.
        log.exception("connector.crashed", source=source)
        outcome.error = SourceError(
            f"connector crashed: {type(exc).__name__}: {exc}", source=source
        )
    if connector is not None:
        outcome.stats = UpstreamStats(
            calls=connector.context.stats.calls - calls_before,
            retries=connector.context.stats.retries - retries_before,
        )
    outcome.duration = time.monotonic() - started
    for request in requests:
        if request.key in outcome.results:
            continue
        missing = outcome.error or SourceError(
            "the connector returned no result for this request", source=source
        )
        outcome.results[request.key] = RequestFailed(request, missing)
    observed = sum(isinstance(r, Observation) for r in outcome.results.values())
    log_method = log.info if outcome.outcome == "ok" else log.warning
    log_method(
        "source.collected",
        source=source,
        outcome=outcome.outcome,
        requests=len(requests),
        observed=observed,
        upstream_calls=outcome.stats.calls,
        retries=outcome.stats.retries,
        duration=round(outcome.duration, 3),
        error=outcome.error_text(),
    )
    return outcome
