"""The SQL store's notification deliveries
(:class:`~syncd.store.abc.Deliveries`; see :mod:`syncd.store.notifications`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from syncd.store import notifications
from syncd.store.records import Delivery, OutgoingMessage, record_of
from syncd.store.sqlbase import SqlBase


class SqlDeliveries(SqlBase):
    """:class:`~syncd.store.abc.Deliveries` on SQLite or PostgreSQL."""

    def claim_delivery(
        self,
        message: OutgoingMessage,
        channel: str,
        *,
        owner: str,
        lease: timedelta,
        now: datetime,
    ) -> int | None:
        """Claim sending ``message`` to ``channel``: the attempt number now held, or ``None``
        when it is sent, given up or held by another live claim. A claim whose lease ran out
        is taken over."""
        with self._writing("claiming a delivery") as session:
            return notifications.claim(session, message, channel, owner=owner, lease=lease, now=now)

    def take_over_delivery(
        self, key: str, channel: str, *, owner: str, lease: timedelta, now: datetime
    ) -> int | None:
        """Take over an unfinished delivery whose lease ran out; its attempt number, or None."""
        with self._writing("claiming a delivery") as session:
            return notifications.take_over(session, key, channel, owner=owner, lease=lease, now=now)

    def settle_delivery(
        self,
        key: str,
        channel: str,
        *,
        owner: str,
        now: datetime,
        sent: bool,
        give_up: bool = False,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        """Record an attempt's end: sent, given up, or failed and due again at ``retry_at``
        (default: now). False when ``owner`` had lost the claim."""
        with self._writing("settling a delivery") as session:
            return notifications.settle(
                session,
                key,
                channel,
                owner=owner,
                now=now,
                sent=sent,
                give_up=give_up,
                retry_at=retry_at or now,
                error=error,
            )

    def due_deliveries(self, *, now: datetime) -> list[Delivery]:
        """Deliveries neither sent nor given up whose lease ran out: to be retried."""
        with self._reading("reading deliveries") as session:
            return [record_of(Delivery, row) for row in notifications.due(session, now)]

    def deliveries(self, *, key_prefix: str = "") -> list[Delivery]:
        """Recorded deliveries whose key starts with ``key_prefix``, oldest first."""
        with self._reading("reading deliveries") as session:
            rows = notifications.deliveries(session, key_prefix=key_prefix)
            return [record_of(Delivery, row) for row in rows]

    def last_sent_delivery(
        self, team: str, kind: str, *, exclude_key: str | None = None
    ) -> Delivery | None:
        """The team's most recently sent delivery of ``kind`` (e.g. ``digest``), other than
        ``exclude_key``."""
        with self._reading("reading deliveries") as session:
            row = notifications.last_sent(session, team, kind, exclude_key=exclude_key)
            return None if row is None else record_of(Delivery, row)
