"""The daemon's listener and its checks, without a daemon: served on a free port over an
in-memory store, asked over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from harness import free_port

from syncd import __version__
from syncd.daemon.listener import (
    migrations_current,
    ready_line,
    scheduler_alive,
    start_listener,
    store_writable,
)
from syncd.observe import Telemetry
from syncd.session import load
from syncd.store import open_store

BEAT = timedelta(seconds=5)


def test_the_scheduler_is_alive_while_it_runs_and_beats():
    scheduler = BackgroundScheduler()
    assert scheduler_alive(None, 100.0, every=BEAT, now=100.0) == "not running"
    assert scheduler_alive(scheduler, 100.0, every=BEAT, now=100.0) == "not running"
    scheduler.start()
    try:
        assert scheduler_alive(scheduler, 100.0, every=BEAT, now=130.0) is True  # six beats
        assert scheduler_alive(scheduler, 100.0, every=BEAT, now=131.0) == "no heartbeat for 31s"
    finally:
        scheduler.shutdown(wait=False)


def test_the_store_checks_pass_on_a_migrated_store_and_name_an_unmigrated_one(tmp_path):
    memory = open_store("memory://")
    assert store_writable(memory) is True
    assert migrations_current(memory) is True
    bare = open_store(f"sqlite:///{tmp_path / 'bare.db'}", upgrade=False)
    try:
        assert migrations_current(bare) == "store not migrated to this version"
    finally:
        bare.close()


def test_the_ready_line_without_a_listener(write_daemon_config: Callable[..., Path]):
    config = write_daemon_config()
    line = ready_line(load(config), "sqlite:///x.db", 3, None)
    assert line == (
        f"syncd {__version__} ready: config {config}, store sqlite:///x.db, 3 jobs, "
        "listening on no listener"
    )


def test_the_listener_answers_probes_from_its_checks(write_daemon_config):
    loaded = load(write_daemon_config())
    port = free_port()
    alive: list[bool | str] = ["not running"]
    server = start_listener(
        f"127.0.0.1:{port}",
        telemetry=Telemetry(),
        store=open_store("memory://"),
        loaded=lambda: loaded,
        scheduler_alive=lambda: alive[0],
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert server.port == port
        live = httpx.get(f"{base}/livez")
        assert (live.status_code, live.text) == (503, "failing\nscheduler: not running\n")
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {
            "store": "ok",
            "migrations": "ok",
            "scheduler": "not running",
        }
        alive[0] = True
        assert (
            httpx.get(f"{base}/livez").status_code,
            httpx.get(f"{base}/readyz").status_code,
        ) == (
            200,
            200,
        )
    finally:
        server.stop()
