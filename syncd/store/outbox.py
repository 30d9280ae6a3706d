"""The outbox: events appended with the writes that cause them, handed to consumers.

Semantics (the same for :class:`SqlOutbox` and :class:`MemoryOutbox`):

- **Append.** :func:`append` adds events inside the caller's transaction (a measurement upsert
  appends its :class:`~syncd.events.MeasurementRecorded` there), so an event exists iff the
  write it describes committed. Each event gets an ``id``, increasing in append order. An event
  whose ``dedupe_key`` is already in the outbox is dropped: two instances judging the same
  status change publish it once.
- **Claim.** :meth:`Outbox.claim` hands a *shared* consumer (alerts, the progress engine,
  sinks) up to ``limit`` of its event types that it has not acknowledged, oldest first, and
  holds them for ``owner`` until ``now + lease``. Another instance (or a restarted one) does not
  get an event while a live lease holds it; once the lease runs out (the holder died mid-batch)
  the event is claimed again, as attempt 2, 3, …. On PostgreSQL the claim reads the candidates
  ``FOR UPDATE SKIP LOCKED`` (instances claiming at once take different events without
  waiting), and the delivery row is taken by a conditional upsert that only one claimer can
  win, so two instances never both hold an event. SQLite is one host: its writes are
  serialised by the database lock (``BEGIN IMMEDIATE``).
- **Acknowledge.** :meth:`Outbox.ack` marks events done for the consumer: an acknowledged event
  is never handed to it again, whatever restarts or instances follow. The events ``publish``
  names are appended in the same transaction, so a consumer's follow-up events (the progress
  engine's status changes) exist iff its acknowledgement does. Only the lease holder
  acknowledges; a holder whose lease ran out and was taken over acknowledges nothing (the taker
  will). Hence every event reaches each shared consumer's ``handle`` until one call of it is
  acknowledged: a crash between the effect and the acknowledgement repeats the effect, so
  effects are idempotent on the event (alerts claim their deliveries under a key derived
  from the event).
- **Fail.** :meth:`Outbox.fail` records a failed attempt: the event is due again after the
  backoff (``first * 2 ** (attempts - 1)``, at most ``longest``); after ``max_attempts`` it is
  *parked*: never claimed again until :meth:`Outbox.unpark`, listed by :meth:`Outbox.parked`.
- **Release.** :meth:`Outbox.release` gives held events back unhandled (a sink that is parked
  cannot take them now): due again at once, the attempt not counted.
- **Follow.** A *local* consumer (telemetry: gauges of one process) reads every event after a
  position with :meth:`Outbox.read_after`, without claims; it starts at :meth:`Outbox.position`.
  On PostgreSQL an event may commit after one with a higher ``id`` (two concurrent writers): a
  follower may miss it, which is why only per-process views follow.
- **Prune.** :meth:`Outbox.prune` deletes old events all shared consumers have passed,
  keeping each subject's newest status and health change.
- **Cursor.** Each shared consumer keeps a low-water mark: the events up to it are
  acknowledged (a parked event holds it back), and their delivery rows are removed. It only
  passes events older than :data:`SETTLE_HORIZON`, so an event committed late with a lower
  ``id`` is never skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Table, and_, delete, func, or_, select, update
from sqlmodel import Session

from syncd.events import (
    SOURCE_HEALTH_CHANGED,
    STATUS_CHANGED,
    Delivered,
    Event,
    from_payload,
    payload,
)
from syncd.store.dialect import upsert_insert
from syncd.store.tables import OutboxCursor, OutboxDelivery, OutboxEvent

SETTLE_HORIZON = timedelta(minutes=15)
"""How old an event must be before a consumer's cursor may pass it (longer than any write
transaction lasts, so no event with a lower id can still commit)."""


@dataclass(frozen=True)
class Retry:
    """How failed events are retried: after ``first``, doubling up to ``longest``; parked after
    ``max_attempts`` attempts."""

    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)
    max_attempts: int = 5

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        delay: timedelta = self.first * 2 ** max(attempts - 1, 0)
        return min(delay, self.longest)


@dataclass(frozen=True)
class Parked:
    """An event a consumer gave up on, and the last error it raised."""

    delivered: Delivered
    error: str | None
    parked_at: datetime


class Outbox(Protocol):
    """Durable events and their delivery to consumers (module docstring: the semantics)."""

    def append(self, events: Sequence[Event], *, now: datetime) -> list[int]:
        """Append ``events`` in a transaction of their own; the ids of those kept (an event
        whose ``dedupe_key`` exists already is dropped)."""
        ...

    def claim(
        self,
        consumer: str,
        types: Collection[str],
        *,
        owner: str,
        lease: timedelta,
        limit: int,
        now: datetime,
    ) -> list[Delivered]:
        """Hold up to ``limit`` unacknowledged events of ``types`` for ``owner`` until
        ``now + lease``, oldest first."""
        ...

    def ack(
        self,
        consumer: str,
        event_ids: Sequence[int],
        *,
        owner: str,
        now: datetime,
        publish: Sequence[Event] = (),
    ) -> int:
        """Mark the events ``owner`` holds done for ``consumer`` and append ``publish``, in
        one transaction; how many were acknowledged."""
        ...

    def fail(
        self,
        consumer: str,
        event_id: int,
        *,
        owner: str,
        now: datetime,
        error: str,
        retry: Retry,
    ) -> bool:
        """Record a failed attempt held by ``owner``: due again after the backoff, or parked
        after ``retry.max_attempts``. Returns whether it is now parked."""
        ...

    def release(self, consumer: str, event_ids: Sequence[int], *, owner: str, now: datetime) -> int:
        """Give events ``owner`` holds back unhandled: due again from ``now``, this attempt not
        counted; how many were released."""
        ...

    def parked(self, consumer: str) -> list[Parked]:
        """The consumer's parked events, oldest first."""
        ...

    def unpark(self, consumer: str, event_ids: Sequence[int]) -> int:
        """Make parked events due again (attempts start over); how many were parked."""
        ...

    def read_after(self, position: int, types: Collection[str], *, limit: int) -> list[Delivered]:
        """Up to ``limit`` events of ``types`` with an id above ``position``, oldest first
        (for local consumers; no claim)."""
        ...

    def position(self) -> int:
        """The id of the newest event (0 when there is none)."""
        ...

    def latest(
        self, event_type: str, subjects: Collection[str] | None = None
    ) -> dict[str, Delivered]:
        """Each subject's newest event of ``event_type`` (of the given subjects, or all)."""
        ...

    def prune(self, *, before: datetime) -> int:
        """Delete the events recorded before ``before`` that every shared consumer has
        acknowledged (its cursor passed them), keeping each subject's newest status and health
        change (the state the progress engine and alerts compare with); how many went.

        A shared consumer seen for the first time later starts at the oldest event kept."""
        ...


