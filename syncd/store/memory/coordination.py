"""The in-memory store's coordination: slot claims with leases, and job locks of this process
(:class:`~syncd.store.abc.Coordination`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from syncd.store.claims import RETRIED_OUTCOMES
from syncd.store.memory.state import Claim, MemoryBase, utc
from syncd.store.records import Backoff


class MemoryCoordination(MemoryBase):
    """:class:`~syncd.store.abc.Coordination` in memory."""

    def claim_slot(self, job: str, slot: datetime, owner: str, lease: timedelta) -> bool:
        """Claim a job's slot for ``owner`` (see :class:`~syncd.store.abc.Coordination`)."""
        self._aware("claiming a slot", slot)
        now = datetime.now(UTC)
        with self._state.lock:
            claim = self._state.claims.get((job, utc(slot)))
            if claim is None:
                self._state.claims[(job, utc(slot))] = Claim(owner, now, now + lease)
                return True
            expired = claim.finished_at is None and claim.lease_until < now
            retry_due = (
                claim.outcome in RETRIED_OUTCOMES
                and claim.retry_at is not None
                and claim.retry_at <= now
            )
            if not (expired or retry_due):
                return False
            claim.owner, claim.claimed_at, claim.lease_until = owner, now, now + lease
            claim.finished_at = claim.outcome = claim.retry_at = None
            claim.attempts += 1
            return True

    def finish_slot(
        self,
        job: str,
        slot: datetime,
        owner: str,
        outcome: str,
        *,
        retry: Backoff | None = None,
    ) -> bool:
        """Mark a claimed slot done; False when ``owner`` had lost it to a takeover."""
        self._aware("finishing a slot", slot)
        now = datetime.now(UTC)
        with self._state.lock:
            claim = self._state.claims.get((job, utc(slot)))
            if claim is None or claim.owner != owner or claim.finished_at is not None:
                return False
            claim.finished_at, claim.outcome = now, outcome
            if retry is not None and outcome in RETRIED_OUTCOMES:
                claim.retry_at = now + retry.after(claim.attempts)
            return True

    def due_slots(
        self, job: str, candidates: Sequence[datetime], *, now_slot: datetime
    ) -> list[datetime]:
        """Of ``candidates`` (oldest first), the slots not yet done."""
        self._aware("reading claims", now_slot, *candidates)
        now = datetime.now(UTC)
        with self._state.lock:
            claims = {slot: c for (name, slot), c in self._state.claims.items() if name == job}
            if not claims:
                return [now_slot]
            first = min(claims)
            wanted = [slot for slot in candidates if slot >= first]
            if not wanted:
                return []
            settled = {
                slot
                for slot, claim in claims.items()
                if slot >= wanted[0]
                and claim.finished_at is not None
                and not (
                    claim.outcome in RETRIED_OUTCOMES
                    and claim.retry_at is not None
                    and claim.retry_at <= now
                )
            }
        return [slot for slot in wanted if utc(slot) not in settled]

    def slot_attempts(self, job: str) -> dict[datetime, tuple[int, str | None]]:
        """Each claimed slot of ``job`` (UTC): how often it was run, and its last outcome."""
        with self._state.lock:
            return {
                slot: (claim.attempts, claim.outcome)
                for (name, slot), claim in self._state.claims.items()
                if name == job
            }

    def next_claim_change(self, now: datetime) -> datetime | None:
        """When a claim next makes a slot due by itself (a lease end, a retry time), if ever."""
        self._aware("reading claims", now)
        with self._state.lock:
            moments = [
                moment
                for claim in self._state.claims.values()
                for moment in (
                    claim.lease_until if claim.finished_at is None else None,
                    claim.retry_at if claim.outcome in RETRIED_OUTCOMES else None,
                )
                if moment is not None and moment > now
            ]
        return min(moments, default=None)

    @contextmanager
    def job_lock(self, job: str, *, wait: float = 0.0) -> Iterator[bool]:
        """Hold this process's lock on ``job`` while the block runs, trying for up to ``wait``
        seconds; yields whether it was acquired."""
        with self._state.lock:
            lock = self._state.job_locks.setdefault(job, threading.Lock())
        acquired = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
