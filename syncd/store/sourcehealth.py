"""A source's health as events: a finished run that fails after successes (or the reverse)
publishes :class:`~syncd.events.SourceHealthChanged` with the run, in its transaction.

A source's health is that of its newest finished run (``failed`` is failing; ``ok`` and
``partial`` are healthy); an ``interrupted`` run says nothing of its source. The health last
published is the source's newest ``source_health_changed`` event, so no other state is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from syncd.events import SOURCE_HEALTH_CHANGED, Delivered, SourceHealthChanged, source_subject
from syncd.store import outbox
from syncd.store.runs import INTERRUPTED
from syncd.store.tables import SyncRun


class RunLike(Protocol):
    """What a health change reads of a finished run (a table row or a record)."""

    @property
    def id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def started_at(self) -> datetime: ...


def publish_change(session: Session, run: SyncRun, now: datetime) -> SourceHealthChanged | None:
    """Append the health change ``run`` (just finished) makes, if any; the event appended."""
    if run.outcome in (None, INTERRUPTED):
        return None
    subject = source_subject(run.source)
    last = outbox.latest(session, SOURCE_HEALTH_CHANGED, [subject]).get(subject)
    event = health_change(run, last)
    if event is not None:
        outbox.append(session, [event], now)
    return event


def health_change(run: RunLike, last: Delivered | None) -> SourceHealthChanged | None:
    """The change ``run`` (just finished) makes to its source's health, given the source's
    ``last`` published change; None when it makes none. Every backend publishes by this."""
    if run.outcome in (None, INTERRUPTED):
        return None
    failing = run.outcome == "failed"
    previous: bool | None = None
    generation = 0
    if last is not None:
        assert isinstance(last.event, SourceHealthChanged)
        previous, generation = last.event.failing, last.event.generation + 1
        if previous == failing:
            return None
    return SourceHealthChanged(
        source=run.source,
        failing=failing,
        previous=previous,
        generation=generation,
        run_id=run.id,
        started_at=run.started_at,
        reason=run.error if failing else None,
    )