# -- SQL -------------------------------------------------------------------------------------


def _events() -> Table:
    return OutboxEvent.__table__  # type: ignore[attr-defined,no-any-return]


def _deliveries() -> Table:
    return OutboxDelivery.__table__  # type: ignore[attr-defined,no-any-return]


def _cursors() -> Table:
    return OutboxCursor.__table__  # type: ignore[attr-defined,no-any-return]


def append(session: Session, events: Sequence[Event], now: datetime) -> list[int]:
    """Append ``events`` in the session's transaction (module docstring); the ids kept."""
    table = _events()
    ids: list[int] = []
    for event in events:
        # One statement per event: ON CONFLICT with RETURNING tells which were kept.
        statement = (
            upsert_insert(session, table)
            .values(
                type=event.type,
                subject=event.subject,
                dedupe_key=event.dedupe_key,
                payload=payload(event),
                recorded_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.id)
        )
        row = session.execute(statement).first()
        if row is not None:
            ids.append(int(row[0]))
    return ids


def append_many(session: Session, events: Sequence[Event], now: datetime) -> None:
    """Append events without a ``dedupe_key`` (measurements) with one statement per 500."""
    table = _events()
    for start in range(0, len(events), 500):
        chunk = events[start : start + 500]
        session.execute(
            table.insert(),
            [
                {
                    "type": event.type,
                    "subject": event.subject,
                    "dedupe_key": None,
                    "payload": payload(event),
                    "recorded_at": now,
                }
                for event in chunk
            ],
        )


def _delivered(row: Any, attempt: int = 1) -> Delivered:
    return Delivered(
        id=int(row.id),
        event=from_payload(row.type, row.payload),
        recorded_at=row.recorded_at,
        attempt=attempt,
    )


def _unacked(consumer: str) -> Any:
    """Events ``consumer`` has not acknowledged (a parked one included)."""
    events, deliveries = _events(), _deliveries()
    return (
        select(events)
        .outerjoin(
            deliveries,
            and_(deliveries.c.consumer == consumer, deliveries.c.event_id == events.c.id),
        )
        .where(or_(deliveries.c.event_id.is_(None), deliveries.c.acked_at.is_(None)))
    )


