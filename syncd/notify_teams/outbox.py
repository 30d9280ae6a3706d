"""Exactly-once delivery: claim ``(message key, channel)`` in the store, then send.

The claim is recorded before anything is sent, so a second instance or a restarted one finds it
and sends nothing. An instance that dies after claiming leaves the claim unsent; once its lease
runs out any instance takes it over and sends it from the stored copy (:func:`retry_due`). A
channel that refuses is retried the same way, up to ``notifications.attempts`` times.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime

import structlog
from apprise import NotifyType

from syncd.config.models import Notifications
from syncd.notify_teams.channels import send
from syncd.schedule import parse_duration
from syncd.store import Store
from syncd.store.notifications import OutgoingMessage

log = structlog.get_logger("syncd.notify_teams")

OWNER = f"{socket.gethostname()}:{os.getpid()}"


def deliver_message(
    store: Store,
    notifications: Notifications,
    message: OutgoingMessage,
    channels: Sequence[str],
    *,
    now: datetime,
    owner: str = OWNER,
    notify_type: NotifyType = NotifyType.INFO,
) -> int:
    """Send ``message`` to each of ``channels`` not claimed yet; how many sends succeeded."""
    lease = parse_duration(notifications.lease)
    sent = 0
    for channel in channels:
        attempt = store.claim_delivery(message, channel, owner=owner, lease=lease, now=now)
        if attempt is not None:
            sent += _attempt(
                store, notifications, message, channel, attempt, now, owner, notify_type
            )
    return sent


def retry_due(
    store: Store, notifications: Notifications, *, now: datetime, owner: str = OWNER
) -> int:
    """Resend the deliveries whose claim ran out unsent (a dead instance, a refused send)."""
    lease = parse_duration(notifications.lease)
    sent = 0
    for row in store.due_deliveries(now=now):
        if row.channel not in notifications.channels:
            store.settle_delivery(
                row.key,
                row.channel,
                owner=row.owner,
                now=now,
                sent=False,
                give_up=True,
                error="the channel is no longer configured",
            )
            continue
        attempt = store.take_over_delivery(row.key, row.channel, owner=owner, lease=lease, now=now)
        if attempt is None:
            continue
        message = OutgoingMessage(
            key=row.key,
            kind=row.kind,
            team=row.team,
            title=row.title,
            body=row.body,
            html=row.html,
            data=row.data,
        )
        sent += _attempt(store, notifications, message, row.channel, attempt, now, owner)
    return sent


def _attempt(
    store: Store,
    notifications: Notifications,
    message: OutgoingMessage,
    channel: str,
    attempt: int,
    now: datetime,
    owner: str,
    notify_type: NotifyType = NotifyType.INFO,
) -> int:
    url = notifications.channels[channel].url.get_secret_value()
    error = send(
        url, title=message.title, body=message.body, html=message.html, notify_type=notify_type
    )
    give_up = error is not None and attempt >= notifications.attempts
    # A refused send waits one lease before the next attempt, whoever makes it.
    retry_at = now + parse_duration(notifications.lease)
    store.settle_delivery(
        message.key,
        channel,
        owner=owner,
        now=now,
        sent=error is None,
        give_up=give_up,
        retry_at=retry_at,
        error=error,
    )
    if error is None:
        log.info("notification sent", key=message.key, channel=channel, attempt=attempt)
        return 1
    log.warning(
        "notification failed",
        key=message.key,
        channel=channel,
        attempt=attempt,
        given_up=give_up,
        error=error,
    )
    return 0
