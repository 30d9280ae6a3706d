"""The events syncd publishes through the store's outbox, and the protocol of their consumers.

Three kinds of event, each a frozen record with a JSON form (``payload`` / :func:`from_payload`):

- :class:`MeasurementRecorded`: a sync pass or a check-in stored a new window, or a new value
  for a stored window (``revision`` is then the new revision number). Written in the same
  transaction as the measurement; an upsert that changes nothing publishes nothing.
- :class:`StatusChanged`: the progress engine judged a KR's status different from the last one
  it published (``previous`` is ``None`` for a KR's first status: a record, not news).
- :class:`SourceHealthChanged`: a source's newest finished run failed after succeeding, or the
  reverse (``previous`` is ``None`` for a source's first finished run).

``subject`` names what an event is about (``kr:<id>``, ``source:<name>``); ``generation``
counts a subject's status changes, so every instance that sees the same change names it the
same way (the alert keys, the outbox's ``dedupe_key``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

MEASUREMENT_RECORDED = "measurement_recorded"
STATUS_CHANGED = "status_changed"
SOURCE_HEALTH_CHANGED = "source_health_changed"


def kr_subject(kr_id: str) -> str:
    """The subject of a KR's events."""
    return f"kr:{kr_id}"


def source_subject(source: str) -> str:
    """The subject of a source's events."""
    return f"source:{source}"


@dataclass(frozen=True)
class MeasurementRecorded:
    """A KR's value for a window was stored: a new window (``revision`` 1, ``previous`` None)
    or a changed value (``revision`` the new revision, ``previous`` the value it replaced)."""

    type: ClassVar[str] = MEASUREMENT_RECORDED

    kr_id: str
    window_start: datetime
    window_end: datetime
    value: float
    measured_at: datetime
    source: str
    run_id: str | None
    revision: int = 1
    previous: float | None = None

    @property
    def subject(self) -> str:
        return kr_subject(self.kr_id)

    @property
    def dedupe_key(self) -> str | None:
        return None


@dataclass(frozen=True)
class StatusChanged:
    """The progress engine judged ``kr_id`` ``current`` at ``at``, after ``previous``.

    ``generation`` is the number of the state entered (0 for a KR's first status); the other
    fields are the values behind the judgement, enough to tell a person why.
    """

    type: ClassVar[str] = STATUS_CHANGED

    kr_id: str
    previous: str | None
    current: str
    generation: int
    at: datetime
    team: str
    title: str
    objective_title: str
    unit: str | None = None
    value: float | None = None
    baseline: float | None = None
    target: float | None = None
    attainment: float | None = None
    expected: float | None = None
    forecast: float | None = None
    forecast_score: float | None = None
    collected_at: datetime | None = None

    @property
    def subject(self) -> str:
        return kr_subject(self.kr_id)

    @property
    def dedupe_key(self) -> str:
        return f"{self.type}:{self.subject}:{self.generation}"


@dataclass(frozen=True)
class SourceHealthChanged:
    """A source's newest finished run ``failing`` (or recovered: ``failing`` False) after the
    opposite; ``previous`` is ``None`` for the source's first finished run."""

    type: ClassVar[str] = SOURCE_HEALTH_CHANGED

    source: str
    failing: bool
    previous: bool | None
    generation: int
    run_id: str
    started_at: datetime
    reason: str | None = None

    @property
    def subject(self) -> str:
        return source_subject(self.source)

    @property
    def dedupe_key(self) -> str:
        return f"{self.type}:{self.subject}:{self.generation}"


Event = MeasurementRecorded | StatusChanged | SourceHealthChanged
EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (MeasurementRecorded, StatusChanged, SourceHealthChanged)
}


def payload(event: Event) -> str:
    """The event as JSON (datetimes in ISO 8601)."""
    # Every field is a scalar: a shallow dict, not asdict's deep copy (a backfill writes
    # tens of thousands of these).
    row = {field.name: getattr(event, field.name) for field in fields(event)}
    return json.dumps(row, default=_iso, sort_keys=True)


def from_payload(event_type: str, text: str) -> Event:
    """The event :func:`payload` wrote for an event of ``event_type``."""
    cls = EVENT_TYPES[event_type]
    row: dict[str, Any] = json.loads(text)
    for field in fields(cls):
        value = row.get(field.name)
        if isinstance(value, str) and "datetime" in str(field.type):
            row[field.name] = datetime.fromisoformat(value)
    return cls(**row)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@dataclass(frozen=True)
class Delivered:
    """An event as the outbox hands it out: its position ``id`` (increasing in the order
    events were appended), when it was recorded, and the attempt this delivery is (1 for
    the first time the consumer sees it)."""

    id: int
    event: Event
    recorded_at: datetime
    attempt: int = 1


class Consumer(Protocol):
    """Something that reacts to events: alerts, telemetry, the progress engine, sinks.

    The consumer runner (:mod:`syncd.consumers`) hands :meth:`handle` the events of
    ``event_types`` in batches, oldest first, and acknowledges the batch when ``handle``
    returns: the events it returns are appended to the outbox in the same transaction as that
    acknowledgement. When ``handle`` raises, the runner retries the events one by one with a
    backoff and parks an event that keeps failing (see :class:`~syncd.store.outbox.Outbox`).

    A *shared* consumer (``shared`` True) gets each event once across every instance and
    restart: its effects must therefore be idempotent on the event (a crash after the effect
    and before the acknowledgement redelivers it). A local one (``shared`` False, e.g.
    telemetry, which keeps per-process gauges) gets every event in every process, from the
    events appended after the process started.
    """

    name: str
    event_types: frozenset[str]
    shared: bool

    def handle(self, events: Sequence[Delivered]) -> Sequence[Event]:
        """React to ``events``; return the events this causes (often none)."""
        ...


class Postponed(Exception):
    """Raised by a shared consumer's ``handle`` that cannot take its events now (a parked
    sink): the runner gives the batch back to the outbox unhandled, no attempt counted."""


@runtime_checkable
class Pausable(Protocol):
    """A consumer that may be paused: while :meth:`paused` is true the runner claims none of
    its events (they wait in the outbox)."""

    def paused(self) -> bool:
        """Whether the consumer takes no events now."""
        ...