def _open(consumer: str) -> Any:
    """Events without a settled (acked or parked) delivery for ``consumer``."""
    deliveries = _deliveries()
    return _unacked(consumer).where(
        or_(deliveries.c.event_id.is_(None), deliveries.c.parked_at.is_(None))
    )


def _advance_cursor(session: Session, consumer: str, types: Collection[str], now: datetime) -> int:
    """Move ``consumer``'s cursor over the settled events older than the horizon; its
    position."""
    events, deliveries, cursors = _events(), _deliveries(), _cursors()
    position = session.execute(
        select(cursors.c.position).where(cursors.c.consumer == consumer)
    ).scalar()
    if position is None:
        session.execute(
            upsert_insert(session, cursors)
            .values(consumer=consumer, position=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["consumer"])
        )
        position = 0
    # A parked event holds the cursor back: unparked, it must be claimable again.
    unacked = (
        _unacked(consumer).where(events.c.id > position, events.c.type.in_(list(types))).subquery()
    )
    first_open = session.execute(select(func.min(unacked.c.id))).scalar()
    old_enough = session.execute(
        select(func.max(events.c.id)).where(
            events.c.id > position, events.c.recorded_at < now - SETTLE_HORIZON
        )
    ).scalar()
    target = int(old_enough) if old_enough is not None else position
    if first_open is not None:
        target = min(target, int(first_open) - 1)
    if target > position:
        session.execute(
            update(cursors)
            .where(cursors.c.consumer == consumer, cursors.c.position < target)
            .values(position=target, updated_at=now)
        )
        session.execute(
            delete(deliveries).where(
                deliveries.c.consumer == consumer, deliveries.c.event_id <= target
            )
        )
        position = target
    return int(position)


def claim(
    session: Session,
    consumer: str,
    types: Collection[str],
    *,
    owner: str,
    lease: timedelta,
    limit: int,
    now: datetime,
) -> list[Delivered]:
    """:meth:`Outbox.claim` in the session's transaction."""
    events, deliveries = _events(), _deliveries()
    position = _advance_cursor(session, consumer, types, now)
    query = (
        _open(consumer)
        .where(events.c.id > position, events.c.type.in_(list(types)))
        .where(or_(deliveries.c.event_id.is_(None), deliveries.c.lease_until < now))
        .order_by(events.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=events, skip_locked=True)
    candidates = list(session.execute(query))
    if not candidates:
        return []
    insert = upsert_insert(session, deliveries).values(
        [
            {
                "consumer": consumer,
                "event_id": row.id,
                "owner": owner,
                "lease_until": now + lease,
                "attempts": 1,
            }
            for row in candidates
        ]
    )
    statement = insert.on_conflict_do_update(
        index_elements=["consumer", "event_id"],
        set_={
            "owner": insert.excluded.owner,
            "lease_until": insert.excluded.lease_until,
            "attempts": deliveries.c.attempts + 1,
        },
        # Evaluated on the newest row version: of two claimers only one can match.
        where=and_(
            deliveries.c.acked_at.is_(None),
            deliveries.c.parked_at.is_(None),
            deliveries.c.lease_until < now,
        ),
    ).returning(deliveries.c.event_id, deliveries.c.attempts)
    held = {int(event_id): int(attempts) for event_id, attempts in session.execute(statement)}
    return [_delivered(row, held[row.id]) for row in candidates if row.id in held]


def ack(
    session: Session,
    consumer: str,
    event_ids: Sequence[int],
    *,
    owner: str,
    now: datetime,
    publish: Sequence[Event],
) -> int:
    """:meth:`Outbox.ack` in the session's transaction."""
    deliveries = _deliveries()
    done = 0
    if event_ids:
        result = cast(
            "CursorResult[Any]",
            session.execute(
                update(deliveries)
                .where(
                    deliveries.c.consumer == consumer,
                    deliveries.c.event_id.in_(list(event_ids)),
                    deliveries.c.owner == owner,
                    deliveries.c.acked_at.is_(None),
                    deliveries.c.parked_at.is_(None),
                )
                .values(acked_at=now)
            ),
        )
        done = result.rowcount
    append(session, publish, now)
    return done


def fail(
    session: Session,
    consumer: str,
    event_id: int,
    *,
    owner: str,
    now: datetime,
    error: str,
    retry: Retry,
) -> bool:
    """:meth:`Outbox.fail` in the session's transaction."""
    deliveries = _deliveries()
    row = session.execute(
        select(deliveries.c.attempts)
        .where(
            deliveries.c.consumer == consumer,
            deliveries.c.event_id == event_id,
            deliveries.c.owner == owner,
            deliveries.c.acked_at.is_(None),
            deliveries.c.parked_at.is_(None),
        )
        .with_for_update()
    ).first()
    if row is None:
        return False
    attempts = int(row[0])
    parked = attempts >= retry.max_attempts
    session.execute(
        update(deliveries)
        .where(deliveries.c.consumer == consumer, deliveries.c.event_id == event_id)
        .values(
            error=error,
            lease_until=now + retry.delay(attempts),
            parked_at=now if parked else None,
        )
    )
    return parked


def release(
    session: Session, consumer: str, event_ids: Sequence[int], *, owner: str, now: datetime
) -> int:
    """:meth:`Outbox.release` in the session's transaction."""
    deliveries = _deliveries()
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(deliveries)
            .where(
                deliveries.c.consumer == consumer,
                deliveries.c.event_id.in_(list(event_ids)),
                deliveries.c.owner == owner,
                deliveries.c.acked_at.is_(None),
                deliveries.c.parked_at.is_(None),
            )
            .values(lease_until=now, attempts=deliveries.c.attempts - 1)
        ),
    )
    return result.rowcount


