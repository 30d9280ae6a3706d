"""The sink extension point: entry-point group, lazy load by name, the contract checked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import pytest

from syncd import registry
from syncd.abc import Sink, SinkConfig, TargetModel
from syncd.registry import (
    SinkLoadError,
    UnknownSink,
    available_sinks,
    load_sink,
    register_sink,
    unregister_sink,
)
from tests.sinks.recording import GoalTarget, RecordingConfig, RecordingSink


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    for name in ("recording", "other"):
        with contextlib.suppress(UnknownSink):
            unregister_sink(name)


def test_a_registered_sink_loads_by_name_and_is_listed() -> None:
    register_sink("recording", RecordingSink)
    assert load_sink("recording") is RecordingSink
    assert "recording" in available_sinks()
    unregister_sink("recording")
    assert "recording" not in available_sinks()


def test_an_unknown_sink_names_the_available_ones() -> None:
    register_sink("recording", RecordingSink)
    with pytest.raises(UnknownSink) as raised:
        load_sink("perdooo")
    assert (
        str(raised.value)
        == f"unknown sink type 'perdooo' (available: {', '.join(available_sinks())})"
    )
    assert "recording" in raised.value.available


def test_the_group_is_syncd_sinks() -> None:
    assert registry.SINKS.group == "syncd.sinks"


def test_the_type_literal_must_be_the_registered_name() -> None:
    with pytest.raises(SinkLoadError, match=r"RecordingConfig.type must be Literal\['other'\]"):
        register_sink("other", RecordingSink)


def test_a_sink_must_implement_deliver_read_and_check() -> None:
    class Half(Sink[RecordingConfig, GoalTarget]):
        config_model = RecordingConfig
        target_model = GoalTarget

        def deliver(self, delivery, previous):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    with pytest.raises(SinkLoadError, match="does not implement read, check"):
        register_sink("recording", Half)


def test_a_sink_needs_its_models() -> None:
    class NoTarget(RecordingSink):
        target_model = SinkConfig  # type: ignore[assignment]

    with pytest.raises(SinkLoadError, match="has no TargetModel 'target_model'"):
        register_sink("recording", NoTarget)

    class Cfg(SinkConfig):
        type: Literal["recording"]

    class NoConfig(RecordingSink):
        config_model = TargetModel  # type: ignore[assignment]

    with pytest.raises(SinkLoadError, match="has no SinkConfig 'config_model'"):
        register_sink("recording", NoConfig)


def test_not_a_sink_class_is_refused() -> None:
    with pytest.raises(SinkLoadError, match=r"not a subclass of syncd\.abc\.Sink"):
        register_sink("recording", object)  # type: ignore[arg-type]
