"""The in-memory store's measurements: definitions, measurements and revisions, check-ins
and dead letters (:class:`~syncd.store.abc.MeasurementStore`), as the SQL store keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from syncd.config.models import Config
from syncd.events import MeasurementRecorded
from syncd.store import definitions
from syncd.store.deadletters import key_of
from syncd.store.memory.state import MemoryBase, NaturalKey, utc
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
    summarize,
    to_json,
)
from syncd.store.rules import judge, unknown_key_result
from syncd.store.writes import recorded_event


class MemoryMeasurements(MemoryBase):
    """:class:`~syncd.store.abc.MeasurementStore` in memory."""

    _synced: object = None  # the definitions last mirrored, to skip an identical sync

    def sync_definitions(self, config: Config) -> None:
        """Upsert the configured objectives and KRs; mark those no longer configured inactive."""
        for kind, ids in (
            ("objective", [objective.id for objective in config.objectives]),
            ("key result", [kr.id for _, kr in config.key_results()]),
        ):
            if repeated := definitions.duplicates(ids):
                raise self._error(
                    "syncing definitions",
                    f"{kind} id(s) {', '.join(repeated)} appear more than once",
                    "give every objective and key result its own id",
                )
        rows = (definitions.objective_rows(config), definitions.key_result_rows(config))
        mirrored = (rows, definitions.cycle_rows(config))
        if mirrored == self._synced:
            return
        now = datetime.now(UTC)
        state = self._state
        with state.lock:
            for table, wanted in (
                (state.cycles, mirrored[1]),
                (state.objectives, rows[0]),
                (state.key_results, rows[1]),
            ):
                for row in wanted:
                    stored = table.get(row["id"])
                    if stored is None or {k: stored[k] for k in row} != row:
                        table[row["id"]] = {**row, "updated_at": now}
                configured = {row["id"] for row in wanted}
                for row_id, stored in table.items():
                    if stored["active"] and row_id not in configured:
                        table[row_id] = {**stored, "active": False, "updated_at": now}
        self._synced = mirrored

    def record_measurements(self, items: Sequence[MeasurementIn]) -> WriteResult:
        """Write every storable item, upserting on the natural key; refuse the others."""
        if not items:
            return WriteResult(inserted=0, updated=0, unchanged=0)
        with self._state.lock:
            result = self._record(items, datetime.now(UTC))
            refused = {id(refusal.item) for refusal in result.refused}
            self._resolve([item for item in items if id(item) not in refused])
            return result

    def _record(self, items: Sequence[MeasurementIn], now: datetime) -> WriteResult:
        state = self._state
        refused: list[Refusal] = []
        storable: list[MeasurementIn] = []
        for item in items:
            if (reason := judge(item)) is not None:
                refused.append(Refusal(item, reason))
            else:
                storable.append(item)
        inserted = updated = unchanged = 0
        events: list[MeasurementRecorded] = []
        new_keys: set[NaturalKey] = set()
        for item in sorted(storable, key=_order):
            if item.key_result_id not in state.key_results:
                refused.append(Refusal(item, unknown_key_result(item)))
                continue
            key = (item.key_result_id, utc(item.window_start), utc(item.window_end))
            row = state.measurements.get(key)
            if row is None:
                state.measurements[key] = Measurement(
                    id=next(state.ids),
                    key_result_id=item.key_result_id,
                    window_start=key[1],
                    window_end=key[2],
                    value=float(item.value),
                    collected_at=utc(item.collected_at),
                    source=item.source,
                    query_fingerprint=item.query_fingerprint,
                    run_id=item.run_id,
                    note=item.note,
                    revision=1,
                )
                new_keys.add(key)
                inserted += 1
                events.append(recorded_event(item))
                continue
            if key in new_keys:
                continue  # a window given twice in one write: the first one is stored (as on SQL)
            if row.value == item.value:
                unchanged += 1
            else:
                state.revisions.setdefault(row.id, []).append(
                    MeasurementRevision(
                        id=next(state.ids),
                        measurement_id=row.id,
                        revision=row.revision,
                        value=row.value,
                        collected_at=row.collected_at,
                        source=row.source,
                        query_fingerprint=row.query_fingerprint,
                        run_id=row.run_id,
                        note=row.note,
                        superseded_at=now,
                    )
                )
                row = replace(
                    row,
                    revision=row.revision + 1,
                    value=float(item.value),
                    source=item.source,
                    query_fingerprint=item.query_fingerprint,
                    note=item.note,
                )
                updated += 1
                events.append(
                    recorded_event(
                        item, revision=row.revision, previous=state.revisions[row.id][-1].value
                    )
                )
            state.measurements[key] = replace(
                row, collected_at=utc(item.collected_at), run_id=item.run_id
            )
        state.outbox.append(events, now=now)
        return WriteResult(inserted, updated, unchanged, tuple(refused))

    def _resolve(self, items: Sequence[MeasurementIn]) -> None:
        for item in items:
            self._state.dead_letters.pop(key_of(item), None)

    def set_aside(self, refusals: Sequence[Refusal]) -> None:
        """Keep refused measurements as dead letters (a refusal seen before counts an attempt)."""
        now = datetime.now(UTC)
        state = self._state
        with state.lock:
            for refusal in refusals:
                key = key_of(refusal.item)
                known = state.dead_letters.get(key)
                if known is None:
                    state.dead_letters[key] = DeadLetter(
                        id=next(state.ids),
                        key=key,
                        key_result_id=str(refusal.item.key_result_id),
                        item=to_json(refusal.item),
                        reason=refusal.reason,
                        first_seen=now,
                        last_seen=now,
                        attempts=1,
                    )
                else:
                    state.dead_letters[key] = replace(
                        known,
                        item=to_json(refusal.item),
                        reason=refusal.reason,
                        last_seen=now,
                        attempts=known.attempts + 1,
                    )

    def dead_letters(self, *, limit: int | None = None) -> list[DeadLetter]:
        """The measurements set aside, most recently refused first."""
        with self._state.lock:
            letters = sorted(
                self._state.dead_letters.values(),
                key=lambda letter: (letter.last_seen, letter.id),
                reverse=True,
            )
        return letters if limit is None else letters[:limit]

    def dead_letter_count(self) -> int:
        """How many refused measurements are set aside."""
        with self._state.lock:
            return len(self._state.dead_letters)

    def measurements(
        self,
        key_result_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Measurement]:
        """A KR's measurements with ``since <= window_end <= until``, by window end."""
        return self.histories([key_result_id], since=since, until=until).get(key_result_id, [])

    def histories(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Measurement]]:
        """:meth:`measurements` of many KRs at once; a KR without any in the range is absent."""
        self._aware("reading measurements", since, until)
        wanted = set(key_result_ids)
        with self._state.lock:
            rows = [
                row
                for row in self._state.measurements.values()
                if row.key_result_id in wanted
                and (since is None or row.window_end >= since)
                and (until is None or row.window_end <= until)
            ]
        found: dict[str, list[Measurement]] = {}
        for row in sorted(rows, key=lambda r: (r.key_result_id, r.window_end, r.window_start)):
            found.setdefault(row.key_result_id, []).append(row)
        return found

    def summaries(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        origin: datetime,
    ) -> dict[str, SeriesSummary]:
        """Per KR, its measurements in the range summed as the SQL store sums them."""
        found = self.points(key_result_ids, since=since, until=until)
        summed = {kr: summarize(kr, points, origin) for kr, points in found.items()}
        return {kr: summary for kr, summary in summed.items() if summary is not None}

    def points(
        self,
        key_result_ids: Sequence[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[StoredPoint]]:
        """:meth:`histories` as light records; a KR without any in the range is absent."""
        return {
            kr: [
                StoredPoint(
                    id=row.id,
                    key_result_id=row.key_result_id,
                    window_start=row.window_start,
                    window_end=row.window_end,
                    value=row.value,
                    collected_at=row.collected_at,
                    source=row.source,
                    revision=row.revision,
                )
                for row in rows
            ]
            for kr, rows in self.histories(key_result_ids, since=since, until=until).items()
        }

    def latest(self, key_result_ids: Sequence[str] | None = None) -> dict[str, Measurement]:
        """The latest measurement (by window end) of each KR, or of the given ones."""
        found: dict[str, Measurement] = {}
        with self._state.lock:
            for row in self._state.measurements.values():
                if key_result_ids is not None and row.key_result_id not in key_result_ids:
                    continue
                best = found.get(row.key_result_id)
                if best is None or _recency(row) > _recency(best):
                    found[row.key_result_id] = row
        return found

    def revisions(self, measurement_id: int) -> list[MeasurementRevision]:
        """The superseded values of a measurement, oldest first."""
        with self._state.lock:
            return list(self._state.revisions.get(measurement_id, []))

    def revisions_of(self, key_result_id: str) -> dict[int, list[MeasurementRevision]]:
        """The superseded values of each of a KR's measurements, by measurement id."""
        with self._state.lock:
            ids = sorted(
                row.id
                for row in self._state.measurements.values()
                if row.key_result_id == key_result_id and row.id in self._state.revisions
            )
            return {row_id: list(self._state.revisions[row_id]) for row_id in ids}

    def stored_objectives(self) -> list[StoredObjective]:
        """Every objective recorded with its definition, retired ones included, by id."""
        with self._state.lock:
            rows = [r for r in self._state.objectives.values() if r["definition"] is not None]
        return [StoredObjective(**row) for row in sorted(rows, key=lambda row: row["id"])]

    def stored_cycles(self) -> list[StoredCycle]:
        """Every cycle the store knows (retired ones included), by start."""
        with self._state.lock:
            rows = list(self._state.cycles.values())
        return [StoredCycle(**row) for row in sorted(rows, key=lambda row: row["start"])]

    # -- check-ins ---------------------------------------------------------------------------

    def record_checkin(
        self,
        key_result_id: str,
        *,
        at: datetime,
        confidence: str | None,
        note: str | None,
        measurement: MeasurementIn | None = None,
    ) -> CheckIn:
        """Store a check-in and, when it brings a value, its measurement, at once."""
        action = "recording a check-in"
        self._aware(action, at)
        state = self._state
        with state.lock:
            if key_result_id not in state.key_results:
                raise self._error(action, f"key result {key_result_id!r} is not defined")
            now = datetime.now(UTC)
            if measurement is not None:
                reason = judge(measurement)
                if reason is None and measurement.key_result_id not in state.key_results:
                    reason = unknown_key_result(measurement)
                if reason is not None:
                    # Nothing of the check-in is kept: its value and its words go together.
                    raise self._error(
                        action, f"the store refused the value of {key_result_id}: {reason}"
                    )
                self._record([measurement], now)
                self._resolve([measurement])
            value = measurement.value if measurement is not None else None
            for known in state.checkins:
                if (known.key_result_id, known.at, known.value, known.confidence, known.note) == (
                    key_result_id,
                    at,
                    value,
                    confidence,
                    note,
                ):
                    return known
            checkin = CheckIn(
                id=next(state.ids),
                key_result_id=key_result_id,
                at=utc(at),
                recorded_at=now,
                value=value,
                confidence=confidence,
                note=note,
            )
            state.checkins.append(checkin)
            return checkin

    def checkins(self, key_result_id: str) -> list[CheckIn]:
        """A KR's check-ins, oldest first."""
        with self._state.lock:
            found = [c for c in self._state.checkins if c.key_result_id == key_result_id]
        return sorted(found, key=_checkin_order)

    def latest_checkins(
        self, key_result_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> dict[str, CheckIn]:
        """The latest check-in (by ``at``, up to ``until``) of each KR, or of the given ones."""
        self._aware("reading check-ins", until)
        found: dict[str, CheckIn] = {}
        with self._state.lock:
            for checkin in sorted(self._state.checkins, key=_checkin_order):
                if key_result_ids is not None and checkin.key_result_id not in key_result_ids:
                    continue
                if until is None or checkin.at <= until:
                    found[checkin.key_result_id] = checkin
        return found


def _order(item: MeasurementIn) -> tuple[str, float, float]:
    return (item.key_result_id, item.window_start.timestamp(), item.window_end.timestamp())


def _recency(row: Measurement) -> tuple[datetime, datetime, int]:
    return (row.window_end, row.collected_at, row.id)


def _checkin_order(checkin: CheckIn) -> tuple[datetime, datetime, int]:
    return (checkin.at, checkin.recorded_at, checkin.id)
