"""The sink conformance kit: one pytest mixin every sink's tests subclass.

Subclass :class:`SinkConformance` in a ``Test…`` class beside your sandbox fixtures; its tests
then check the contract of :class:`syncd.abc.Sink` against your real sink and its sandbox::

    from syncd.testing import SinkConformance

    class TestPerdooSinkConformance(SinkConformance):
        sink_name = "perdoo"
        secret_values = ("perdoo-test-token",)

What the subclass (or its conftest) provides, under these exact names:

``sink_name`` (class attribute)
    The entry-point name, equal to the config model's ``type`` literal.
``secret_values`` (class attribute)
    Strings that must never appear in reprs, error messages or logs.
``append_only`` (class attribute, default False)
    True for a tool that can only add check-ins (Quantive, Tability): a revised value for a
    day then adds one check-in holding it (never a duplicate of an equal value), instead of
    updating the day's one.
``current_value_only`` (class attribute, default False)
    True for a tool that holds one current value per KR, not a history by day (Weekdone's
    key-result progress, a sheet's row per KR): the kit then checks the value it holds, and a
    newer day's value replaces the older one.
``sink_sandbox`` (fixture)
    The started sandbox (a :class:`~syncd.testing.sandbox.LocalServer`) with ``faults`` (a
    :class:`~syncd.testing.sandbox.Faults` whose rule lets the path ``""`` match every
    request: ``substring`` or ``prefix``) and ``received``, the list of WRITE requests it
    recorded (one item per write).
``sink_config`` (fixture)
    The sink's raw config dict pointing at the sandbox, secrets as literal test values.
``target`` (fixture)
    A raw target dict of one KR that exists in the sandbox.
``make_sink`` (fixture)
    A callable ``make_sink(**config_overrides) -> Sink`` built against the sandbox with a
    fast ``sleep`` in its context, closed at teardown (``close`` must be idempotent).
``tool_checkins`` (fixture)
    A callable ``tool_checkins(target_dict) -> list[tuple[date, float]]``: what the tool holds
    for that KR, read from the sandbox's state (not through the sink), oldest first.
``revoke`` (fixture)
    A callable that makes the sandbox refuse the current credentials (401) from then on.
``unknown_target`` (fixture, optional)
    A raw target dict of a KR the tool does not have; without it the kit's unknown-target
    test is skipped (saying so).

``sql_store_url`` (fixture)
    A URL of an empty SQL store, once per SQL backend, for the tests driving the sink through
    the framework (:mod:`syncd.testing.sinkflow`); syncd's ``tests/conftest.py`` provides it.

The kit's deliveries are for the KR ``conformance-kr`` on days of December 2026 in
Europe/Zurich (:func:`make_delivery`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError
from structlog.testing import capture_logs

from syncd.abc import Delivery, Reading, Receipt, Sink, TargetModel, Window
from syncd.errors import AuthError, QueryError
from syncd.registry import available_sinks, load_sink
from syncd.testing.sinkflow import SinkFlowConformance

ZURICH = ZoneInfo("Europe/Zurich")
KR_ID = "conformance-kr"

MakeSink = Callable[..., Sink[Any, Any]]
ToolCheckins = Callable[[dict[str, Any]], list[tuple[date, float]]]


def make_delivery(
    target: TargetModel, value: float, day: date, *, status: str | None = "on_track"
) -> Delivery[TargetModel]:
    """A delivery of ``value`` for ``day`` (that local day's whole window in Europe/Zurich),
    as the framework builds one: key ``conformance-kr@<day>``, a note naming the window."""
    start = datetime(day.year, day.month, day.day, tzinfo=ZURICH)
    end = start + timedelta(days=1)
    return Delivery(
        kr_id=KR_ID,
        kr_title="Conformance: signups from 0 to 400",
        target=target,
        key=f"{KR_ID}@{day.isoformat()}",
        value=value,
        unit="signups",
        day=day,
        window=Window(start, end),
        measured_at=end + timedelta(hours=6),
        source="warehouse",
        status=status,
        note=f"syncd: warehouse, {day.isoformat()}",
    )


class SinkConformance(SinkFlowConformance):
    """Pytest mixin checking a sink against the :class:`~syncd.abc.Sink` contract (see the
    module documentation for what a subclass provides), and its delivery through the
    framework (:class:`~syncd.testing.sinkflow.SinkFlowConformance`)."""

    sink_name: ClassVar[str]
    secret_values: ClassVar[tuple[str, ...]] = ()
    append_only: ClassVar[bool] = False
    current_value_only: ClassVar[bool] = False

    DAY: ClassVar[date] = date(2026, 12, 3)

    # ---- helpers ----------------------------------------------------------------------------

    def assert_no_secrets(self, text: str, where: str) -> None:
        """Fail if any of ``secret_values`` occurs in ``text``."""
        for secret in self.secret_values:
            assert secret not in text, f"a secret value leaked into {where}: {text!r}"

    def typed_target(self, target: dict[str, Any]) -> TargetModel:
        """``target`` validated by the sink's target model."""
        return load_sink(self.sink_name).target_model.model_validate(target)

    def on_day(self, checkins: list[tuple[date, float]], day: date) -> list[float]:
        """The values the tool holds for ``day``, oldest first; for a tool holding only a
        current value (``current_value_only``), that value whatever its day."""
        if self.current_value_only:
            return [value for _, value in checkins]
        return [value for when, value in checkins if when == day]

    # ---- registration and models ------------------------------------------------------------

    def test_registered_under_the_entry_point(self, make_sink: MakeSink) -> None:
        assert self.sink_name in available_sinks()
        cls = load_sink(self.sink_name)
        assert cls.keeps_history is not self.current_value_only, (
            "current_value_only must say what the sink's keeps_history says"
        )
        with make_sink() as sink:
            assert isinstance(sink, cls)
            assert sink.context.source, "the sink's context names it"

    def test_config_and_target_round_trip(
        self, sink_config: dict[str, Any], target: dict[str, Any]
    ) -> None:
        cls = load_sink(self.sink_name)
        config = cls.config_model.model_validate(sink_config)
        assert config.type == self.sink_name
        assert cls.config_model.model_validate(config.model_dump()) == config
        typed = cls.target_model.model_validate(target)
        assert cls.target_model.model_validate(typed.model_dump()) == typed

    @pytest.mark.parametrize("which", ["config", "target"])
    def test_unknown_keys_are_rejected(
        self, which: str, sink_config: dict[str, Any], target: dict[str, Any]
    ) -> None:
        cls = load_sink(self.sink_name)
        model: type[BaseModel] = cls.config_model if which == "config" else cls.target_model
        raw = sink_config if which == "config" else target
        with pytest.raises(ValidationError, match="not_a_real_key"):
            model.model_validate({**raw, "not_a_real_key": 1})

    def test_secrets_stay_out_of_the_config_text(self, sink_config: dict[str, Any]) -> None:
        config = load_sink(self.sink_name).config_model.model_validate(sink_config)
        self.assert_no_secrets(repr(config), "repr of the config")
        self.assert_no_secrets(str(config), "str of the config")

    # ---- delivering -------------------------------------------------------------------------

    def test_delivers_exactly_once(
        self,
        make_sink: MakeSink,
        sink_sandbox: Any,
        target: dict[str, Any],
        tool_checkins: ToolCheckins,
    ) -> None:
        before = len(sink_sandbox.received)
        with make_sink() as sink:
            receipt = sink.deliver(make_delivery(self.typed_target(target), 42.0, self.DAY), None)
        assert isinstance(receipt, Receipt)
        assert receipt.sent is True
        assert len(sink_sandbox.received) - before == 1, sink_sandbox.received[before:]
        assert self.on_day(tool_checkins(target), self.DAY) == [42.0]

    def test_the_same_delivery_with_its_receipt_adds_nothing(
        self, make_sink: MakeSink, target: dict[str, Any], tool_checkins: ToolCheckins
    ) -> None:
        delivery = make_delivery(self.typed_target(target), 42.0, self.DAY)
        with make_sink() as sink:
            receipt = sink.deliver(delivery, None)
            held = tool_checkins(target)
            again = sink.deliver(delivery, receipt)
        assert tool_checkins(target) == held
        assert self.on_day(held, self.DAY) == [42.0]
        if self.append_only:
            assert again.sent is False, "an append-only tool must not add the value again"

    def test_a_revised_value_keeps_one_checkin_for_its_day(
        self, make_sink: MakeSink, target: dict[str, Any], tool_checkins: ToolCheckins
    ) -> None:
        typed = self.typed_target(target)
        with make_sink() as sink:
            first = sink.deliver(make_delivery(typed, 42.0, self.DAY), None)
            second = sink.deliver(make_delivery(typed, 44.5, self.DAY), first)
            assert second.sent is True
            sink.deliver(make_delivery(typed, 44.5, self.DAY), second)
        values = self.on_day(tool_checkins(target), self.DAY)
        if self.append_only:
            assert values == [42.0, 44.5], "append-only: the revision once, no duplicate"
        else:
            assert values == [44.5], "the day's one check-in holds the revised value"

    def test_another_day_is_another_checkin(
        self, make_sink: MakeSink, target: dict[str, Any], tool_checkins: ToolCheckins
    ) -> None:
        typed = self.typed_target(target)
        next_day = self.DAY + timedelta(days=1)
        with make_sink() as sink:
            sink.deliver(make_delivery(typed, 42.0, self.DAY), None)
            sink.deliver(make_delivery(typed, 43.0, next_day), None)
        held = tool_checkins(target)
        if self.current_value_only:
            assert [value for _, value in held] == [43.0], "the newer day's value replaces it"
            return
        assert self.on_day(held, self.DAY) == [42.0]
        assert self.on_day(held, next_day) == [43.0]

    @pytest.mark.parametrize(
        "fault", [{"status": 429, "retry_after": 1}, {"status": 503}], ids=["429", "503"]
    )
    def test_rate_limits_and_outages_are_retried(
        self,
        fault: dict[str, Any],
        make_sink: MakeSink,
        sink_sandbox: Any,
        target: dict[str, Any],
        tool_checkins: ToolCheckins,
    ) -> None:
        if getattr(sink_sandbox, "faults", None) is None:
            pytest.skip(f"{self.sink_name} is not an HTTP client: its sandbox arms no faults")
        with make_sink() as sink:
            sink_sandbox.faults.add("", times=1, **fault)
            sink.deliver(make_delivery(self.typed_target(target), 42.0, self.DAY), None)
        assert self.on_day(tool_checkins(target), self.DAY) == [42.0]

    def test_read_shows_the_delivered_value(
        self, make_sink: MakeSink, target: dict[str, Any]
    ) -> None:
        typed = self.typed_target(target)
        with make_sink() as sink:
            sink.deliver(make_delivery(typed, 42.0, self.DAY), None)
            reading = sink.read(typed)
        assert isinstance(reading, Reading)
        assert reading.value == 42.0
        assert reading.day in (None, self.DAY)

    def test_check_says_what_it_checked(self, make_sink: MakeSink) -> None:
        with make_sink() as sink:
            text = sink.check()
        assert isinstance(text, str) and text.strip()
        self.assert_no_secrets(text, "check()")

    # ---- failures ---------------------------------------------------------------------------

    def test_a_revoked_token_is_an_auth_error_without_secrets(
        self, make_sink: MakeSink, target: dict[str, Any], revoke: Callable[[], None]
    ) -> None:
        with capture_logs() as logs, make_sink() as sink:
            revoke()
            with pytest.raises(AuthError) as raised:
                sink.deliver(make_delivery(self.typed_target(target), 42.0, self.DAY), None)
            with pytest.raises(AuthError) as checked:
                sink.check()
        for error in (raised.value, checked.value):
            assert str(error).strip()
            self.assert_no_secrets(str(error), "the AuthError message")
            self.assert_no_secrets(repr(error), "repr of the AuthError")
        for entry in logs:
            self.assert_no_secrets(repr(entry), "the logs")

    def test_an_unknown_target_is_a_query_error(
        self, make_sink: MakeSink, request: pytest.FixtureRequest
    ) -> None:
        try:
            unknown: dict[str, Any] = request.getfixturevalue("unknown_target")
        except pytest.FixtureLookupError:
            pytest.skip("provide an 'unknown_target' fixture to check this")
        typed = self.typed_target(unknown)
        with make_sink() as sink:
            with pytest.raises(QueryError) as raised:
                sink.deliver(make_delivery(typed, 42.0, self.DAY), None)
            with pytest.raises(QueryError):
                sink.read(typed)
        self.assert_no_secrets(str(raised.value), "the QueryError message")
