"""A source's health as events: a finished run that fails after successes (or the reverse)
publishes :class:`~syncd.events.SourceHealthChanged` with the run, in its transaction.

A source's health is that of its newest finished run (``failed`` is failing; ``ok`` and
``partial`` are healthy); an ``interrupted`` run says nothing of its source. The health last
published is the source's newest ``source_health_changed`` event, so no other state is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from syncd.events import SOURCE_HEALTH_CHANGED, SourceHealthChanged, source_subject
from syncd.store import outbox
from syncd.store.runs import INTERRUPTED
from syncd.store.tables import SyncRun


def publish_change(session: Session, run: SyncRun, now: datetime) -> SourceHealthChanged | None:
    """Append the health change ``run`` (just finished) makes, if any; the event appended."""
    if run.outcome in (None, INTERRUPTED):
        return None
    failing = run.outcome == "failed"
    subject = source_subject(run.source)
    last = outbox.latest(session, SOURCE_HEALTH_CHANGED, [subject]).get(subject)
    previous: bool | None = None
    generation = 0
    if last is not None:
        assert isinstance(last.event, SourceHealthChanged)
        previous, generation = last.event.failing, last.event.generation + 1
        if previous == failing:
            return None
    event = SourceHealthChanged(
        source=run.source,
        failing=failing,
        previous=previous,
        generation=generation,
        run_id=run.id,
        started_at=run.started_at,
        reason=run.error if failing else None,
    )
    outbox.append(session, [event], now)
    return event