def parked(session: Session, consumer: str) -> list[Parked]:
    """:meth:`Outbox.parked` in the session."""
    events, deliveries = _events(), _deliveries()
    rows = session.execute(
        select(events, deliveries.c.attempts, deliveries.c.error, deliveries.c.parked_at)
        .join(deliveries, deliveries.c.event_id == events.c.id)
        .where(deliveries.c.consumer == consumer, deliveries.c.parked_at.is_not(None))
        .order_by(events.c.id)
    )
    return [Parked(_delivered(row, row.attempts), row.error, row.parked_at) for row in rows]


def unpark(session: Session, consumer: str, event_ids: Sequence[int], now: datetime) -> int:
    """:meth:`Outbox.unpark` in the session's transaction."""
    deliveries = _deliveries()
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(deliveries)
            .where(
                deliveries.c.consumer == consumer,
                deliveries.c.event_id.in_(list(event_ids)),
                deliveries.c.parked_at.is_not(None),
            )
            .values(parked_at=None, attempts=0, lease_until=now)
        ),
    )
    return result.rowcount


def read_after(
    session: Session, position: int, types: Collection[str], limit: int
) -> list[Delivered]:
    """:meth:`Outbox.read_after` in the session."""
    events = _events()
    rows = session.execute(
        select(events)
        .where(events.c.id > position, events.c.type.in_(list(types)))
        .order_by(events.c.id)
        .limit(limit)
    )
    return [_delivered(row) for row in rows]


def position(session: Session) -> int:
    """:meth:`Outbox.position` in the session."""
    return int(session.execute(select(func.max(_events().c.id))).scalar() or 0)


def latest(
    session: Session, event_type: str, subjects: Collection[str] | None
) -> dict[str, Delivered]:
    """:meth:`Outbox.latest` in the session."""
    events = _events()
    newest = select(func.max(events.c.id).label("id")).where(events.c.type == event_type)
    if subjects is not None:
        newest = newest.where(events.c.subject.in_(list(subjects)))
    ids = newest.group_by(events.c.subject).subquery()
    rows = session.execute(select(events).join(ids, ids.c.id == events.c.id))
    return {row.subject: _delivered(row) for row in rows}


def prune(session: Session, before: datetime) -> int:
    """:meth:`Outbox.prune` in the session's transaction."""
    events, deliveries, cursors = _events(), _deliveries(), _cursors()
    passed = session.execute(select(func.min(cursors.c.position))).scalar()
    if passed is None:
        return 0
    state = (
        select(func.max(events.c.id))
        .where(events.c.type.in_([STATUS_CHANGED, SOURCE_HEALTH_CHANGED]))
        .group_by(events.c.subject, events.c.type)
    )
    doomed = (
        select(events.c.id)
        .where(events.c.id <= passed, events.c.recorded_at < before)
        .where(events.c.id.not_in(state))
    )
    session.execute(delete(deliveries).where(deliveries.c.event_id.in_(doomed)))
    result = cast(
        "CursorResult[Any]", session.execute(delete(events).where(events.c.id.in_(doomed)))
    )
    return result.rowcount


