"""``syncd check-sources``: does each source let us in, and can we reach it?

Each pulled source gets its connector's :meth:`~syncd.abc.Connector.check`: one cheap
authenticated call made through ``Connector.call`` like every fetch, so the source's limiter,
the retries and the error table apply. A failure is reported as the error tree's class says,
with what to do about it; check-in sources have nothing to call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import structlog

from syncd import registry
from syncd.abc import Connector, RetryPolicy, SourceConfig
from syncd.collect import AnyConnector, ConnectorPool
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.logs import scrub

log = structlog.get_logger(__name__)

Outcome = Literal["ok", "failed", "skipped"]

CHECK_RETRY = RetryPolicy(attempts=3, initial_wait=0.5, max_wait=4.0, max_retry_after=10.0)
"""A check should answer within seconds: a few quick retries, and a source asking for a
longer pause than 10 s is reported as rate-limited at once."""


@dataclass(frozen=True)
class SourceCheck:
    """What checking one source found: ``text`` is what the check read, or the error (one
    line, secrets removed); ``hint`` says what to do about a failure."""

    source: str
    type: str
    outcome: Outcome
    text: str
    hint: str | None = None


def check_sources(
    sources: Mapping[str, SourceConfig],
    tz: ZoneInfo,
    names: Iterable[str] | None = None,
    *,
    retry: RetryPolicy = CHECK_RETRY,
) -> Iterator[SourceCheck]:
    """Check ``names`` (default: every source) in turn, yielding each result as it is known."""
    with ConnectorPool(sources, tz, retry) as pool:
        for name in names if names is not None else list(sources):
            yield check_source(pool, name, sources[name])


def check_source(pool: ConnectorPool, name: str, config: SourceConfig) -> SourceCheck:
    """One source's check; never raises a source's failure."""
    try:
        plugin = registry.load_connector(config.type)
    except registry.ConnectorLoadError as exc:
        return _failed(name, config, SourceError(str(exc), source=name))
    if not issubclass(plugin, Connector):
        return SourceCheck(name, config.type, "skipped", "nothing to check (check-ins)")
    connector: AnyConnector | None = None
    try:
        connector = pool.get(name)
        checked = connector.check()
    except NotImplementedError:
        return SourceCheck(
            name, config.type, "skipped", "its connector has no check(); nothing was called"
        )
    except Exception as exc:
        return _failed(name, config, _as_source_error(name, connector, exc))
    return SourceCheck(name, config.type, "ok", _one_line(checked, name))


def hint_for(error: SourceError, source: str) -> str:
    """What to do about a failed check, by the error's class."""
    if isinstance(error, AuthError):
        return f"check the credentials: the secret sources.{source} refers to, and its read access"
    if isinstance(error, RateLimited):
        wait = f"{error.retry_after:.0f} s" if error.retry_after is not None else "a while"
        return f"rate-limited: wait {wait}, then check again"
    if isinstance(error, TransientSourceError):
        return (
            f"unreachable or failing: check the address in sources.{source} and the network, "
            "or try again later"
        )
    if isinstance(error, QueryError):
        return f"it answered but refused the check: check the settings of sources.{source}"
    return f"check the settings of sources.{source}; --log-level debug shows more"


def _failed(name: str, config: SourceConfig, error: SourceError) -> SourceCheck:
    return SourceCheck(
        name, config.type, "failed", _one_line(str(error), name), hint_for(error, name)
    )


def _as_source_error(name: str, connector: AnyConnector | None, exc: Exception) -> SourceError:
    """``exc`` on the error tree: as raised, as the connector maps it, else a wrapper naming
    it (the traceback goes to the debug log, never to the user)."""
    if isinstance(exc, SourceError):
        return exc
    mapped = connector.classify(exc) if connector is not None else None
    if mapped is not None:
        return mapped
    log.debug("check.crashed", source=name, exc_info=exc)
    stage = "check" if connector is not None else "start"
    return SourceError(f"the connector could not {stage}: {type(exc).__name__}: {exc}")


def _one_line(text: str, source: str) -> str:
    """``text`` on one line, secrets scrubbed, without the ``source:`` prefix errors carry."""
    line = scrub(" ".join(text.split()))
    return line.removeprefix(f"{source}: ")
