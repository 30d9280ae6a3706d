"""A key result's value history as Jira Align returns it, and what one delivery does to it.

Jira Align keeps a key result's values as a list of value updates (``valueUpdates``), so a
delivery reads the list first and decides (:func:`plan`): nothing when the day's latest update
already holds the value, an in-place ``replace`` of that update when it holds another value,
an ``add`` when the day has none (or when a ``replace`` was tried and changed nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from connectors.jiraalign import wire
from syncd.http import Json


@dataclass(frozen=True)
class ValueUpdate:
    """One entry of ``valueUpdates``: its 0-based ``index`` in the list (JSON Patch paths
    address it by that), the id Jira Align gave it, its day and its value."""

    index: int
    id: str | None
    day: date
    value: float


@dataclass(frozen=True)
class Skip:
    """The day's latest update already holds the value."""

    update: ValueUpdate


@dataclass(frozen=True)
class Replace:
    """The day's latest update holds another value: edit it in place."""

    update: ValueUpdate


@dataclass(frozen=True)
class Add:
    """Append a value update for the day."""


Action = Skip | Replace | Add


def same_value(a: float, b: float) -> bool:
    """Whether the tool's number and ours are the same value (JSON round trips aside)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def value_updates(record: Json) -> list[ValueUpdate]:
    """The value updates of a key result record, in list order; an entry without a readable
    day or number (a hand-made one, say) is left out, never guessed at."""
    raw = record.get(wire.VALUE_UPDATES) if isinstance(record, dict) else None
    updates: list[ValueUpdate] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            continue
        value, when = item.get(wire.UPDATE_VALUE), item.get(wire.UPDATE_DATE)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not isinstance(when, str)
        ):
            continue
        try:
            day = wire.day_of(when)
        except ValueError:
            continue
        given = item.get(wire.UPDATE_ID)
        updates.append(ValueUpdate(index, None if given is None else str(given), day, float(value)))
    return updates


def latest_on(updates: list[ValueUpdate], day: date) -> ValueUpdate | None:
    """The last update of ``day`` in list order (the one Jira Align shows for the day)."""
    on_day = [update for update in updates if update.day == day]
    return on_day[-1] if on_day else None


def latest(updates: list[ValueUpdate]) -> ValueUpdate | None:
    """The update of the latest day (the last of that day in list order)."""
    return max(updates, key=lambda update: (update.day, update.index), default=None)


def plan(updates: list[ValueUpdate], day: date, value: float, *, replace: bool = True) -> Action:
    """What a delivery of ``value`` for ``day`` does; ``replace`` False once an in-place edit
    was found not to take (the update is then added)."""
    current = latest_on(updates, day)
    if current is not None and same_value(current.value, value):
        return Skip(current)
    if current is not None and replace:
        return Replace(current)
    return Add()