class SqlOutbox:
    """:class:`Outbox` on a store's database (SQLite or PostgreSQL).

    ``writing`` and ``reading`` open a session (a write commits as one transaction), as the
    :class:`~syncd.store.Store` that owns the database does.
    """

    def __init__(
        self,
        writing: Callable[[str], AbstractContextManager[Session]],
        reading: Callable[[str], AbstractContextManager[Session]],
    ) -> None:
        self._writing = writing
        self._reading = reading

    def append(self, events: Sequence[Event], *, now: datetime) -> list[int]:
        with self._writing("appending events") as session:
            return append(session, events, now)

    def claim(
        self,
        consumer: str,
        types: Collection[str],
        *,
        owner: str,
        lease: timedelta,
        limit: int,
        now: datetime,
    ) -> list[Delivered]:
        with self._writing("claiming events") as session:
            return claim(session, consumer, types, owner=owner, lease=lease, limit=limit, now=now)

    def ack(
        self,
        consumer: str,
        event_ids: Sequence[int],
        *,
        owner: str,
        now: datetime,
        publish: Sequence[Event] = (),
    ) -> int:
        with self._writing("acknowledging events") as session:
            return ack(session, consumer, event_ids, owner=owner, now=now, publish=publish)

    def fail(
        self,
        consumer: str,
        event_id: int,
        *,
        owner: str,
        now: datetime,
        error: str,
        retry: Retry,
    ) -> bool:
        with self._writing("recording a failed event") as session:
            return fail(session, consumer, event_id, owner=owner, now=now, error=error, retry=retry)

    def release(self, consumer: str, event_ids: Sequence[int], *, owner: str, now: datetime) -> int:
        with self._writing("releasing events") as session:
            return release(session, consumer, event_ids, owner=owner, now=now)

    def parked(self, consumer: str) -> list[Parked]:
        with self._reading("reading parked events") as session:
            return parked(session, consumer)

    def unpark(self, consumer: str, event_ids: Sequence[int]) -> int:
        with self._writing("unparking events") as session:
            return unpark(session, consumer, event_ids, datetime.now(UTC))

    def read_after(self, position: int, types: Collection[str], *, limit: int) -> list[Delivered]:
        with self._reading("reading events") as session:
            return read_after(session, position, types, limit)

    def position(self) -> int:
        with self._reading("reading events") as session:
            return position(session)

    def latest(
        self, event_type: str, subjects: Collection[str] | None = None
    ) -> dict[str, Delivered]:
        with self._reading("reading events") as session:
            return latest(session, event_type, subjects)

    def prune(self, *, before: datetime) -> int:
        with self._writing("pruning events") as session:
            return prune(session, before)


# -- in memory -------------------------------------------------------------------------------


@dataclass
class _Hold:
    owner: str
    lease_until: datetime
    attempts: int
    acked_at: datetime | None = None
    parked_at: datetime | None = None
    error: str | None = None


