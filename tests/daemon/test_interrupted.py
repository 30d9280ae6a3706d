"""A backfill killed with SIGKILL mid-way leaves open runs; the next syncd closes them as
``interrupted``, and neither ``syncd status`` nor the daemon's metrics take them for failures."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

from harness import SLOW_SQL, Daemon, free_port, wait_until

from syncd.store import Store


def _open_runs(store_url: str) -> list[str]:
    with Store.open(store_url) as store:
        return [run.id for run in store.runs(limit=500) if run.finished_at is None]


def test_runs_of_a_killed_backfill_are_closed_as_interrupted_at_start(
    tmp_path, write_daemon_config
):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    config = write_daemon_config(
        store_url,
        port=port,
        alpha_sql=SLOW_SQL.format(n=400_000, value=1.5),
        beta_sql=SLOW_SQL.format(n=400_000, value=2.5),
    )
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    since = (datetime.now(UTC) - timedelta(days=9)).date().isoformat()
    killed = []
    for _ in range(3):
        backfill = subprocess.Popen(
            [sys.executable, "-m", "syncd", "backfill", "-c", str(config), "--since", since],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            open_runs = wait_until(lambda: _open_runs(store_url), 60, "a backfill run in flight")
        finally:
            backfill.kill()
            backfill.wait(10)
        killed.extend(open_runs)
    assert killed and set(_open_runs(store_url)) >= set(killed)

    daemon = Daemon(config, tmp_path)
    try:
        daemon.wait_for_event("daemon.ready", timeout=40)
        closed = daemon.wait_for_event("runs.interrupted", timeout=5)
        wait_until(
            lambda: b'syncd_source_up{source="warehouse"} 1.0' in _get(port, "/metrics"),
            40,
            "a measured slot",
        )
        metrics = _get(port, "/metrics").decode()
    finally:
        assert daemon.stop() == 0
    assert set(closed["runs"]) == set(killed)
    assert 'outcome="interrupted"' not in metrics
    assert 'syncd_sync_runs_total{outcome="failed",source="warehouse"}' not in metrics

    with Store.open(store_url) as store:
        runs = {run.id: run for run in store.runs(limit=500)}
    assert [run_id for run_id, run in runs.items() if run.finished_at is None] == []
    assert {runs[run_id].outcome for run_id in killed} == {"interrupted"}
    assert all(runs[run_id].measurements == 0 for run_id in killed)

    status = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "-c", str(config), "--format", "json"],
        cwd=tmp_path,
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "Traceback" not in status.stderr
    key_results = {kr["id"]: kr for kr in json.loads(status.stdout)["key_results"]}
    assert key_results["alpha"]["value"] == 1.5
    assert key_results["beta"]["value"] == 2.5


def test_a_running_daemon_closes_the_runs_of_a_backfill_killed_beside_it(
    tmp_path, write_daemon_config
):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_daemon_config(
        store_url,
        lease="3s",
        alpha_sql=SLOW_SQL.format(n=400_000, value=1.5),
        beta_sql=SLOW_SQL.format(n=400_000, value=2.5),
    )
    daemon = Daemon(config, tmp_path)
    try:
        daemon.wait_for_event("daemon.ready", timeout=40)
        since = (datetime.now(UTC) - timedelta(days=9)).date().isoformat()
        backfill = subprocess.Popen(
            [sys.executable, "-m", "syncd", "backfill", "-c", str(config), "--since", since],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        owner = f":{backfill.pid}"

        def backfill_run() -> list[str]:
            with Store.open(store_url) as store:
                return [
                    run.id
                    for run in store.runs(limit=500)
                    if run.finished_at is None and (run.owner or "").endswith(owner)
                ]

        try:
            killed = wait_until(backfill_run, 60, "a backfill run in flight")
        finally:
            backfill.kill()
            backfill.wait(10)
        closed = wait_until(
            lambda: next(
                (
                    e
                    for e in daemon.events()
                    if e.get("event") == "runs.interrupted" and set(killed) <= set(e["runs"])
                ),
                None,
            ),
            30,
            "the daemon's sweep",
        )
    finally:
        assert daemon.stop() == 0
    assert closed["owners"] == [f"{socket.gethostname()}{owner}"]
    assert backfill_run() == []


def _get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return answer.read()
