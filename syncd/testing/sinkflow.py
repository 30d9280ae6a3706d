"""The sink conformance kit's framework tests: a real sink driven through the real delivery
path (measurements stored -> outbox events -> :class:`~syncd.sinks.consumer.SinkConsumer` run
by :class:`~syncd.consumers.ConsumerRunner` -> ``Sink.deliver`` -> the store's ledger), on
SQLite and PostgreSQL: a value goes out once across two passes and a restart (even one after a
crash before the acknowledgement), and across two instances (one event held by one instance is
never handed to the other); an unchanged value sends nothing; a 429 or 503 is retried within
the call (on SQLite only: the retries are the sink's, not the store's); a revoked token parks
the sink with a reason naming the refusal while values keep being stored and wait in the
outbox.

:class:`SinkFlowConformance` is mixed into :class:`~syncd.testing.sinks.SinkConformance`, so
every sink's conformance class runs it. Beyond the kit's fixtures it needs ``sql_store_url``: a
URL of an empty SQL store, once per SQL backend (syncd's ``tests/conftest.py`` provides it; its
PostgreSQL case fails when ``CI=true`` and the server is absent, and skips otherwise).

The helpers (:func:`flow_config`, :func:`day_measurement`, :func:`record_days`,
:func:`open_runner`) are for the framework's own tests too.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from syncd.abc import RetryPolicy
from syncd.config.models import Config
from syncd.consumers import ConsumerRunner
from syncd.events import MEASUREMENT_RECORDED
from syncd.registry import load_sink
from syncd.sinks.build import opened_sinks
from syncd.sinks.consumer import consumer_name, sink_consumers
from syncd.sinks.deliveries import delivery_key
from syncd.sinks.drain import drain_sinks
from syncd.store import MeasurementIn, Store

ZURICH = ZoneInfo("Europe/Zurich")
KR_ID = "conformance-kr"
SOURCE = "warehouse"

QUICK_RETRY = RetryPolicy(initial_wait=0.01, max_wait=0.02, max_retry_after=2.0)
"""Retries of one upstream call that keep the tests fast (a 429's Retry-After is still waited)."""

Clock = Callable[[], datetime]
ToolCheckins = Callable[[dict[str, Any]], list[tuple[date, float]]]

AUTH_WORDS = re.compile(
    r"401|403|credential|token|unauthori[sz]ed|forbidden|auth|denied|revoked|invalid_grant",
    re.IGNORECASE,
)
"""What a parked sink's reason says, one way or another, about refused credentials."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def flow_config(
    sink_type: str, sink_config: dict[str, Any], target: dict[str, Any], store_url: str
) -> Config:
    """A config storing in ``store_url`` whose one KR, ``conformance-kr`` (0 to 400 signups in
    2026-Q4, Europe/Zurich), is pushed to the sink ``sink_type`` (its config and target as
    raw dicts; the sink is named after its type)."""
    cls = load_sink(sink_type)
    kr = {
        "id": KR_ID,
        "title": "Conformance: signups from 0 to 400",
        "focus": "business",
        "unit": "signups",
        "baseline": 0,
        "target": 400,
        "push": {sink_type: cls.target_model.model_validate(target)},
    }
    return Config.model_validate(
        {
            "timezone": "Europe/Zurich",
            "store": store_url,
            "sinks": {sink_type: cls.config_model.model_validate(sink_config)},
            "cycles": {"2026-Q4": {"start": "2026-10-01", "end": "2026-12-31"}},
            "objectives": [
                {
                    "id": "conformance",
                    "title": "Conformance",
                    "team": "conformance",
                    "cycle": "2026-Q4",
                    "key_results": [kr],
                }
            ],
        }
    )


def day_measurement(
    kr_id: str, value: float, day: date, *, tz: ZoneInfo = ZURICH, source: str = SOURCE
) -> MeasurementIn:
    """``value`` of ``kr_id`` for the whole local ``day`` in ``tz``, collected 6 h after it."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), start.timetz())
    return MeasurementIn(kr_id, value, start, end, end + timedelta(hours=6), source, "f", None)


def record_days(store: Store, values: dict[date, float], *, kr_id: str = KR_ID) -> int:
    """Store ``values[day]`` for each day (the store publishes an event per new value); how
    many windows were new."""
    result = store.record_measurements([day_measurement(kr_id, v, d) for d, v in values.items()])
    assert not result.refused, result.refused
    return result.inserted


@contextmanager
def open_runner(
    config: Config,
    store: Store,
    *,
    owner: str,
    clock: Clock = _utcnow,
    batch: int = 500,
    outcomes: Counter[str] | None = None,
    retry: RetryPolicy | None = None,
) -> Iterator[ConsumerRunner]:
    """One instance's runner of the sink consumers of ``config`` over ``store``, its sinks
    built as the daemon builds them (with ``retry`` for their calls) and closed after the
    block; each delivery's outcome is counted in ``outcomes``."""

    def count(_sink: str, outcome: str) -> None:
        if outcomes is not None:
            outcomes[outcome] += 1

    with opened_sinks(config, retry=retry) as sinks:
        consumers = sink_consumers(sinks, config, store, clock=clock, on_outcome=count)
        yield ConsumerRunner(store.outbox, consumers, owner=owner, clock=clock, batch=batch)


class SinkFlowConformance:
    """Pytest mixin: the sink delivers through the framework exactly once (module docstring).

    Expects the kit's fixtures and attributes (:class:`~syncd.testing.sinks.SinkConformance`)
    and ``sql_store_url``."""

    sink_name: ClassVar[str]
    secret_values: ClassVar[tuple[str, ...]] = ()
    current_value_only: ClassVar[bool] = False

    FLOW_DAY: ClassVar[date] = date(2026, 12, 3)

    def assert_tool_holds(
        self,
        held: list[tuple[date, float]],
        values: dict[date, float],
        before: list[tuple[date, float]],
    ) -> None:
        """The tool holds ``values`` (delivered in day order to a KR that held ``before``):
        one check-in per day, or, for a tool holding one current value, the latest day's
        value (whatever day the tool notes for it)."""
        if self.current_value_only:
            assert [value for _, value in held] == [values[max(values)]], held
            return
        assert held == sorted({**dict(before), **values}.items())

    def flow_store(
        self, sink_config: dict[str, Any], target: dict[str, Any], store_url: str, owner: str
    ) -> tuple[Config, Store]:
        """The flow's config and its store opened as ``owner``, definitions synced."""
        config = flow_config(self.sink_name, sink_config, target, store_url)
        store = Store.open(store_url, owner=owner)
        store.sync_definitions(config)
        return config, store

    def assert_ledger(self, store: Store, values: dict[date, float]) -> None:
        """The ledger keeps one receipt per delivered day, holding its value; for a tool
        holding current values only, one receipt for the KR, holding the newest day's."""
        if self.current_value_only:
            receipt = store.sink_receipt(self.sink_name, KR_ID, delivery_key(KR_ID, None))
            assert receipt is not None, "no receipt kept for the KR"
            assert receipt.value == values[max(values)]
            return
        for day, value in values.items():
            receipt = store.sink_receipt(self.sink_name, KR_ID, delivery_key(KR_ID, day))
            assert receipt is not None, f"no receipt kept for {day}"
            assert receipt.value == value

    def test_flow_delivers_once_across_passes_and_a_restart(
        self,
        sql_store_url: str,
        sink_config: dict[str, Any],
        target: dict[str, Any],
        sink_sandbox: Any,
        tool_checkins: ToolCheckins,
    ) -> None:
        day, next_day = self.FLOW_DAY, self.FLOW_DAY + timedelta(days=1)
        before = tool_checkins(target)
        writes = len(sink_sandbox.received)
        config, first = self.flow_store(sink_config, target, sql_store_url, "first")
        with first:
            assert record_days(first, {day: 42.0}) == 1
            assert drain_sinks(config, first, owner="first")[self.sink_name] == {"sent": 1}
            assert drain_sinks(config, first, owner="first")[self.sink_name].total() == 0
            assert len(sink_sandbox.received) - writes == 1, sink_sandbox.received[writes:]

            # the next day's value is claimed, delivered, and the process dies before its ack
            record_days(first, {next_day: 43.0})
            t0 = _utcnow()
            with open_runner(config, first, owner="first", clock=lambda: t0) as runner:
                (consumer,) = runner.consumers
                held = first.outbox.claim(
                    consumer.name,
                    consumer.event_types,
                    owner="first",
                    lease=timedelta(minutes=5),
                    limit=10,
                    now=t0,
                )
                assert len(held) == 1
                consumer.handle(held)
        assert len(sink_sandbox.received) - writes == 2, sink_sandbox.received[writes:]

        # a restart: new store, runner, consumer and sink objects once the lease ran out
        later = t0 + timedelta(minutes=10)
        outcomes: Counter[str] = Counter()
        _, second = self.flow_store(sink_config, target, sql_store_url, "second")
        with (
            second,
            open_runner(
                config, second, owner="second", clock=lambda: later, outcomes=outcomes
            ) as runner,
        ):
            assert runner.drain() == 1, "the unacknowledged event is handed out again"
            assert runner.drain() == 0
            self.assert_ledger(second, {day: 42.0, next_day: 43.0})
        assert outcomes == {"unchanged": 1}
        assert len(sink_sandbox.received) - writes == 2, "the receipt said the tool has it"
        self.assert_tool_holds(tool_checkins(target), {day: 42.0, next_day: 43.0}, before)

    def test_flow_an_unchanged_value_sends_nothing(
        self,
        sql_store_url: str,
        sink_config: dict[str, Any],
        target: dict[str, Any],
        sink_sandbox: Any,
        tool_checkins: ToolCheckins,
    ) -> None:
        day = self.FLOW_DAY
        before = tool_checkins(target)
        config, store = self.flow_store(sink_config, target, sql_store_url, "a")
        with store:
            record_days(store, {day: 42.0})
            assert drain_sinks(config, store, owner="a")[self.sink_name] == {"sent": 1}
            writes = len(sink_sandbox.received)
            held = tool_checkins(target)

            # the same value measured again: stored (collected again), nothing published
            assert record_days(store, {day: 42.0}) == 0
            assert drain_sinks(config, store, owner="a")[self.sink_name].total() == 0
            # ... and were its event handed out again, the ledger says the tool has it
            outcomes: Counter[str] = Counter()
            with open_runner(config, store, owner="a", outcomes=outcomes) as runner:
                (consumer,) = runner.consumers
                events = store.outbox.read_after(0, {MEASUREMENT_RECORDED}, limit=10)
                assert len(events) == 1
                consumer.handle(events)
            assert outcomes == {"unchanged": 1}
        assert len(sink_sandbox.received) == writes, sink_sandbox.received[writes:]
        assert tool_checkins(target) == held
        self.assert_tool_holds(held, {day: 42.0}, before)

    def test_flow_two_instances_deliver_each_value_once(
        self,
        sql_store_url: str,
        sink_config: dict[str, Any],
        target: dict[str, Any],
        sink_sandbox: Any,
        tool_checkins: ToolCheckins,
    ) -> None:
        values = {self.FLOW_DAY + timedelta(days=n): 40.0 + n for n in range(4)}
        *early, last = values
        before = tool_checkins(target)
        writes = len(sink_sandbox.received)
        config, writer = self.flow_store(sink_config, target, sql_store_url, "writer")
        with writer:
            assert record_days(writer, {day: values[day] for day in early}) == len(early)

        # two instances, each its own store connection and sink, claiming one event at a time
        # in turn: every value goes out once, in day order (a tool holding one current value
        # would otherwise end on whichever day came last)
        handled = {"a": 0, "b": 0}
        outcomes: Counter[str] = Counter()
        _, a = self.flow_store(sink_config, target, sql_store_url, "a")
        _, b = self.flow_store(sink_config, target, sql_store_url, "b")
        with (
            a,
            b,
            open_runner(config, a, owner="a", batch=1, outcomes=outcomes) as runner_a,
            open_runner(config, b, owner="b", batch=1, outcomes=outcomes) as runner_b,
        ):
            for _ in range(len(early)):
                handled["a"] += runner_a.run_once()
                handled["b"] += runner_b.run_once()

            # the last value is in flight at instance a: instance b must not get it
            record_days(a, {last: values[last]})
            (consumer,) = runner_a.consumers
            now = _utcnow()
            held = a.outbox.claim(
                consumer.name,
                consumer.event_types,
                owner="a",
                lease=timedelta(minutes=5),
                limit=10,
                now=now,
            )
            assert len(held) == 1
            assert runner_b.drain() == 0, "an event held by another instance was handed out"
            consumer.handle(held)
            assert a.outbox.ack(consumer.name, [held[0].id], owner="a", now=now) == 1
            handled["a"] += 1

            assert runner_a.drain() == runner_b.drain() == 0
            self.assert_ledger(b, values)
        assert handled["a"] > 0 and handled["b"] > 0, handled
        assert sum(handled.values()) == len(values)
        assert outcomes == {"sent": len(values)}
        assert len(sink_sandbox.received) - writes == len(values), sink_sandbox.received[writes:]
        self.assert_tool_holds(tool_checkins(target), values, before)

    @pytest.mark.parametrize(
        "fault", [{"status": 429, "retry_after": 1}, {"status": 503}], ids=["429", "503"]
    )
    def test_flow_rate_limits_and_outages_are_retried(
        self,
        fault: dict[str, Any],
        tmp_path: Path,
        sink_config: dict[str, Any],
        target: dict[str, Any],
        sink_sandbox: Any,
        tool_checkins: ToolCheckins,
    ) -> None:
        if getattr(sink_sandbox, "faults", None) is None:
            pytest.skip(f"{self.sink_name} is not an HTTP client: its sandbox arms no faults")
        day = self.FLOW_DAY
        before = tool_checkins(target)
        writes = len(sink_sandbox.received)
        outcomes: Counter[str] = Counter()
        url = f"sqlite:///{tmp_path / 'flow.db'}"
        config, store = self.flow_store(sink_config, target, url, "a")
        with (
            store,
            open_runner(config, store, owner="a", outcomes=outcomes, retry=QUICK_RETRY) as runner,
        ):
            record_days(store, {day: 42.0})
            sink_sandbox.faults.add("", times=1, **fault)
            started = time.monotonic()
            assert runner.drain() == 1
            waited = time.monotonic() - started
            assert runner.drain() == 0
            assert store.outbox.failing(consumer_name(self.sink_name)) == []
        assert outcomes == {"sent": 1}, "retried within the call, not failed to the outbox"
        assert len(sink_sandbox.received) - writes == 1, sink_sandbox.received[writes:]
        self.assert_tool_holds(tool_checkins(target), {day: 42.0}, before)
        if "retry_after" in fault:
            assert waited >= fault["retry_after"], "the Retry-After was not waited"

    def test_flow_a_revoked_token_parks_the_sink_while_values_keep_being_stored(
        self,
        sql_store_url: str,
        sink_config: dict[str, Any],
        target: dict[str, Any],
        sink_sandbox: Any,
        tool_checkins: ToolCheckins,
        revoke: Callable[[], None],
    ) -> None:
        revoke()  # skips for a sink without credentials
        day, next_day = self.FLOW_DAY, self.FLOW_DAY + timedelta(days=1)
        before = tool_checkins(target)
        writes = len(sink_sandbox.received)
        config, store = self.flow_store(sink_config, target, sql_store_url, "a")
        with store:
            record_days(store, {day: 42.0})
            assert drain_sinks(config, store, owner="a")[self.sink_name] == {"parked": 1}
            (parked,) = store.parked_sinks()
            assert parked.sink == self.sink_name
            assert AUTH_WORDS.search(parked.reason), f"the reason names no auth problem: {parked}"
            for secret in self.secret_values:
                assert secret not in parked.reason, "a secret leaked into the parked reason"

            # values keep being stored; the parked sink claims nothing, its events wait
            assert record_days(store, {next_day: 43.0}) == 1
            assert [m.value for m in store.measurements(KR_ID)] == [42.0, 43.0]
            assert drain_sinks(config, store, owner="a")[self.sink_name].total() == 0
            assert [p.sink for p in store.parked_sinks()] == [self.sink_name]
            assert store.outbox.parked(consumer_name(self.sink_name)) == []
            assert store.outbox.failing(consumer_name(self.sink_name)) == []
        assert len(sink_sandbox.received) == writes, sink_sandbox.received[writes:]
        assert tool_checkins(target) == before
