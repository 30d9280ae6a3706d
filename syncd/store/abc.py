"""The store's protocols, in one module: what syncd asks of persisted state, backend aside.

A store is several small concerns, each a :class:`typing.Protocol`:

- :class:`MeasurementStore`: KR definitions, measurements with their revisions, check-ins and
  the measurements set aside as dead letters;
- :class:`RunLog`: the bookkeeping of sync runs;
- :class:`Coordination`: what lets several instances share one store (slot claims with leases,
  job locks);
- :class:`Deliveries`: notification deliveries claimed before they are sent;
- :class:`SinkLedger`: what each sink delivered per check-in (its receipts) and the sinks
  parked because their credentials were refused;
- :class:`Outbox` (defined beside its implementations in :mod:`syncd.store.outbox`): the
  durable events (a recorded measurement, a status or source-health change) every consumer
  gets exactly once; a store hands it out as its ``outbox``, and its writes append to it in
  their own transaction;
- :class:`Lifecycle`: opening, checking and closing the store itself.

:class:`StateStore` is all of them, what :class:`syncd.store.Store` (SQLite, PostgreSQL) and
:class:`syncd.store.memory.MemoryStore` (one process, for tests and dry runs) implement. A
caller asks for the narrowest protocol it needs; :class:`SyncStore` is what a sync pass needs,
which the daemon's spooling wrapper also provides.

Every read returns syncd's own frozen records (:mod:`syncd.store.records`), never a backend's
rows. Datetimes handed in must be tz-aware (a naive one raises
:class:`~syncd.errors.StoreError`); datetimes read back are tz-aware, in UTC. A failure of the
store itself (unreachable, full, locked, not migrated) raises ``StoreError``; an item the store
will not take is a refusal, reported and never raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from syncd.config.models import Config
from syncd.store.outbox import Outbox
from syncd.store.records import (
    Backoff,
    CheckIn,
    DeadLetter,
    Delivery,
    Measurement,
    MeasurementIn,
    MeasurementRevision,
    OutgoingMessage,
    ParkedSink,
    Refusal,
    SeriesSummary,
    SinkReceipt,
    StoredCycle,
    StoredObjective,
    StoredPoint,
    SyncRun,
    WriteResult,
)


class MeasurementStore(Protocol):
    """KR definitions, measurements with their revisions, check-ins and dead letters.

    A measurement's natural key is ``(key_result_id, window_start, window_end)`` (the instants,
    whatever their zone): writing a stored window again updates it, never adds a second one.
    """

    def sync_definitions(self, config: Config) -> None:
        """Mirror the configured cycles, objectives and KRs: upsert them (``updated_at`` moves
        only when something changed) and mark those no longer configured inactive, never
        deleting them, so their measurements keep their meaning.

        :raises StoreError: when an objective or KR id appears twice in ``config``
        """

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Write every storable item of ``items`` at once, upserting on the natural key.

        A new window is inserted as revision 1; a different value for a stored window keeps
        the old value as a :class:`MeasurementRevision` and bumps ``revision`` (the new
        source, fingerprint and note replace the old ones); the same value only refreshes
        ``collected_at`` and ``run_id``. Storing a window resolves its dead letter.

        :return: the counts, and in ``refused`` every item the store cannot take (not a finite
            number, a naive datetime, a reversed window, a text too long, an unknown key
            result), each with its reason: plain checks first in the batch's order, then
            unknown key results in natural-key order. The other items are written.
        :raises StoreError: when the store itself fails; then nothing is written
        """
        ...

    def set_aside(self, refusals: Sequence[Refusal]) -> None:
        """Keep refused items as dead letters, one per natural key: a refusal seen again
        counts an attempt and keeps the latest item and reason."""

    def dead_letters(self, *, limit: int | None = None) -> list[DeadLetter]:
        """The items set aside, most recently refused first."""
        ...

    def dead_letter_count(self) -> int:
        """How many items are set aside."""
        ...

    def measurements(
        self, key_result_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Measurement]:
        """A KR's measurements with ``since <= window_end <= until`` (bounds optional), by
        window end (then window start)."""
        ...

    def histories(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Measurement]]:
        """:meth:`measurements` of many KRs at once; a KR without any in the range is
        absent."""
        ...

    def summaries(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        origin: datetime,
    ) -> dict[str, SeriesSummary]:
        """Per KR with measurements whose ``since <= window_end <= until``, what progress needs
        of them summed (count, distinct slots, the latest, least-squares sums over days since
        ``origin``; see :class:`~syncd.store.records.SeriesSummary`), never the rows: the
        status of thousands of KRs in a few set-based reads. A KR without any is absent."""
        ...

    def points(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[StoredPoint]]:
        """:meth:`histories` as light records (what charts and progress read), by window end;
        a KR without measurements in the range is absent."""
        ...

    def latest(self, key_result_ids: Sequence[str] | None = None) -> dict[str, Measurement]:
        """Per KR (all, or the given ones), the measurement with the latest window end; on a
        tie the latest collected, then the latest stored."""
        ...

    def revisions(self, measurement_id: int) -> list[MeasurementRevision]:
        """The superseded values of a measurement, oldest first."""
        ...

    def revisions_of(self, key_result_id: str) -> dict[int, list[MeasurementRevision]]:
        """The superseded values of each of a KR's measurements, by measurement id."""
        ...

    def stored_objectives(self) -> list[StoredObjective]:
        """Every objective stored with its definition, retired ones included, by id."""
        ...

    def stored_cycles(self) -> list[StoredCycle]:
        """Every cycle the store knows, retired ones included, by start."""
        ...

    def record_checkin(
        self,
        key_result_id: str,
        *,
        at: datetime,
        confidence: str | None,
        note: str | None,
        measurement: MeasurementIn | None = None,
    ) -> CheckIn:
        """Store a check-in and, when it brings a value, its measurement, at once. The same
        check-in again (KR, moment, value, confidence and note) is the one stored before.

        :raises StoreError: when the store refuses the measurement (nothing is kept) or the
            key result is unknown
        """
        ...

    def checkins(self, key_result_id: str) -> list[CheckIn]:
        """A KR's check-ins, oldest first."""
        ...

    def latest_checkins(
        self, key_result_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> dict[str, CheckIn]:
        """Per KR (all, or the given ones), the check-in with the latest ``at`` up to
        ``until``; on a tie the latest recorded."""
        ...


class RunLog(Protocol):
    """The bookkeeping of sync runs: one per source and pass, opened, then closed.

    A run names its ``owner``, the process that runs it. A process that dies mid-run leaves its
    run open; :meth:`close_interrupted_runs` closes it as ``interrupted`` once its death is
    certain (a process of this host that is gone) or overdue (another host's run open longer
    than :attr:`run_lease`), by the rules of :mod:`syncd.store.liveness`.
    """

    owner: str
    """This process as the owner of the runs it records (default ``host:pid``)."""

    run_lease: timedelta
    """How long another host's open run may stay open before it counts as interrupted."""

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Record that a sync of ``source`` started now, for ``trigger`` (``schedule``,
        ``manual``, ``backfill``, …) and schedule ``slot``.

        The first run a store object records closes dead processes' runs first.

        :return: the run id (a uuid4 in hex)
        """
        ...

    def finish_run(
        self,
        run_id: str,
        *,
        outcome: str,
        error: str | None,
        upstream_calls: int,
        retries: int,
        requests: int,
        measurements: int,
        duration: float | None = None,
    ) -> None:
        """Close a run with its outcome and counters. ``duration`` is the source's own time
        (several sources share a pass); without it, the time since the run started. A run
        closed as interrupted while its process still lived gets its real outcome.

        :raises StoreError: when there is no such run, or it is finished already
        """

    def close_interrupted_runs(self) -> list[SyncRun]:
        """Close the open runs whose process is dead as ``interrupted``.

        :return: the runs it closed
        """
        ...

    def runs(self, *, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        """The most recent runs, optionally of one source, newest first."""
        ...


class Coordination(Protocol):
    """What lets several instances share one store without doing a job's slot twice.

    **Claims.** Before running a job's slot an instance claims ``(job, slot)`` for itself (its
    ``owner``) with a lease. The first claim wins. An unfinished claim is taken over by another
    owner only once its lease has run out: its instance is presumed dead, and whatever it still
    writes afterwards is harmless because measurements upsert on their natural key, and its
    :meth:`finish_slot` is refused. A finished claim is never run again, unless it ``failed``
    with a retry policy: then anyone may claim it again from its retry time on, each attempt
    counted and waiting longer (:class:`~syncd.store.records.Backoff`). A ``partial`` slot
    measured something and stays done.

    **Locks.** :meth:`job_lock` keeps two instances from running the same job at once (a slot
    claim alone does not stop a catch-up and a scheduled slot of one job from overlapping). A
    lock is held only while its block runs and is released if the holder dies (PostgreSQL: an
    advisory lock of the connection; in memory: a lock of the process). It spans what the
    backend spans: every instance on a PostgreSQL store, one process in memory; a SQLite store
    is single-instance (its lock file guards it), so there it is always granted.
    """

    def claim_slot(self, job: str, slot: datetime, owner: str, lease: timedelta) -> bool:
        """Claim ``job``'s ``slot`` for ``owner`` until now + ``lease``.

        :return: True when ``owner`` now holds it: a new claim, an unfinished claim whose
            lease ran out, or a failed one whose retry time has come; False when another live
            claim holds it or it is done
        """
        ...

    def finish_slot(
        self,
        job: str,
        slot: datetime,
        owner: str,
        outcome: str,
        *,
        retry: Backoff | None = None,
    ) -> bool:
        """Mark a held slot done with ``outcome``. A ``failed`` slot with a ``retry`` policy is
        due again after :meth:`Backoff.after` its attempts; without one it stays done.

        :return: False when ``owner`` no longer holds it (it was taken over)
        """
        ...

    def due_slots(
        self, job: str, candidates: Sequence[datetime], *, now_slot: datetime
    ) -> list[datetime]:
        """Of ``candidates`` (oldest first), the slots still to run: those from the job's
        first claim in this store on that are not finished, or whose failed claim's retry time
        has come. A job never claimed has only ``now_slot`` due (no catch-up of the time
        before syncd knew it). A slot whose instance died mid-run stays due."""
        ...

    def slot_attempts(self, job: str) -> dict[datetime, tuple[int, str | None]]:
        """Each claimed slot of ``job`` (in UTC): how often it was run, and its last outcome
        (``None`` while a run holds it)."""
        ...

    def next_claim_change(self, now: datetime) -> datetime | None:
        """The earliest moment after ``now`` at which a claim makes a slot due without anyone
        acting: an unfinished claim's lease running out, or a failed claim's retry time; None
        when no claim waits for either."""
        ...

    def job_lock(self, job: str, *, wait: float = 0.0) -> AbstractContextManager[bool]:
        """Hold the lock on ``job`` while the ``with`` block runs, trying for up to ``wait``
        seconds.

        :return: a context manager yielding whether the lock was acquired (False: another
            holder runs the job; the block should skip it). Not reentrant.
        """
        ...


class Deliveries(Protocol):
    """Notifications (alerts, digests) claimed per ``(key, channel)`` before they are sent, so
    two instances or a restart never send one twice (what they report comes from the outbox's
    events, :mod:`syncd.store.outbox`).

    A delivery claim has a lease, like a slot claim: one neither sent nor given up whose lease
    ran out (its instance died, or its channel failed and its retry time came) is taken over
    by whoever asks first, and the loser of a takeover can no longer settle it.
    """

    def claim_delivery(
        self,
        message: OutgoingMessage,
        channel: str,
        *,
        owner: str,
        lease: timedelta,
        now: datetime,
    ) -> int | None:
        """Claim sending ``message`` to ``channel``.

        :return: the attempt number now held (1 for a new claim), or ``None`` when it is sent,
            given up, or held by another live claim
        """
        ...

    def take_over_delivery(
        self, key: str, channel: str, *, owner: str, lease: timedelta, now: datetime
    ) -> int | None:
        """Take over an unfinished delivery whose lease ran out; its new attempt number, or
        ``None``."""
        ...

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
        """Record how an attempt ended: sent, given up, or failed and due again at
        ``retry_at`` (default: now).

        :return: False when ``owner`` had lost the claim
        """
        ...

    def due_deliveries(self, *, now: datetime) -> list[Delivery]:
        """Deliveries neither sent nor given up whose lease ran out, oldest claim first."""
        ...

    def deliveries(self, *, key_prefix: str = "") -> list[Delivery]:
        """Deliveries whose key starts with ``key_prefix``, oldest claim first."""
        ...

    def last_sent_delivery(
        self, team: str, kind: str, *, exclude_key: str | None = None
    ) -> Delivery | None:
        """The team's most recently sent delivery of ``kind`` other than ``exclude_key``."""
        ...


