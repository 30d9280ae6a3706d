"""Claimed notification deliveries (the style of :mod:`syncd.store.claims`).

A delivery is claimed with ``INSERT … ON CONFLICT DO NOTHING`` before it is sent, so two
instances (or a restart) never send the same ``(key, channel)`` twice; a claim neither sent nor
given up whose lease ran out is taken over by a conditional ``UPDATE`` that only one taker can
match. Alert states advance by compare-and-set on their generation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlmodel import Session

from syncd.store.dialect import upsert_insert
from syncd.store.records import OutgoingMessage as OutgoingMessage  # callers import it here
from syncd.store.tables import NotificationDelivery


def _deliveries() -> Table:
    return NotificationDelivery.__table__  # type: ignore[attr-defined,no-any-return]


def claim(
    session: Session,
    message: OutgoingMessage,
    channel: str,
    *,
    owner: str,
    lease: timedelta,
    now: datetime,
) -> int | None:
    """Claim the delivery of ``message`` to ``channel``: the attempt number ``owner`` now holds
    (1 for a new claim), or ``None`` when it is sent, given up, or held by a live lease."""
    table = _deliveries()
    inserted = session.execute(
        upsert_insert(session, table)
        .values(
            key=message.key,
            channel=channel,
            kind=message.kind,
            team=message.team,
            title=message.title,
            body=message.body,
            html=message.html,
            data=message.data,
            owner=owner,
            claimed_at=now,
            lease_until=now + lease,
            attempts=1,
        )
        .on_conflict_do_nothing(index_elements=["key", "channel"])
        .returning(table.c.attempts)
    ).first()
    if inserted is not None:
        return 1
    return take_over(session, message.key, channel, owner=owner, lease=lease, now=now)


def take_over(
    session: Session, key: str, channel: str, *, owner: str, lease: timedelta, now: datetime
) -> int | None:
    """Take an unfinished delivery whose lease ran out; its new attempt number, or ``None``."""
    table = _deliveries()
    taken = session.execute(
        update(table)
        .where(
            table.c.key == key,
            table.c.channel == channel,
            table.c.sent_at.is_(None),
            table.c.given_up_at.is_(None),
            table.c.lease_until < now,
        )
        .values(owner=owner, claimed_at=now, lease_until=now + lease, attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    ).first()
    return None if taken is None else int(taken[0])


def settle(
    session: Session,
    key: str,
    channel: str,
    *,
    owner: str,
    now: datetime,
    sent: bool,
    give_up: bool,
    retry_at: datetime,
    error: str | None,
) -> bool:
    """Record how an attempt ended: sent, given up, or failed and due again at ``retry_at``.
    False when ``owner`` no longer holds the claim."""
    table = _deliveries()
    values: dict[str, object] = {"error": error}
    if sent:
        values["sent_at"] = now
    elif give_up:
        values["given_up_at"] = now
    else:
        values["lease_until"] = retry_at
    done = cast(
        "CursorResult[Any]",
        session.execute(
            update(table)
            .where(table.c.key == key, table.c.channel == channel, table.c.owner == owner)
            .values(**values)
        ),
    )
    return done.rowcount == 1


def due(session: Session, now: datetime) -> list[NotificationDelivery]:
    """Deliveries neither sent nor given up whose lease ran out, oldest claim first."""
    table = _deliveries()
    query = (
        select(NotificationDelivery)
        .where(
            table.c.sent_at.is_(None),
            table.c.given_up_at.is_(None),
            table.c.lease_until < now,
        )
        .order_by(table.c.claimed_at)
    )
    return list(session.scalars(query))


def deliveries(session: Session, *, key_prefix: str = "") -> list[NotificationDelivery]:
    """Deliveries whose key starts with ``key_prefix``, oldest claim first."""
    table = _deliveries()
    query = (
        select(NotificationDelivery)
        .where(table.c.key.startswith(key_prefix, autoescape=True))
        .order_by(table.c.claimed_at, table.c.key, table.c.channel)
    )
    return list(session.scalars(query))


def last_sent(
    session: Session, team: str, kind: str, *, exclude_key: str | None = None
) -> NotificationDelivery | None:
    """The team's most recently sent delivery of ``kind`` (other than ``exclude_key``)."""
    table = _deliveries()
    query = (
        select(NotificationDelivery)
        .where(
            table.c.team == team,
            table.c.kind == kind,
            table.c.sent_at.is_not(None),
            table.c.key != (exclude_key or ""),
        )
        .order_by(table.c.sent_at.desc(), table.c.key.desc())
        .limit(1)
    )
    return session.scalars(query).first()
