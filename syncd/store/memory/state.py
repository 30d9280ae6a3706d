"""What every part of the in-memory store shares: the state one named store holds, its lock,
and the store's lifecycle (open, drop, close)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy.engine import make_url

from syncd.errors import StoreError
from syncd.store.failures import store_error
from syncd.store.liveness import instance_id
from syncd.store.outbox import MemoryOutbox
from syncd.store.records import (
    CheckIn,
    DeadLetter,
    Delivery,
    Measurement,
    MeasurementRevision,
    ParkedSink,
    SinkReceipt,
    SyncRun,
)

SCHEME = "memory://"
NAIVE = "a datetime without a time zone was given; the store only takes tz-aware ones"

NaturalKey = tuple[str, datetime, datetime]


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC, as every backend stores it."""
    return moment.astimezone(UTC)


@dataclass
class Claim:
    """Who holds a job's slot, until when, and how its runs went (see
    :class:`~syncd.store.abc.Coordination`)."""

    owner: str
    claimed_at: datetime
    lease_until: datetime
    finished_at: datetime | None = None
    outcome: str | None = None
    attempts: int = 1
    retry_at: datetime | None = None


@dataclass
class State:
    """Everything one in-memory store holds; guarded by ``lock``."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    cycles: dict[str, dict[str, Any]] = field(default_factory=dict)
    objectives: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    measurements: dict[NaturalKey, Measurement] = field(default_factory=dict)
    revisions: dict[int, list[MeasurementRevision]] = field(default_factory=dict)
    checkins: list[CheckIn] = field(default_factory=list)
    dead_letters: dict[str, DeadLetter] = field(default_factory=dict)
    runs: dict[str, SyncRun] = field(default_factory=dict)
    claims: dict[tuple[str, datetime], Claim] = field(default_factory=dict)
    job_locks: dict[str, threading.Lock] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], Delivery] = field(default_factory=dict)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    sink_receipts: dict[tuple[str, str, str], SinkReceipt] = field(default_factory=dict)
    parked_sinks: dict[str, ParkedSink] = field(default_factory=dict)


class MemoryBase:
    """An in-memory store: its state (shared by name), its owner and its lifecycle."""

    _shared: ClassVar[dict[str, State]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str = "", *, owner: str | None = None) -> None:
        self._name = name
        self._state = self._state_named(name)
        self.owner = owner or instance_id()

    @classmethod
    def open(cls, url: str = SCHEME, *, upgrade: bool = True, owner: str | None = None) -> Self:
        """The store at ``url`` (``memory://`` or ``memory://<name>``); ``upgrade`` is moot."""
        if not url.startswith(SCHEME):
            raise StoreError(f"{url!r} is no in-memory store URL\n    hint: use memory://<name>")
        return cls(url.removeprefix(SCHEME), owner=owner)

    @classmethod
    def drop(cls, url: str) -> None:
        """Forget the named store at ``url``; stores opened on it keep what they hold."""
        with cls._shared_lock:
            cls._shared.pop(url.removeprefix(SCHEME), None)

    @classmethod
    def _state_named(cls, name: str) -> State:
        if not name:
            return State()
        with cls._shared_lock:
            return cls._shared.setdefault(name, State())

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``memory://`` and the store's name."""
        return SCHEME + self._name

    @property
    def dialect(self) -> str:
        """``memory``."""
        return "memory"

    @property
    def outbox(self) -> MemoryOutbox:
        """The store's outbox of events for consumers (see :mod:`syncd.store.outbox`)."""
        return self._state.outbox

    def is_current(self) -> bool:
        """Always: an in-memory store has no schema to migrate."""
        return True

    def ping(self) -> None:
        """An in-memory store always answers."""

    def check_writable(self) -> None:
        """An in-memory store always takes writes."""

    def close(self) -> None:
        """Nothing to release; a named store keeps its content for the next ``open``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _error(self, action: str, reason: str, hint: str | None = None) -> StoreError:
        return store_error(make_url(self.url), action, reason, hint)

    def _aware(self, action: str, *moments: datetime | None) -> None:
        if any(moment is not None and moment.utcoffset() is None for moment in moments):
            raise self._error(action, NAIVE, "pass timezone-aware datetimes")
