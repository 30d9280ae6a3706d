"""syncd's own records of stored state: what callers hand the store, what a write reports
back, and what a read returns.

Every backend (:mod:`syncd.store.store` on SQL, :mod:`syncd.store.memory`) returns these frozen
records, never its table rows, so a caller can keep one across a store call, share it between
threads and compare it by value. Their attribute names are the columns' names. Datetimes are
tz-aware, in UTC.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

_TIMES = ("window_start", "window_end", "collected_at")


@dataclass(frozen=True)
class MeasurementIn:
    """One KR value for one window, as the sync engine hands it to the store.

    All datetimes are tz-aware; ``(key_result_id, window_start, window_end)`` is the natural key,
    so re-reading a window updates the stored row rather than adding one.
    """

    key_result_id: str
    value: float
    window_start: datetime
    window_end: datetime
    collected_at: datetime
    source: str
    query_fingerprint: str
    run_id: str | None
    note: str | None = None


@dataclass(frozen=True)
class Refusal:
    """An item the store did not write, and why (one line, for people)."""

    item: MeasurementIn
    reason: str


@dataclass(frozen=True)
class WriteResult:
    """How many items of a write were new rows, changed values, or the same value again; and
    the items the store refused, each with its reason (the others were written)."""

    inserted: int
    updated: int
    unchanged: int
    refused: tuple[Refusal, ...] = ()

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.refused + other.refused,
        )


def to_json(items: list[MeasurementIn] | tuple[MeasurementIn, ...] | MeasurementIn) -> str:
    """Items (or one item) as JSON: datetimes in ISO 8601, non-finite values as text
    (``"nan"``, ``"inf"``) so the document stays standard JSON."""
    if isinstance(items, MeasurementIn):
        return json.dumps(_plain(items), default=str)
    return json.dumps([_plain(item) for item in items], default=str)


def from_json(text: str) -> list[MeasurementIn]:
    """The items :func:`to_json` wrote (a single item gives a one-item list)."""
    rows = json.loads(text)
    return [_item(row) for row in (rows if isinstance(rows, list) else [rows])]


def _plain(item: MeasurementIn) -> dict[str, Any]:
    row = dict(item.__dict__)
    for name in _TIMES:
        if isinstance(row[name], datetime):
            row[name] = row[name].isoformat()
    value = row["value"]
    if isinstance(value, float) and not math.isfinite(value):
        row["value"] = str(value)
    return row


def _item(row: dict[str, Any]) -> MeasurementIn:
    for name in _TIMES:
        row[name] = datetime.fromisoformat(row[name])
    if isinstance(row["value"], str):
        with contextlib.suppress(ValueError):  # not a number: the store will say so
            row["value"] = float(row["value"])
    return MeasurementIn(**row)


# -- what the store's protocols take besides measurements ------------------------------------


_MAX_DOUBLINGS = 30  # beyond this every real backoff is at its longest anyway


@dataclass(frozen=True)
class Backoff:
    """When a failed slot may be claimed again: ``first`` after its first failed attempt,
    doubling with each further one, never more than ``longest``."""

    first: timedelta
    longest: timedelta

    def after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        doublings: int = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        return min(self.first * (1 << doublings), self.longest)


@dataclass(frozen=True)
class OutgoingMessage:
    """What a delivery carries: enough to send (or resend) the message on its own."""

    key: str
    kind: str
    team: str
    title: str
    body: str
    html: str | None = None
    data: str | None = None


# -- what reads return -----------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """The current value of one KR for one window; ``revision`` counts its restatements."""

    id: int
    key_result_id: str
    window_start: datetime
    window_end: datetime
    value: float
    collected_at: datetime
    source: str
    query_fingerprint: str
    run_id: str | None
    note: str | None
    revision: int


@dataclass(frozen=True)
class MeasurementRevision:
    """An earlier value of a measurement, kept when a re-read of its window changed it."""

    id: int
    measurement_id: int
    revision: int
    value: float
    collected_at: datetime
    source: str
    query_fingerprint: str
    run_id: str | None
    note: str | None
    superseded_at: datetime


@dataclass(frozen=True)
class CheckIn:
    """A person's check-in of a KR: a value (also stored as a measurement), a confidence
    (``on_track``, ``at_risk``, ``off_track``) and a note; any of them may be absent."""

    id: int
    key_result_id: str
    at: datetime
    recorded_at: datetime
    value: float | None
    confidence: str | None
    note: str | None


@dataclass(frozen=True)
class StoredObjective:
    """An objective as last configured; ``active`` is False once it left the config.
    ``definition`` is its whole config as JSON (KRs included), to evaluate it again later."""

    id: str
    cycle: str
    title: str
    team: str
    level: str
    commitment: str
    parent_id: str | None
    opportunity: str | None
    owner: str | None
    definition: str | None
    active: bool
    updated_at: datetime


@dataclass(frozen=True)
class StoredCycle:
    """A cycle as last configured, kept after it left the config so its review stays
    possible."""

    id: str
    start: date
    end: date
    active: bool
    updated_at: datetime


@dataclass(frozen=True)
class SyncRun:
    """One sync of one source: when, why, how it ended and what it cost upstream.

    ``finished_at``, ``outcome`` and ``duration_seconds`` stay empty while the run is in flight;
    ``owner`` is the process that ran it (``host:pid``).
    """

    id: str
    source: str
    trigger: str
    started_at: datetime
    slot: datetime | None = None
    owner: str | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    error: str | None = None
    duration_seconds: float | None = None
    upstream_calls: int = 0
    retries: int = 0
    requests: int = 0
    measurements: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """A measurement the store refused, set aside: ``item`` is the item as JSON
    (:func:`to_json`), ``attempts`` how often it was refused."""

    id: int
    key: str
    key_result_id: str
    item: str
    reason: str
    first_seen: datetime
    last_seen: datetime
    attempts: int


@dataclass(frozen=True)
class Delivery:
    """One message (an alert or a digest) to one channel, and how its sending went."""

    key: str
    channel: str
    kind: str
    team: str
    title: str
    body: str
    html: str | None
    data: str | None
    owner: str
    claimed_at: datetime
    lease_until: datetime
    attempts: int
    sent_at: datetime | None
    given_up_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class SinkReceipt:
    """What a sink last delivered for one check-in: per ``(sink, kr_id, key)`` the remote id
    the tool gave it (handed back to the next delivery of the same key), the value and the
    window end it carried, and when it was delivered."""

    sink: str
    kr_id: str
    key: str
    remote_id: str | None
    value: float
    window_end: datetime
    delivered_at: datetime


@dataclass(frozen=True)
class ParkedSink:
    """A sink that stopped delivering (its credentials were refused), why, and since when."""

    sink: str
    reason: str
    parked_at: datetime


def record_of(kind: type[R], row: object) -> R:
    """The record ``kind`` holding the same-named attributes of ``row`` (a table row)."""
    return kind(**{field.name: getattr(row, field.name) for field in fields(kind)})


@dataclass(frozen=True)
class SeriesSummary:
    """What progress needs of a KR's measurements within a span, summed by the database.

    ``points`` counts the measurements, ``slots`` their distinct window ends; ``latest_*`` is
    the one with the latest window end (the latest collected on a tie); ``newest_collected`` the
    latest fetch among them. ``sum_*`` are the least-squares sums over ``x`` (days from the
    ``origin`` the summary was read with) and ``y`` (the value).
    """

    key_result_id: str
    points: int
    slots: int
    latest_value: float
    latest_at: datetime
    latest_source: str
    latest_collected: datetime
    newest_collected: datetime
    sum_x: float
    sum_y: float
    sum_xx: float
    sum_xy: float


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """One stored measurement as charts and progress read it (the ``measurements`` row's
    names, without its provenance)."""

    id: int
    key_result_id: str
    window_start: datetime
    window_end: datetime
    value: float
    collected_at: datetime
    source: str
    revision: int


def summarize(
    key_result_id: str, points: Sequence[StoredPoint], origin: datetime
) -> SeriesSummary | None:
    """The :class:`SeriesSummary` of one KR's ``points`` (``x`` in days since ``origin``), as
    the SQL store's grouped query sums it; None without points."""
    if not points:
        return None
    latest = max(points, key=lambda p: (p.window_end, p.collected_at, p.window_start))
    xs = [(p.window_end - origin).total_seconds() / 86400 for p in points]
    ys = [p.value for p in points]
    return SeriesSummary(
        key_result_id=key_result_id,
        points=len(points),
        slots=len({p.window_end for p in points}),
        latest_value=latest.value,
        latest_at=latest.window_end,
        latest_source=latest.source,
        latest_collected=latest.collected_at,
        newest_collected=max(p.collected_at for p in points),
        sum_x=sum(xs),
        sum_y=sum(ys),
        sum_xx=sum(x * x for x in xs),
        sum_xy=sum(x * y for x, y in zip(xs, ys, strict=True)),
    )