class SinkLedger(Protocol):
    """What the sinks (:mod:`syncd.sinks`) keep: per ``(sink, kr_id, key)`` the receipt of
    the last value delivered for that check-in (its remote id is handed back to the next
    delivery of the key, so the tool updates the check-in rather than adding one), and the
    sinks parked because the tool refused their credentials (their events wait)."""

    def sink_receipt(self, sink: str, kr_id: str, key: str) -> SinkReceipt | None:
        """The receipt kept for ``(sink, kr_id, key)``, or None."""
        ...

    def keep_sink_receipt(self, receipt: SinkReceipt) -> None:
        """Keep ``receipt`` as the one of its ``(sink, kr_id, key)``, replacing any before."""

    def sink_receipts(self, sink: str, *, kr_id: str | None = None) -> list[SinkReceipt]:
        """The receipts of ``sink`` (of one KR, or all), by KR then key."""
        ...

    def park_sink(self, sink: str, reason: str, *, now: datetime) -> None:
        """Park ``sink`` for ``reason`` (one line, no secret); parking it again keeps the
        first moment and the newest reason."""

    def unpark_sink(self, sink: str) -> bool:
        """Unpark ``sink``; whether it was parked."""
        ...

    def parked_sinks(self) -> list[ParkedSink]:
        """Every parked sink, by name."""
        ...


