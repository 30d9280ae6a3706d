"""Where a person sees how the sinks are doing: the daemon's event stage and ``/metrics``,
``syncd status`` (text and JSON) and the dashboard's health strip with ``/api/v1/sources``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.config import LoadedConfig
from syncd.daemon.stage import EventStage
from syncd.observe import Telemetry
from syncd.store import Store
from syncd.sync import Syncer
from syncd.web.app import create_dashboard_app
from tests.sinks.conftest import load, make_warehouse, write_config
from tests.sinks.recording import RecordingSandbox
from tests.sinks.test_cli import syncd

ZURICH = ZoneInfo("Europe/Zurich")
NOV_21 = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)


@pytest.fixture
def workspace(tmp_path: Path, tool: RecordingSandbox) -> LoadedConfig:
    make_warehouse(tmp_path / "warehouse.db", {"2026-11-20": 5, "2026-11-21": 2})
    return load(write_config(tmp_path, store=f"sqlite:///{tmp_path}/syncd.db", url=tool.url))


@pytest.fixture
def store(workspace: LoadedConfig) -> Iterator[Store]:
    with Store.open(workspace.config.store.get_secret_value(), owner="t") as opened:
        opened.sync_definitions(workspace.config)
        yield opened


def metric(telemetry: Telemetry, line_start: str) -> float | None:
    text = telemetry.render()[0].decode()
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_the_event_stage_delivers_counts_and_parks(
    workspace: LoadedConfig, store: Store, tool: RecordingSandbox
) -> None:
    telemetry = Telemetry()
    stage = EventStage(workspace, store, telemetry, owner="t")
    try:
        Syncer(workspace).run(store, NOV_21)
        stage.tick()
        assert tool.checkins("g-1") == [(date(2026, 11, 20), 5.0)]
        sent = 'syncd_sink_deliveries_total{outcome="sent",sink="tool"}'
        assert metric(telemetry, sent) == 1.0
        assert metric(telemetry, 'syncd_sink_parked{sink="tool"}') == 0.0

        tool.revoke()
        Syncer(workspace).run(store, NOV_21 + timedelta(days=1))
        stage.tick()
        assert metric(telemetry, 'syncd_sink_parked{sink="tool"}') == 1.0
        parked = 'syncd_sink_deliveries_total{outcome="parked",sink="tool"}'
        assert metric(telemetry, parked) == 1.0

        old = stage.sinks["tool"]
        stage.reload(workspace)  # SIGHUP: the old sink is closed, the new one still parked
        assert old.closed is True  # type: ignore[attr-defined]
        assert stage.sinks["tool"] is not old
        assert [p.sink for p in store.parked_sinks()] == ["tool"]
    finally:
        stage.close()
    assert stage.sinks == {}


def test_status_and_the_dashboard_show_a_parked_sink(
    workspace: LoadedConfig, store: Store, tool: RecordingSandbox, tmp_path: Path
) -> None:
    Syncer(workspace).run(store, NOV_21)
    parked_at = datetime(2026, 11, 21, 9, 45, tzinfo=UTC)
    store.park_sink("tool", "tool: Recording answered 401 to /me", now=parked_at)

    text = syncd("status", "-c", str(tmp_path / "okrs.yaml"), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert (
        "sink tool (recording) parked since 2026-11-21 10:45: tool: Recording answered 401 to /me"
        in text.stdout
    )
    document = json.loads(
        syncd("status", "-c", str(tmp_path / "okrs.yaml"), "--format", "json", cwd=tmp_path).stdout
    )
    assert document["sinks"] == [
        {
            "name": "tool",
            "type": "recording",
            "parked": True,
            "parked_reason": "tool: Recording answered 401 to /me",
            "parked_at": "2026-11-21T09:45:00+00:00",
            "undelivered": 0,
            "last_error": None,
            "delivered": 0,
            "last_delivered_at": None,
        }
    ]

    app = create_dashboard_app(workspace, lambda: store, token=None, clock=lambda: NOV_21)
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'data-sink="tool"' in page
    assert "parked since" in page and "Recording answered 401 to /me" in page
    sources = client.get("/api/v1/sources").get_json()
    assert sources["sinks"][0]["name"] == "tool" and sources["sinks"][0]["parked"] is True
