"""The Jira epics initiatives name (``jira: ABC-123``), read for the review.

Each epic is one call of its ``jira`` source (``issue_state``), made when the review is made:
its status is today's, whatever ``--as-of`` says. A source that cannot answer costs only its
epics: the review shows why beside them.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from syncd.collect import ConnectorPool
from syncd.config import LoadedConfig
from syncd.errors import SourceError
from syncd.logs import scrub
from syncd.reports.model import EpicState


@runtime_checkable
class IssueReader(Protocol):
    """A connector that can tell where one issue stands (the ``jira`` connector)."""

    def issue_state(self, key: str) -> Any: ...


def read_epics(loaded: LoadedConfig) -> dict[str, EpicState]:
    """Initiative id → its epic's state, for every initiative naming one (resolution dates
    in the config's time zone)."""
    config = loaded.config
    wanted = [i for i in config.initiatives if i.jira is not None]
    if not wanted:
        return {}
    jira = [name for name, source in config.sources.items() if source.type == "jira"]
    states: dict[str, EpicState] = {}
    with ConnectorPool(config.sources, config.tz) as pool:
        for initiative in wanted:
            key = initiative.jira
            assert key is not None
            source = initiative.jira_source or (jira[0] if len(jira) == 1 else None)
            states[initiative.id] = _read(pool, source, key, config.tz)
    return states


def _read(pool: ConnectorPool, source: str | None, key: str, tz: ZoneInfo) -> EpicState:
    if source is None:
        return EpicState(key, error="no jira source to read it from")
    try:
        connector = pool.get(source)
        if not isinstance(connector, IssueReader):
            return EpicState(key, error=f"{source} cannot read Jira issues")
        state = connector.issue_state(key)
    except SourceError as error:
        return EpicState(key, error=scrub(str(error)))
    resolved = state["resolved"]
    return EpicState(
        key,
        status=state["status"] or None,
        done=state["category"] == "done",
        resolved=resolved.astimezone(tz).date() if resolved is not None else None,
    )
