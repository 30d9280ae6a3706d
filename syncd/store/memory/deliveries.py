"""The in-memory store's notification deliveries
(:class:`~syncd.store.abc.Deliveries`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from syncd.store.memory.state import MemoryBase
from syncd.store.records import Delivery, OutgoingMessage


class MemoryDeliveries(MemoryBase):
    """:class:`~syncd.store.abc.Deliveries` in memory."""

    def claim_delivery(
        self,
        message: OutgoingMessage,
        channel: str,
        *,
        owner: str,
        lease: timedelta,
        now: datetime,
    ) -> int | None:
        """Claim sending ``message`` to ``channel``: the attempt number now held, or ``None``."""
        with self._state.lock:
            if (message.key, channel) not in self._state.deliveries:
                self._state.deliveries[(message.key, channel)] = Delivery(
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
                    sent_at=None,
                    given_up_at=None,
                    error=None,
                )
                return 1
            return self.take_over_delivery(message.key, channel, owner=owner, lease=lease, now=now)

    def take_over_delivery(
        self, key: str, channel: str, *, owner: str, lease: timedelta, now: datetime
    ) -> int | None:
        """Take over an unfinished delivery whose lease ran out; its attempt number, or None."""
        with self._state.lock:
            row = self._state.deliveries.get((key, channel))
            if row is None or row.sent_at or row.given_up_at or not row.lease_until < now:
                return None
            row = replace(
                row, owner=owner, claimed_at=now, lease_until=now + lease, attempts=row.attempts + 1
            )
            self._state.deliveries[(key, channel)] = row
            return row.attempts

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
        """Record an attempt's end: sent, given up, or failed and due again at ``retry_at``."""
        with self._state.lock:
            row = self._state.deliveries.get((key, channel))
            if row is None or row.owner != owner:
                return False
            if sent:
                row = replace(row, error=error, sent_at=now)
            elif give_up:
                row = replace(row, error=error, given_up_at=now)
            else:
                row = replace(row, error=error, lease_until=retry_at or now)
            self._state.deliveries[(key, channel)] = row
            return True

    def due_deliveries(self, *, now: datetime) -> list[Delivery]:
        """Deliveries neither sent nor given up whose lease ran out, oldest claim first."""
        with self._state.lock:
            due = [
                row
                for row in self._state.deliveries.values()
                if row.sent_at is None and row.given_up_at is None and row.lease_until < now
            ]
        return sorted(due, key=lambda row: row.claimed_at)

    def deliveries(self, *, key_prefix: str = "") -> list[Delivery]:
        """Recorded deliveries whose key starts with ``key_prefix``, oldest first."""
        with self._state.lock:
            rows = [r for r in self._state.deliveries.values() if r.key.startswith(key_prefix)]
        return sorted(rows, key=lambda row: (row.claimed_at, row.key, row.channel))

    def last_sent_delivery(
        self, team: str, kind: str, *, exclude_key: str | None = None
    ) -> Delivery | None:
        """The team's most recently sent delivery of ``kind``, other than ``exclude_key``."""
        with self._state.lock:
            sent = [
                row
                for row in self._state.deliveries.values()
                if (row.team, row.kind) == (team, kind)
                and row.sent_at is not None
                and row.key != (exclude_key or "")
            ]
        return max(sent, key=lambda row: (row.sent_at, row.key), default=None)
