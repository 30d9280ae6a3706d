"""The SQL store's coordination of instances: slot claims with leases and job locks
(:class:`~syncd.store.abc.Coordination`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from syncd.store import claims
from syncd.store.failures import guarded
from syncd.store.records import Backoff
from syncd.store.sqlbase import SqlBase, utcnow

LOCK_POLL_SECONDS = 0.2


class SqlCoordination(SqlBase):
    """:class:`~syncd.store.abc.Coordination` on SQLite or PostgreSQL (see
    :mod:`syncd.store.claims`)."""

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
        retry: Backoff | None = None,
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

    def next_claim_change(self, now: datetime) -> datetime | None:
        """When a claim next makes a slot due by itself (a lease end, a retry time), if ever."""
        with self._reading("reading claims") as session:
            return claims.next_change(session, now)

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
                time.sleep(LOCK_POLL_SECONDS)
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
