"""A sheet of KR rows, as the ``sheets`` and ``excel`` sinks keep it: one row per KR.

From the key column on, each row holds (the header row names them, default row 1)::

    key | value | date | status | note | updated

``key`` is the KR's ``row_key`` (its mapping under ``push.<sink>``), ``value`` the latest
value, ``date`` the day it is for (ISO ``YYYY-MM-DD``; a date typed by hand is read too),
``status`` syncd's status of the KR, ``note`` where the value came from, ``updated`` when
syncd measured it (ISO, UTC). A delivery updates the KR's row, appends it once when the key
is new, and writes nothing when the row already holds the value for the day, or a later day
(re-sending history never rolls a row back).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pydantic import Field, field_validator

from connectors.spreadsheet.cells import Cell
from syncd.abc import Delivery, TargetModel
from syncd.errors import QueryError

HEADERS = ("key", "value", "date", "status", "note", "updated")
"""The columns of a KR row, from the key column on."""
WIDTH = len(HEADERS)


class RowTarget(TargetModel):
    """Where one KR's values go in a sheet: the row whose key column holds ``row_key``."""

    row_key: str = Field(min_length=1, description="the KR's key in the sheet's key column")
    sheet: str | None = Field(None, description="another sheet (tab) than the sink's")

    @field_validator("row_key")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("row_key is blank")
        return value


@dataclass(frozen=True)
class KrRow:
    """A KR's row as found: its row number in the sheet and what it holds now (None where a
    cell is empty or not a number / a date)."""

    number: int
    value: float | None
    day: date | None


class Action(StrEnum):
    """What a delivery does to the sheet."""

    APPEND = "append"  # the key is new: add its row
    UPDATE = "update"  # write the row
    SAME = "same"  # the row holds this value for this day: nothing to write
    NEWER = "newer"  # the row holds a later day: keep it


def key_text(cell: Cell) -> str:
    """A key cell as text (a number typed as a key reads as its digits)."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def number_of(cell: Cell) -> float | None:
    """A value cell's number, None when it holds none."""
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return None
    return float(cell) if math.isfinite(cell) else None


def day_of_cell(cell: Cell, *, epoch: date) -> date | None:
    """A date cell's day: ISO text as syncd writes it, a date, or a serial number (a date
    typed by hand); None otherwise."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        try:
            return date.fromisoformat(cell.strip()[:10])
        except ValueError:
            return None
    number = number_of(cell)
    if number is None:
        return None
    try:
        return epoch + timedelta(days=math.floor(number))
    except OverflowError:
        return None


def find_row(
    rows: Sequence[Sequence[Cell]],
    *,
    first_row: int,
    key: str,
    epoch: date,
    where: str,
    source: str,
) -> KrRow | None:
    """The row of ``key`` among ``rows`` (the sheet's rows from ``first_row`` down, each from
    the key column on); a :class:`QueryError` when the key is in more than one row."""
    numbers = [
        first_row + index for index, row in enumerate(rows) if row and key_text(row[0]) == key
    ]
    if not numbers:
        return None
    if len(numbers) > 1:
        listed = ", ".join(str(number) for number in numbers)
        raise QueryError(
            f"{source}: the key {key!r} is in rows {listed} of {where}; delete all but one so "
            "syncd knows which row is the KR's",
            source=source,
        )
    row = list(rows[numbers[0] - first_row]) + [None] * WIDTH
    return KrRow(numbers[0], number_of(row[1]), day_of_cell(row[2], epoch=epoch))


def plan(found: KrRow | None, delivery: Delivery[RowTarget]) -> Action:
    """What to write for ``delivery`` given the KR's row as found."""
    if found is None:
        return Action.APPEND
    if found.day is not None and found.day > delivery.day:
        return Action.NEWER
    if found.day == delivery.day and found.value == delivery.value:
        return Action.SAME
    return Action.UPDATE


def unchanged_detail(action: Action, found: KrRow, where: str) -> str:
    """What a delivery that writes nothing found, in words."""
    if action is Action.NEWER:
        return f"row {found.number} of {where} holds a later day ({found.day}); kept"
    return f"row {found.number} of {where} already holds {found.value:g} for {found.day}"


@dataclass(frozen=True)
class RowValues:
    """What a delivery writes in its row, before a sink encodes the cells its own way."""

    key: str
    value: float
    day: date
    status: str
    note: str
    updated: str

    @classmethod
    def of(cls, delivery: Delivery[RowTarget]) -> RowValues:
        measured = delivery.measured_at.astimezone(UTC).replace(microsecond=0)
        return cls(
            key=delivery.target.row_key,
            value=delivery.value,
            day=delivery.day,
            status=delivery.status or "",
            note=delivery.note,
            updated=measured.isoformat().replace("+00:00", "Z"),
        )
