"""The SQL store's measurements: definitions, measurements and revisions, check-ins and dead
letters (:class:`~syncd.store.abc.MeasurementStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from syncd.config.models import Config
from syncd.store import checkins, deadletters, definitions, outbox, reads, writes
from syncd.store.failures import store_error
from syncd.store.records import (
    CheckIn,
    DeadLetter,
    Measurement,
    MeasurementIn,
    MeasurementRevision,
    Refusal,
    SeriesSummary,
    StoredCycle,
    StoredObjective,
    StoredPoint,
    WriteResult,
    record_of,
)
from syncd.store.sqlbase import SqlBase, utcnow


class SqlMeasurements(SqlBase):
    """:class:`~syncd.store.abc.MeasurementStore` on SQLite or PostgreSQL."""

    _synced: object = None  # the definitions last mirrored, to skip an identical sync

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
            return [record_of(DeadLetter, row) for row in deadletters.recent(session, limit)]

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
            rows = reads.history(session, key_result_id, since=since, until=until)
            return [record_of(Measurement, row) for row in rows]

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
            found = reads.histories(session, key_result_ids, since=since, until=until)
            return {kr: [record_of(Measurement, row) for row in rows] for kr, rows in found.items()}

    def summaries(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        origin: datetime,
    ) -> dict[str, SeriesSummary]:
        """Per KR, a summary of its measurements with ``since <= window_end <= until`` (count,
        latest, least-squares sums over days since ``origin``) in a few set-based queries; a
        KR without any is left out."""
        with self._reading("reading measurements") as session:
            return reads.summaries(session, key_result_ids, since=since, until=until, origin=origin)

    def points(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[StoredPoint]]:
        """:meth:`histories` as light records (what charts and progress read), quicker to
        read for thousands of KRs; a KR without measurements in the range is absent."""
        with self._reading("reading measurements") as session:
            return reads.points(session, key_result_ids, since=since, until=until)

    def latest(self, key_result_ids: Sequence[str] | None = None) -> dict[str, Measurement]:
        """The latest measurement (by window end) of each KR, or of the given ones."""
        with self._reading("reading measurements") as session:
            found = reads.latest(session, key_result_ids)
            return {kr: record_of(Measurement, row) for kr, row in found.items()}

    def revisions(self, measurement_id: int) -> list[MeasurementRevision]:
        """The superseded values of a measurement, oldest first."""
        with self._reading("reading revisions") as session:
            rows = reads.revisions(session, measurement_id)
            return [record_of(MeasurementRevision, row) for row in rows]

    def revisions_of(self, key_result_id: str) -> dict[int, list[MeasurementRevision]]:
        """The superseded values of each of a KR's measurements, by measurement id."""
        with self._reading("reading revisions") as session:
            found = reads.revisions_of(session, key_result_id)
            return {
                measurement_id: [record_of(MeasurementRevision, row) for row in rows]
                for measurement_id, rows in found.items()
            }

    def stored_objectives(self) -> list[StoredObjective]:
        """Every objective recorded with its definition, retired ones included, by id."""
        with self._reading("reading objectives") as session:
            rows = definitions.stored_objectives(session)
            return [record_of(StoredObjective, row) for row in rows]

    def stored_cycles(self) -> list[StoredCycle]:
        """Every cycle the store knows (retired ones included), by start."""
        with self._reading("reading cycles") as session:
            return [record_of(StoredCycle, row) for row in definitions.stored_cycles(session)]

    @property
    def outbox(self) -> outbox.SqlOutbox:
        """The store's outbox of events for consumers (see :mod:`syncd.store.outbox`)."""
        return outbox.SqlOutbox(self._writing, self._reading)

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
            row = checkins.add(
                session,
                key_result_id,
                at=at,
                value=measurement.value if measurement is not None else None,
                confidence=confidence,
                note=note,
                now=now,
            )
            return record_of(CheckIn, row)

    def checkins(self, key_result_id: str) -> list[CheckIn]:
        """A KR's check-ins, oldest first."""
        with self._reading("reading check-ins") as session:
            return [record_of(CheckIn, row) for row in checkins.history(session, key_result_id)]

    def latest_checkins(
        self, key_result_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> dict[str, CheckIn]:
        """The latest check-in (by ``at``, up to ``until``) of each KR, or of the given ones."""
        with self._reading("reading check-ins") as session:
            found = checkins.latest(session, key_result_ids, until)
            return {kr: record_of(CheckIn, row) for kr, row in found.items()}
