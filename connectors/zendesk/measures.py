"""Pure computations on what Zendesk returned: no I/O, no clock."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.zendesk.config import Where
from syncd.abc import Window


def zendesk_time(moment: datetime) -> str:
    """An instant as Zendesk writes it: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def with_ticket_type(search: str | None) -> str:
    """A search limited to tickets (Zendesk searches users and organizations too)."""
    text = (search or "").strip()
    return text if "type:ticket" in text.split() else f"type:ticket {text}".strip()


def in_window(search: str | None, by: str, window: Window) -> str:
    """``search`` restricted to ``by`` in ``[start, end)``."""
    return (
        f"{with_ticket_type(search)} {by}>={zendesk_time(window.start)} "
        f"{by}<{zendesk_time(window.end)}"
    )


def summarize(values: Sequence[float], stat: str) -> float:
    """``median``, ``mean`` or ``pNN`` (linear interpolation between closest ranks)."""
    if stat == "median":
        return float(statistics.median(values))
    if stat == "mean":
        return statistics.fmean(values)
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[int(stat[1:]) - 1]


@dataclass(frozen=True)
class ExportedTicket:
    """What the time and per-tag measures need of one exported ticket and its metrics."""

    created_at: datetime
    solved_at: datetime | None
    tags: frozenset[str]
    status: str | None
    group_id: int | None
    brand_id: int | None
    priority: str | None
    reply_minutes: dict[str, int | None]
    resolution_minutes: dict[str, int | None]

    @classmethod
    def from_json(cls, ticket: dict[str, Any], metric: dict[str, Any] | None) -> ExportedTicket:
        metric = metric or {}
        created = parse_time(ticket["created_at"])
        assert created is not None
        return cls(
            created_at=created,
            solved_at=parse_time(metric.get("solved_at")),
            tags=frozenset(ticket.get("tags") or ()),
            status=ticket.get("status"),
            group_id=ticket.get("group_id"),
            brand_id=ticket.get("brand_id"),
            priority=ticket.get("priority"),
            reply_minutes=metric.get("reply_time_in_minutes") or {},
            resolution_minutes=metric.get("full_resolution_time_in_minutes") or {},
        )

    def matches(self, where: Where) -> bool:
        return (
            set(where.tags) <= self.tags
            and (where.group_id is None or self.group_id == where.group_id)
            and (where.brand_id is None or self.brand_id == where.brand_id)
            and (where.priority is None or self.priority == where.priority)
        )


def created_in(tickets: Iterable[ExportedTicket], window: Window) -> list[ExportedTicket]:
    return [t for t in tickets if window.start <= t.created_at < window.end]


def solved_in(tickets: Iterable[ExportedTicket], window: Window) -> list[ExportedTicket]:
    return [
        t for t in tickets if t.solved_at is not None and window.start <= t.solved_at < window.end
    ]


def tags_searched(search: str | None) -> frozenset[str] | None:
    """The tags a search asks for when it is only ``type:ticket`` and ``tags:``/``tag:``
    terms (any of the tags, as Zendesk reads repeated terms; none: every ticket); None for
    any other search, which only Zendesk can evaluate."""
    tags: set[str] = set()
    for word in (search or "").split():
        field, colon, value = word.partition(":")
        if not colon or not value or any(c in value for c in "\"'*<>:"):
            return None
        if field == "type" and value == "ticket":
            continue
        if field not in ("tags", "tag"):
            return None
        tags.add(value.lower())
    return frozenset(tags)


def searched(tickets: Iterable[ExportedTicket], tags: frozenset[str]) -> list[ExportedTicket]:
    """The tickets a tags-only search finds: not deleted, with any of ``tags``."""
    return [t for t in tickets if t.status != "deleted" and (not tags or t.tags & tags)]
