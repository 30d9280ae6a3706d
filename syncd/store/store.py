"""``Store``: the one object the rest of syncd talks to about persisted state."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from syncd.config.models import Config
from syncd.store import (
    checkins,
    claims,
    deadletters,
    definitions,
    migrate,
    notifications,
    reads,
    runs,
    writes,
)
from syncd.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, parse_url, writing
from syncd.store.failures import guarded, safe_url, store_error
from syncd.store.notifications import OutgoingMessage
from syncd.store.records import MeasurementIn, Refusal, WriteResult
from syncd.store.tables import (
    CheckIn,
    CycleRecord,
    DeadLetter,
    Measurement,
    MeasurementRevision,
    NotificationDelivery,
    ObjectiveRecord,
    SyncRun,
)

WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")
WRITE_CHECK_WAIT_MS = 100


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


def utcnow() -> datetime:
    """The current instant, tz-aware in UTC."""
    return datetime.now(UTC)


class Store:
    """The measurement store on SQLite or PostgreSQL.

    Open it with :meth:`open`. Every failure surfaces as :class:`~syncd.errors.StoreError`
    naming the store URL (password hidden) and a hint. Returned rows are detached snapshots.
    """

    run_lease = timedelta(minutes=10)
    """How long another host's open run may stay open before it counts as interrupted (the
    daemon sets its ``daemon.lease``)."""

    def __init__(self, engine: Engine, url: URL, *, owner: str | None = None) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self._url = url
        self._synced: object = None  # the definitions last mirrored, to skip an identical sync
        self.owner = owner or runs.instance_id()
        self._interrupted_closed = False

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True, owner: str | None = None) -> Store:
        """Connect to the store at ``url`` and, unless ``upgrade`` is False, migrate it to head.

        ``owner`` names this process in the runs it records (default ``host:pid``). A store
        migrated by a newer syncd is refused either way.
        """
        parsed = parse_url(url)
        store = cls(make_engine(parsed), parsed, owner=owner)
        try:
            with guarded(parsed, "connecting"), store._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                migrate.check_known(connection, parsed)
            if upgrade:
                store.upgrade()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def url(self) -> str:
        """The store URL with its password hidden."""
        return safe_url(self._url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def upgrade(self) -> str:
        """Apply pending migrations (``alembic upgrade head``); returns the head revision."""
        return migrate.upgrade(self._engine, self._url)

    def is_current(self) -> bool:
        """Whether the store is migrated to the newest revision this code knows."""
        return migrate.is_current(self._engine, self._url)

    def close(self) -> None:
        """Release all connections."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- definitions and measurements ------------------------------------------------------

    def sync_definitions(self, config: Config) -> None:
        """Upsert the configured objectives and KRs; mark those no longer configured inactive."""
        for kind, ids in (
            ("objective", [objective.id for objective in config.objectives]),
            ("key result", [kr.id for _, kr in config.key_results()]),
        ):
            if repeated := definitions.duplicates(ids):
                raise store_error(
                    self._url,
                    "syncing definitions",
                    f"{kind} id(s) {', '.join(repeated)} appear more than once",
                    "give every objective and key result its own id",
                )
        rows = (definitions.objective_rows(config), definitions.key_result_rows(config))
        mirrored = (rows, definitions.cycle_rows(config))
        if mirrored == self._synced:
            return  # already mirrored by this store (the CLI opens it, then a pass syncs)
        with self._writing("syncing definitions") as session:
            definitions.sync(session, config, utcnow(), rows)
        self._synced = mirrored

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Write every storable item of ``items`` in one transaction, upserting on (KR, window
        start, window end); return the others in ``refused``, each with its reason.

        A new window inserts revision 1; a different value for a stored window keeps the old
        value as a revision and bumps ``revision``; the same value only refreshes
        ``collected_at`` and ``run_id``. An item the store cannot take (not a finite number, a
        datetime without a time zone, a reversed window, an unknown key result, a text too long)
        is refused and the rest is written. A failure of the store itself (unreachable, full,
        locked) raises ``StoreError`` and writes nothing.
        """
        if not items:
            return WriteResult(inserted=0, updated=0, unchanged=0)
        with self._writing("recording measurements") as session:
            result = writes.record_judged(session, items, utcnow())
            refused = {id(refusal.item) for refusal in result.refused}
            deadletters.resolve(session, [item for item in items if id(item) not in refused])
            return result

    def set_aside(self, refusals: Sequence[Refusal]) -> None:
        """Keep refused measurements as dead letters (a refusal seen before counts an attempt),
        so they can be inspected without blocking any later write."""
        if not refusals:
            return
        with self._writing("setting refused measurements aside") as session:
            deadletters.set_aside(session, refusals, utcnow())

    def dead_letters(self, *, limit: int | None = None) -> list[DeadLetter]:
        """The measurements set aside, most recently refused first."""
        with self._reading("reading dead letters") as session:
            return deadletters.recent(session, limit)

    def dead_letter_count(self) -> int:
        """How many refused measurements are set aside."""
        with self._reading("reading dead letters") as session:
            return deadletters.count(session)

    def measurements(
        self,
        key_result_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Measurement]:
        """A KR's measurements with ``since <= window_end <= until`` (bounds optional),
        ordered by window end."""
        with self._reading("reading measurements") as session:
            return reads.history(session, key_result_id, since=since, until=until)

    def summaries(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        origin: datetime,
    ) -> dict[str, reads.SeriesSummary]:
        """Per KR, a summary of its measurements with ``since <= window_end <= until`` (count,
        latest, least-squares sums over days since ``origin``) in a few set-based queries; a
        KR without any is left out."""
        with self._reading("reading measurements") as session:
            return reads.summaries(session, key_result_ids, since=since, until=until, origin=origin)

    def histories(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Measurement]]:
        """:meth:`measurements` of many KRs at once (a few set-based queries); a KR without
        measurements in the range is absent."""
        with self._reading("reading measurements") as session:
            return reads.histories(session, key_result_ids, since=since, until=until)

    def points(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[reads.StoredPoint]]:
        """:meth:`histories` as light records (what charts and progress read), quicker to
        read for thousands of KRs; a KR without measurements in the range is absent."""
        with self._reading("reading measurements") as session:
            return reads.points(session, key_result_ids, since=since, until=until)

    def latest(self, key_result_ids: Sequence[str] | None = None) -> dict[str, Measurement]:
        """The latest measurement (by window end) of each KR, or of the given ones."""
        with self._reading("reading measurements") as session:
            return reads.latest(session, key_result_ids)

    def revisions(self, measurement_id: int) -> list[MeasurementRevision]:
        """The superseded values of a measurement, oldest first."""
        with self._reading("reading revisions") as session:
            return reads.revisions(session, measurement_id)

    def stored_objectives(self) -> list[ObjectiveRecord]:
        """Every objective recorded with its definition, retired ones included, by id."""
        with self._reading("reading objectives") as session:
            return definitions.stored_objectives(session)

    def stored_cycles(self) -> list[CycleRecord]:
        """Every cycle the store knows (retired ones included), by start."""
        with self._reading("reading cycles") as session:
            return definitions.stored_cycles(session)

    # -- check-ins -------------------------------------------------------------------------

    def record_checkin(
        self,
        key_result_id: str,
        *,
        at: datetime,
        confidence: str | None,
        note: str | None,
        measurement: MeasurementIn | None = None,
    ) -> CheckIn:
        """Store a check-in and, when it brings a value, its measurement, in one transaction."""
        with self._writing("recording a check-in") as session:
            now = utcnow()
            if measurement is not None:
                result = writes.record_judged(session, [measurement], now)
                if result.refused:
                    # Nothing of the check-in is kept: its value and its words go together.
                    raise store_error(
                        self._url,
                        "recording a check-in",
                        f"the store refused the value of {key_result_id}: "
                        f"{result.refused[0].reason}",
                    )
                deadletters.resolve(session, [measurement])
            return checkins.add(
                session,
                key_result_id,
                at=at,
                value=measurement.value if measurement is not None else None,
                confidence=confidence,
                note=note,
                now=now,
            )

    def checkins(self, key_result_id: str) -> list[CheckIn]:
        """A KR's check-ins, oldest first."""
        with self._reading("reading check-ins") as session:
            return checkins.history(session, key_result_id)

    def latest_checkins(
        self, key_result_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> dict[str, CheckIn]:
        """The latest check-in (by ``at``, up to ``until``) of each KR, or of the given ones."""
        with self._reading("reading check-ins") as session:
            return checkins.latest(session, key_result_ids, until)

    def revisions_of(self, key_result_id: str) -> dict[int, list[MeasurementRevision]]:
        """The superseded values of each of a KR's measurements, by measurement id."""
        with self._reading("reading revisions") as session:
            return reads.revisions_of(session, key_result_id)

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, *, source: str, trigger: str, slot: datetime | None = None) -> str:
        """Record that a sync of ``source`` started now; returns the run id (uuid4 hex).

        The first run this store object records closes dead processes' runs first
        (:meth:`close_interrupted_runs`)."""
        if not self._interrupted_closed:
            self.close_interrupted_runs()
        with self._writing("starting a run") as session:
            return runs.start(
                session, source=source, trigger=trigger, slot=slot, now=utcnow(), owner=self.owner
            )

    def close_interrupted_runs(self) -> list[SyncRun]:
        """Close the runs left open by a process that died as ``interrupted``, returning them.

        Certain deaths (this host's processes) count at once, another host's run only once it
        is older than :attr:`run_lease`: see :mod:`syncd.store.runs`."""
        with self._writing("closing interrupted runs") as session:
            closed = runs.close_interrupted(
                session, owner=self.owner, now=utcnow(), stale_after=self.run_lease
            )
        self._interrupted_closed = True
        return closed

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
        (several sources share a pass); without it, the time since the run started."""
        with self._writing("finishing a run") as session:
            run = session.get(SyncRun, run_id, with_for_update=True)
            if run is None:
                raise store_error(self._url, "finishing a run", f"no run with id {run_id!r}")
            if run.finished_at is not None and run.outcome != runs.INTERRUPTED:
                # (An ``interrupted`` run judged dead too early gets its real outcome.)
                raise store_error(
                    self._url, "finishing a run", f"run {run_id!r} is already finished"
                )
            runs.finish(
                session,
                run,
                now=utcnow(),
                outcome=outcome,
                error=error,
                upstream_calls=upstream_calls,
                retries=retries,
                requests=requests,
                measurements=measurements,
                duration=duration,
            )

    # -- claims ----------------------------------------------------------------------------

    def claim_slot(self, job: str, slot: datetime, owner: str, lease: timedelta) -> bool:
        """Claim a job's slot for ``owner``; False when another live instance has it or it is
        done. An unfinished claim past its lease (a crashed instance) is taken over."""
        with self._writing("claiming a slot") as session:
            return claims.claim(session, job, slot, owner, lease, utcnow())

    def finish_slot(
        self,
        job: str,
        slot: datetime,
        owner: str,
        outcome: str,
        *,
        retry: claims.Backoff | None = None,
    ) -> bool:
        """Mark a claimed slot done; False when ``owner`` had lost it to a takeover. A
        ``failed`` slot with a ``retry`` policy becomes due again after its backoff."""
        with self._writing("finishing a slot") as session:
            return claims.finish(session, job, slot, owner, outcome, utcnow(), retry)

    def due_slots(
        self, job: str, candidates: Sequence[datetime], *, now_slot: datetime
    ) -> list[datetime]:
        """Of ``candidates`` (oldest first), the slots not yet done: those after the job's
        first claim in this store (or just ``now_slot`` for a job never claimed) without a
        finished claim, or whose failed claim's retry time has come. An instance that died
        mid-slot leaves its slot due."""
        with self._reading("reading claims") as session:
            first = claims.first_slot(session, job)
            if first is None:
                return [now_slot]
            wanted = [slot for slot in candidates if slot >= first]
            if not wanted:
                return []
            done = claims.settled_slots(session, job, wanted[0], utcnow())
        done_utc = {slot.astimezone(UTC) for slot in done}
        return [slot for slot in wanted if slot.astimezone(UTC) not in done_utc]

    def slot_attempts(self, job: str) -> dict[datetime, tuple[int, str | None]]:
        """Each claimed slot of ``job`` (UTC): how often it was run, and its last outcome
        (``None`` while a run holds it)."""
        with self._reading("reading claims") as session:
            return {
                slot.astimezone(UTC): state for slot, state in claims.attempts(session, job).items()
            }

    # -- notifications ---------------------------------------------------------------------

    def alert_states(self) -> dict[str, tuple[str, int]]:
        """Each alert subject's last judged status and its generation."""
        with self._reading("reading alert states") as session:
            return notifications.states(session)

    def advance_alert_state(
        self, subject: str, generation: int | None, status: str, *, now: datetime
    ) -> bool:
        """Move a subject to ``status`` if it is still at ``generation`` (``None``: unknown so
        far); False when another instance moved it first."""
        with self._writing("recording an alert state") as session:
            return notifications.advance_state(session, subject, generation, status, now)

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

    def due_deliveries(self, *, now: datetime) -> list[NotificationDelivery]:
        """Deliveries neither sent nor given up whose lease ran out: to be retried."""
        with self._reading("reading deliveries") as session:
            return notifications.due(session, now)

    def deliveries(self, *, key_prefix: str = "") -> list[NotificationDelivery]:
        """Recorded deliveries whose key starts with ``key_prefix``, oldest first."""
        with self._reading("reading deliveries") as session:
            return notifications.deliveries(session, key_prefix=key_prefix)

    def last_sent_delivery(
        self, team: str, kind: str, *, exclude_key: str | None = None
    ) -> NotificationDelivery | None:
        """The team's most recently sent delivery of ``kind`` (e.g. ``digest``), other than
        ``exclude_key``."""
        with self._reading("reading deliveries") as session:
            return notifications.last_sent(session, team, kind, exclude_key=exclude_key)

    @contextmanager
    def job_lock(self, job: str, *, wait: float = 0.0) -> Iterator[bool]:
        """Hold a PostgreSQL advisory lock on ``job`` while the block runs, trying for up to
        ``wait`` seconds; yields whether it was acquired (False: another instance runs the
        job). SQLite stores are single-instance, so there it always yields True."""
        if self.dialect != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(job.encode()).digest()[:8], "big", signed=True)
        deadline = time.monotonic() + wait
        with guarded(self._url, "locking a job"), self._engine.connect() as connection:
            while True:
                acquired = bool(
                    connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
                connection.commit()
                if acquired or time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers a trivial query."""
        with guarded(self._url, "checking the store"), self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def check_writable(self) -> None:
        """Raise ``StoreError`` unless the store takes a write right now.

        A write in a transaction that is rolled back: nothing is kept, but a read-only file,
        disk or server refuses it. On SQLite another writer holding the lock means the store
        is writable; this check does not wait for it.
        """
        sqlite = self.dialect == "sqlite"
        with guarded(self._url, "checking the store can write"), self._writer.connect() as c:
            if sqlite:
                _driver(c).execute(f"PRAGMA busy_timeout={WRITE_CHECK_WAIT_MS}")
            try:
                with c.begin() as transaction:
                    if not sqlite:
                        c.execute(text(f"SET LOCAL lock_timeout = {WRITE_CHECK_WAIT_MS * 10}"))
                    c.execute(WRITE_PROBE)
                    transaction.rollback()
            except OperationalError as exc:
                if not (sqlite and "database is locked" in str(exc.orig)):
                    raise
            finally:
                if sqlite and not c.invalidated:
                    _driver(c).execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def runs(self, *, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        """The most recent runs, newest first, optionally of one source."""
        with self._reading("reading runs") as session:
            return runs.recent(session, limit=limit, source=source)

    # -- sessions --------------------------------------------------------------------------

    @contextmanager
    def _writing(self, action: str) -> Iterator[Session]:
        """A session whose work commits as one transaction, or not at all."""
        with (
            guarded(self._url, action),
            Session(self._writer, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def _reading(self, action: str) -> Iterator[Session]:
        with guarded(self._url, action), Session(self._engine, expire_on_commit=False) as session:
            yield session
