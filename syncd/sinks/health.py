"""How each configured sink is doing, from the store: parked (and why), the values it could
not deliver (events the outbox parked after their last attempt) and its receipts.
``syncd status``, its JSON and the dashboard's health strip show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from syncd.config.models import Config
from syncd.sinks.consumer import consumer_name
from syncd.store.outbox import Outbox
from syncd.store.records import ParkedSink, SinkReceipt


class SinkHealthStore(Protocol):
    """What reading sink health needs of a store."""

    @property
    def outbox(self) -> Outbox: ...

    def parked_sinks(self) -> list[ParkedSink]: ...

    def sink_receipts(self, sink: str, *, kr_id: str | None = None) -> list[SinkReceipt]: ...


@dataclass(frozen=True)
class SinkHealth:
    """One configured sink: ``parked_reason``/``parked_at`` while parked; ``undelivered`` how
    many values the outbox gave up on (``last_error`` the newest's error); ``delivered`` how
    many check-ins hold a receipt, ``last_delivered_at`` the newest."""

    name: str
    type: str
    parked_reason: str | None
    parked_at: datetime | None
    undelivered: int
    last_error: str | None
    delivered: int
    last_delivered_at: datetime | None

    @property
    def parked(self) -> bool:
        return self.parked_reason is not None

    @property
    def failing(self) -> bool:
        return self.parked or self.undelivered > 0


def sink_health(config: Config, store: SinkHealthStore) -> list[SinkHealth]:
    """Every configured sink's health, in config order."""
    parked = {p.sink: p for p in store.parked_sinks()}
    found = []
    for name, settings in config.sinks.items():
        given_up = store.outbox.parked(consumer_name(name))
        receipts = store.sink_receipts(name)
        park = parked.get(name)
        found.append(
            SinkHealth(
                name=name,
                type=settings.type,
                parked_reason=park.reason if park else None,
                parked_at=park.parked_at if park else None,
                undelivered=len(given_up),
                last_error=given_up[-1].error if given_up else None,
                delivered=len(receipts),
                last_delivered_at=max((r.delivered_at for r in receipts), default=None),
            )
        )
    return found


def sink_document(health: SinkHealth) -> dict[str, Any]:
    """A sink's health in JSON shapes (``syncd status --format json``, ``/api/v1/sources``)."""
    return {
        "name": health.name,
        "type": health.type,
        "parked": health.parked,
        "parked_reason": health.parked_reason,
        "parked_at": health.parked_at.isoformat() if health.parked_at else None,
        "undelivered": health.undelivered,
        "last_error": health.last_error,
        "delivered": health.delivered,
        "last_delivered_at": (
            health.last_delivered_at.isoformat() if health.last_delivered_at else None
        ),
    }


def sink_lines(healths: list[SinkHealth], tz: Any) -> list[str]:
    """``syncd status``'s lines about the sinks that need attention (none when all is well)."""
    lines = []
    for h in healths:
        if h.parked_at is not None:
            since = h.parked_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            lines.append(f"sink {h.name} ({h.type}) parked since {since}: {h.parked_reason}")
            lines.append(
                f"    its values wait; fix the credentials in sinks.{h.name}, then "
                "`syncd check-sinks` (or reload)"
            )
        if h.undelivered:
            lines.append(
                f"sink {h.name}: {h.undelivered} value(s) not delivered after retries: "
                f"{h.last_error}"
            )
            lines.append(f"    `syncd push --since DATE --sink {h.name}` sends them again")
    return lines
