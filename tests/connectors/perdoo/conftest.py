"""The Perdoo sink against its sandbox, through real HTTP: the fixtures every sink's tests
provide (``sink_sandbox``, ``sink_config``, ``target``, ``make_sink``, ``tool_checkins``,
``revoke``) and helpers making deliveries as the framework does.

The sandbox's company comes from seed 20261001: its first key result is "Weekly active teams
to 400", from 120 to 400, with no commits; tests read its id from the sandbox's state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.perdoo import PerdooSink, PerdooSinkConfig, PerdooTarget
from connectors.perdoo.sandbox import ENDPOINT, PerdooSandbox
from syncd.abc import ConnectorContext, Delivery, RetryPolicy, Window

ZURICH = ZoneInfo("Europe/Zurich")
SEED = 20261001
TOKEN = "9c0ffee1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
DAY = date(2026, 11, 20)


@pytest.fixture
def sink_sandbox() -> Iterator[PerdooSandbox]:
    with PerdooSandbox(seed=SEED, token=TOKEN) as sandbox:
        yield sandbox


@pytest.fixture
def sink_config(sink_sandbox: PerdooSandbox) -> dict[str, Any]:
    return {
        "type": "perdoo",
        "url": f"{sink_sandbox.url}/graphql/",
        "token": TOKEN,
        "timeout_seconds": 5,
    }


@pytest.fixture
def target(sink_sandbox: PerdooSandbox) -> dict[str, Any]:
    return {"key_result": sink_sandbox.key_results[0].id}


@pytest.fixture
def waits() -> list[float]:
    """What the retries waited (they do not really sleep)."""
    return []


@pytest.fixture
def make_sink(
    sink_config: dict[str, Any], waits: list[float]
) -> Iterator[Callable[..., PerdooSink]]:
    made: list[PerdooSink] = []

    def make(**overrides: Any) -> PerdooSink:
        config = PerdooSinkConfig.model_validate(sink_config | overrides)
        context = ConnectorContext(
            source="perdoo",
            timezone=ZURICH,
            limiter=PerdooSink.limiter_for(config),
            retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.02, max_retry_after=5),
            sleep=waits.append,
        )
        sink = PerdooSink(config, context)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


@pytest.fixture
def tool_checkins(
    sink_sandbox: PerdooSandbox,
) -> Callable[[dict[str, Any]], list[tuple[date, float]]]:
    def checkins(target_dict: dict[str, Any]) -> list[tuple[date, float]]:
        return [(c.day, c.value) for c in sink_sandbox.commits_of(str(target_dict["key_result"]))]

    return checkins


@pytest.fixture
def arm_fault(sink_sandbox: PerdooSandbox) -> Iterator[Callable[..., None]]:
    """``arm_fault(*, status, retry_after, html, truncate, times)``: the next ``times`` calls
    answer with that fault (replacing what was armed), as the conformance kits arm them."""

    def arm(
        *,
        status: int | None = None,
        retry_after: float | None = None,
        html: bool = False,
        truncate: bool = False,
        times: int = 1,
    ) -> None:
        faults = sink_sandbox.faults
        faults.clear()
        if times == 0:
            return
        if html:
            page = "<!DOCTYPE html><html><body>Sign in to Perdoo</body></html>"
            faults.add(ENDPOINT, status=200, body=page, times=times)
        elif truncate:
            faults.add(ENDPOINT, status=200, truncate=True, times=times)
        else:
            faults.add(ENDPOINT, status=status, retry_after=retry_after, times=times)

    yield arm
    sink_sandbox.faults.clear()


@pytest.fixture
def revoke(sink_sandbox: PerdooSandbox) -> Callable[[], None]:
    return sink_sandbox.revoke


def delivery(
    target_dict: dict[str, Any],
    value: float,
    day: date = DAY,
    *,
    status: str | None = "on_track",
    note: str = "booking-db: bookings of 2026-11-20 (Europe/Zurich)",
) -> Delivery[PerdooTarget]:
    """A delivery as the framework makes it: the value of ``day``'s whole local day."""
    start = datetime(day.year, day.month, day.day, tzinfo=ZURICH)
    return Delivery(
        kr_id="bookings",
        kr_title="Weekly active teams",
        target=PerdooTarget.model_validate(target_dict),
        key=f"bookings:{day.isoformat()}",
        value=value,
        unit=None,
        day=day,
        window=Window(start, start + timedelta(days=1)),
        measured_at=datetime(2026, 11, 21, 6, 0, tzinfo=UTC),
        source="booking-db",
        status=status,
        note=note,
    )
