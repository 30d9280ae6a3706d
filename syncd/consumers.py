"""The consumer runner: hands the outbox's events to consumers (:class:`syncd.events.Consumer`).

One call of :meth:`ConsumerRunner.run_once` gives every consumer one batch:

- a *shared* consumer claims up to ``batch`` of its events under a lease, handles them and
  acknowledges them (appending the events it returns in the same transaction). When
  ``handle`` raises, the batch is handled again event by event, so one bad event fails alone:
  it is retried after a backoff and parked after ``retry.max_attempts`` (the outbox's
  semantics: :mod:`syncd.store.outbox`);
- a shared consumer that is :class:`~syncd.events.Pausable` and paused claims nothing; one
  whose ``handle`` raises :class:`~syncd.events.Postponed` gives its batch back unhandled
  (:meth:`~syncd.store.outbox.Outbox.release`: no attempt counted);
- a *local* consumer reads the events appended after its position, which starts at the
  outbox's newest event when the runner is made; a failure is logged and the events skipped
  (it only keeps a view of this process, rebuilt on start).

The daemon runs it in its event stage (:mod:`syncd.daemon.stage`); ``syncd`` commands that need
the events handled now (the alerts of :func:`syncd.notify_teams.run_alerts`) call
:meth:`ConsumerRunner.drain`. It lives outside the daemon because those commands, and the sinks
next, run consumers too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog

from syncd.events import Consumer, Delivered, Pausable, Postponed
from syncd.logs import scrub
from syncd.store.outbox import Outbox, Retry

log = structlog.get_logger("syncd.consumers")

LEASE = timedelta(minutes=5)
BATCH = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ConsumerRunner:
    """Runs ``consumers`` over ``outbox`` as ``owner`` (module docstring: how)."""

    def __init__(
        self,
        outbox: Outbox,
        consumers: Sequence[Consumer],
        *,
        owner: str,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        retry: Retry | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        names = [consumer.name for consumer in consumers]
        if len(set(names)) != len(names):
            raise ValueError(f"consumer names repeat: {names}")
        self.outbox = outbox
        self.consumers = list(consumers)
        self.owner = owner
        self.lease = lease
        self.batch = batch
        self.retry = retry or Retry()
        self.clock = clock
        start = outbox.position() if any(not c.shared for c in consumers) else 0
        self._positions = {c.name: start for c in consumers if not c.shared}

    def run_once(self) -> int:
        """One batch for every consumer; how many events were handed out."""
        handed = 0
        for consumer in self.consumers:
            handed += self._shared(consumer) if consumer.shared else self._local(consumer)
        return handed

    def drain(self, *, rounds: int = 100) -> int:
        """Run until no consumer gets an event (at most ``rounds`` times); events handed out."""
        total = 0
        for _ in range(rounds):
            handed = self.run_once()
            total += handed
            if not handed:
                break
        return total

    def _shared(self, consumer: Consumer) -> int:
        if isinstance(consumer, Pausable) and consumer.paused():
            return 0
        batch = self.outbox.claim(
            consumer.name,
            consumer.event_types,
            owner=self.owner,
            lease=self.lease,
            limit=self.batch,
            now=self.clock(),
        )
        if not batch:
            return 0
        try:
            follow_ups = consumer.handle(batch)
        except Postponed as exc:
            self._release(consumer, batch, exc)
            return 0
        except Exception as exc:  # a consumer's own failure must not stop the others
            log.warning(
                "consumer.batch_failed", consumer=consumer.name, events=len(batch), error=_text(exc)
            )
            for delivered in batch:
                self._one(consumer, delivered)
            return len(batch)
        self.outbox.ack(
            consumer.name,
            [d.id for d in batch],
            owner=self.owner,
            now=self.clock(),
            publish=follow_ups,
        )
        return len(batch)

    def _one(self, consumer: Consumer, delivered: Delivered) -> None:
        try:
            follow_ups = consumer.handle([delivered])
        except Postponed as exc:
            self._release(consumer, [delivered], exc)
            return
        except Exception as exc:  # recorded on the event, retried with a backoff
            parked = self.outbox.fail(
                consumer.name,
                delivered.id,
                owner=self.owner,
                now=self.clock(),
                error=_text(exc),
                retry=self.retry,
            )
            log.warning(
                "consumer.event_parked" if parked else "consumer.event_failed",
                consumer=consumer.name,
                event_id=delivered.id,
                type=delivered.event.type,
                attempt=delivered.attempt,
                error=_text(exc),
            )
            return
        self.outbox.ack(
            consumer.name, [delivered.id], owner=self.owner, now=self.clock(), publish=follow_ups
        )

    def _release(self, consumer: Consumer, batch: Sequence[Delivered], why: Postponed) -> None:
        self.outbox.release(
            consumer.name, [d.id for d in batch], owner=self.owner, now=self.clock()
        )
        log.info("consumer.postponed", consumer=consumer.name, events=len(batch), reason=_text(why))

    def _local(self, consumer: Consumer) -> int:
        events = self.outbox.read_after(
            self._positions[consumer.name], consumer.event_types, limit=self.batch
        )
        if not events:
            return 0
        self._positions[consumer.name] = events[-1].id
        try:
            follow_ups = consumer.handle(events)
        except Exception as exc:  # a local view only: rebuilt on the next start
            log.warning("consumer.batch_failed", consumer=consumer.name, error=_text(exc))
            return len(events)
        if follow_ups:
            self.outbox.append(follow_ups, now=self.clock())
        return len(events)


def _text(exc: BaseException) -> str:
    return scrub(f"{type(exc).__name__}: {exc}")