class Lifecycle(Protocol):
    """The store itself: where it is, whether it works, and closing it."""

    @property
    def url(self) -> str:
        """The store URL with its password hidden."""
        ...

    @property
    def dialect(self) -> str:
        """The backend: ``sqlite``, ``postgresql`` or ``memory``."""
        ...

    def is_current(self) -> bool:
        """Whether the store's schema is the newest this code knows."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers."""

    def check_writable(self) -> None:
        """Raise ``StoreError`` unless the store takes a write right now; nothing is kept."""

    def close(self) -> None:
        """Release the store's connections; what it stored stays."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class StateStore(
    MeasurementStore, RunLog, Coordination, Deliveries, SinkLedger, Lifecycle, Protocol
):
    """Every concern of the store at once: what a backend implements."""

    @property
    def outbox(self) -> Outbox:
        """The store's outbox: :meth:`MeasurementStore.record_measurements` appends a
        ``MeasurementRecorded`` per inserted or changed window and :meth:`RunLog.finish_run`
        a ``SourceHealthChanged`` when a source's health turns, each in its own write."""
        ...


class SyncStore(Protocol):
    """What a sync pass needs of a store: a :class:`StateStore`, or the daemon's spooling
    wrapper that keeps measurements while the store is unreachable."""

    def sync_definitions(self, config: Config) -> None:
        """Record the configured objectives and KRs (measurements reference them)."""

    def measurements(
        self, key_result_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Sequence[Measurement]:
        """A KR's measurements with ``since <= window_end <= until``, by window end."""
        ...

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Open a run record; returns its id."""
        ...

    def finish_run(
        self,
        run_id: str,
        *,
        outcome: str,
        error: str | None,
        upstream_calls: int,
        retries: int,
        requests: int,
        measurements: int,
        duration: float | None = None,
    ) -> None:
        """Close a run record with its outcome, counters and the source's own duration."""

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Upsert measurements on their natural key; items the store refuses come back in
        ``refused`` (the others are written), a store failure raises ``StoreError``."""
        ...
