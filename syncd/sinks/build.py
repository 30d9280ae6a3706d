"""Opening the configured sinks: each built by its type's class with a context of its own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from syncd import registry
from syncd.abc import ConnectorContext, RetryPolicy, Sink
from syncd.config.models import Config

log = structlog.get_logger("syncd.sinks")

AnySink = Sink[Any, Any]


def open_sink(config: Config, name: str, *, retry: RetryPolicy | None = None) -> AnySink:
    """Sink ``name`` of ``config``, built with ``ConnectorContext(source=name, timezone=the
    config's zone, limiter=its limiter)``."""
    settings = config.sinks[name]
    cls = registry.load_sink(settings.type)
    context = ConnectorContext(
        source=name,
        timezone=config.tz,
        limiter=cls.limiter_for(settings),
        retry=retry or RetryPolicy(),
    )
    return cls(settings, context)


def mapped_sinks(config: Config) -> list[str]:
    """The configured sinks at least one KR pushes to, in config order."""
    used = {name for _, kr in config.key_results() for name in kr.push}
    return [name for name in config.sinks if name in used]


@contextmanager
def opened_sinks(
    config: Config, names: Iterable[str] | None = None, *, retry: RetryPolicy | None = None
) -> Iterator[dict[str, AnySink]]:
    """The sinks ``names`` (default: every mapped one) open while the block runs, closed
    after it."""
    sinks: dict[str, AnySink] = {}
    try:
        for name in names if names is not None else mapped_sinks(config):
            sinks[name] = open_sink(config, name, retry=retry)
        yield sinks
    finally:
        close_sinks(sinks.values())


def close_sinks(sinks: Iterable[AnySink]) -> None:
    """Close each sink; a failing close is logged, never raised."""
    for sink in sinks:
        try:
            sink.close()
        except Exception as exc:  # closing must not stop the others
            log.warning("sink.close_failed", sink=sink.context.source, error=str(exc))