@dataclass
class MemoryOutbox:
    """:class:`Outbox` in one process's memory, for fast tests (its cursors need no horizon:
    appends and acknowledgements are serialised by one lock)."""

    _events: list[Delivered] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    _holds: dict[tuple[str, int], _Hold] = field(default_factory=dict)
    _types: dict[str, frozenset[str]] = field(default_factory=dict)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, events: Sequence[Event], *, now: datetime) -> list[int]:
        with self._lock:
            return self._append(events, now)

    def _append(self, events: Sequence[Event], now: datetime) -> list[int]:
        ids = []
        for event in events:
            key = event.dedupe_key
            if key is not None:
                if key in self._keys:
                    continue
                self._keys.add(key)
            delivered = Delivered(id=self._next_id, event=event, recorded_at=now)
            self._next_id += 1
            self._events.append(delivered)
            ids.append(delivered.id)
        return ids

    def claim(
        self,
        consumer: str,
        types: Collection[str],
        *,
        owner: str,
        lease: timedelta,
        limit: int,
        now: datetime,
    ) -> list[Delivered]:
        taken: list[Delivered] = []
        with self._lock:
            self._types[consumer] = frozenset(types)
            for delivered in self._events:
                if len(taken) >= limit:
                    break
                if delivered.event.type not in types:
                    continue
                hold = self._holds.get((consumer, delivered.id))
                if hold is None:
                    hold = _Hold(owner, now + lease, 1)
                elif hold.acked_at or hold.parked_at or hold.lease_until >= now:
                    continue
                else:
                    hold.owner, hold.lease_until = owner, now + lease
                    hold.attempts += 1
                self._holds[(consumer, delivered.id)] = hold
                taken.append(
                    Delivered(delivered.id, delivered.event, delivered.recorded_at, hold.attempts)
                )
        return taken

    def _held(self, consumer: str, event_id: int, owner: str) -> _Hold | None:
        hold = self._holds.get((consumer, event_id))
        if hold is None or hold.owner != owner or hold.acked_at or hold.parked_at:
            return None
        return hold

    def ack(
        self,
        consumer: str,
        event_ids: Sequence[int],
        *,
        owner: str,
        now: datetime,
        publish: Sequence[Event] = (),
    ) -> int:
        with self._lock:
            done = 0
            for event_id in event_ids:
                if (hold := self._held(consumer, event_id, owner)) is not None:
                    hold.acked_at = now
                    done += 1
            self._append(publish, now)
            return done

    def fail(
        self,
        consumer: str,
        event_id: int,
        *,
        owner: str,
        now: datetime,
        error: str,
        retry: Retry,
    ) -> bool:
        with self._lock:
            hold = self._held(consumer, event_id, owner)
            if hold is None:
                return False
            hold.error = error
            hold.lease_until = now + retry.delay(hold.attempts)
            if hold.attempts >= retry.max_attempts:
                hold.parked_at = now
            return hold.parked_at is not None

    def release(self, consumer: str, event_ids: Sequence[int], *, owner: str, now: datetime) -> int:
        with self._lock:
            done = 0
            for event_id in event_ids:
                if (hold := self._held(consumer, event_id, owner)) is not None:
                    hold.lease_until = now
                    hold.attempts -= 1
                    done += 1
            return done

    def parked(self, consumer: str) -> list[Parked]:
        with self._lock:
            found = []
            for delivered in self._events:
                hold = self._holds.get((consumer, delivered.id))
                if hold is not None and hold.parked_at is not None:
                    found.append(
                        Parked(
                            Delivered(
                                delivered.id, delivered.event, delivered.recorded_at, hold.attempts
                            ),
                            hold.error,
                            hold.parked_at,
                        )
                    )
            return found

    def unpark(self, consumer: str, event_ids: Sequence[int]) -> int:
        with self._lock:
            done = 0
            for event_id in event_ids:
                hold = self._holds.get((consumer, event_id))
                if hold is not None and hold.parked_at is not None:
                    hold.parked_at, hold.attempts = None, 0
                    hold.lease_until = datetime.min.replace(tzinfo=hold.lease_until.tzinfo)
                    done += 1
            return done

    def read_after(self, position: int, types: Collection[str], *, limit: int) -> list[Delivered]:
        with self._lock:
            found = [e for e in self._events if e.id > position and e.event.type in types]
            return found[:limit]

    def position(self) -> int:
        with self._lock:
            return self._next_id - 1

    def latest(
        self, event_type: str, subjects: Collection[str] | None = None
    ) -> dict[str, Delivered]:
        with self._lock:
            found: dict[str, Delivered] = {}
            for delivered in self._events:
                subject = delivered.event.subject
                if delivered.event.type == event_type and (subjects is None or subject in subjects):
                    found[subject] = delivered
            return found

    def prune(self, *, before: datetime) -> int:
        with self._lock:
            if not self._types:
                return 0
            passed = min(self._passed(consumer) for consumer in self._types)
            state = {
                (d.event.subject, d.event.type): d.id
                for d in self._events
                if d.event.type in (STATUS_CHANGED, SOURCE_HEALTH_CHANGED)
            }
            kept = set(state.values())
            doomed = {
                d.id
                for d in self._events
                if d.id <= passed and d.recorded_at < before and d.id not in kept
            }
            self._events = [d for d in self._events if d.id not in doomed]
            self._holds = {k: v for k, v in self._holds.items() if k[1] not in doomed}
            return len(doomed)

    def _passed(self, consumer: str) -> int:
        """The consumer's cursor: the newest id up to which it acknowledged all its events."""
        types = self._types[consumer]
        passed = 0
        for delivered in self._events:
            hold = self._holds.get((consumer, delivered.id))
            if delivered.event.type in types and (hold is None or hold.acked_at is None):
                break
            passed = delivered.id
        return passed

    def __iter__(self) -> Iterator[Delivered]:
        with self._lock:
            return iter(list(self._events))
