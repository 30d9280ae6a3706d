"""A running daemon whose spool holds a batch the store refuses (as an older syncd left it):
the batch drains, the refused items are set aside and counted in ``/metrics``, the daemon keeps
storing, and ``syncd status`` and ``syncd dead-letters`` say so."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

from harness import Daemon, free_port, wait_until

from syncd.store import Store

WINDOW = "2026-10-01T00:00:00+00:00"


def poison_spool(path: Path) -> None:
    """The spool file an older syncd wrote: a bare NaN and an unknown KR in one batch."""
    batch = [
        {
            "key_result_id": kr,
            "value": value,
            "window_start": WINDOW,
            "window_end": WINDOW,
            "collected_at": WINDOW,
            "source": "warehouse",
            "query_fingerprint": "fp",
            "run_id": None,
            "note": None,
        }
        for kr, value in (("alpha", float("nan")), ("ghost", 1.0), ("beta", 9.0))
    ]
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE spooled (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "spooled_at TEXT NOT NULL, items TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO spooled (spooled_at, items) VALUES (?, ?)", (WINDOW, json.dumps(batch))
        )
    db.close()


def syncd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["COLUMNS"] = "80"
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def metric(port: int, name: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    return None


def test_a_refused_spooled_batch_is_set_aside_counted_and_shown(tmp_path, write_daemon_config):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    config = write_daemon_config(store_url, port=port)
    poison_spool(tmp_path / "syncd-spool.db")
    daemon = Daemon(config, tmp_path)
    try:
        replayed = daemon.wait_for_event("spool.replayed", timeout=40)
        assert replayed["measurements"] == 3
        wait_until(lambda: metric(port, "syncd_dead_letters") == 2.0, 20, "the gauge")
        assert metric(port, "syncd_spool_pending") == 0.0

        def slots_stored() -> bool:
            with Store.open(store_url) as store:
                return len(store.measurements("alpha")) >= 2

        wait_until(slots_stored, 20, "later slots stored")
    finally:
        assert daemon.stop() == 0
    set_aside = sorted(
        (e["kr"], e["reason"]) for e in daemon.events() if e["event"] == "measurement.set_aside"
    )
    assert set_aside == [
        ("alpha", "value nan is not a finite number"),
        ("ghost", "key result 'ghost' is not defined in the store"),
    ]
    with Store.open(store_url) as store:
        assert store.measurements("beta")[0].value == 9.0  # the good item landed

    status = syncd("status", "-c", str(config), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "2 measurements set aside; see `syncd dead-letters`" in status.stdout
    document = json.loads(syncd("status", "-c", str(config), "-f", "json", cwd=tmp_path).stdout)
    assert document["dead_letters"] == 2

    listed = syncd("dead-letters", "-c", str(config), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1] == f"    window {WINDOW} → {WINDOW}"
    assert "    value nan is not a finite number" in lines
    assert "    key result 'ghost' is not defined in the store" in lines
    assert lines[-1] == "2 measurements set aside"
    assert all(len(line) <= 80 for line in lines), listed.stdout
    letters = json.loads(
        syncd("dead-letters", "-c", str(config), "-f", "json", cwd=tmp_path).stdout
    )
    assert letters["total"] == 2
    by_kr = {letter["key_result"]: letter for letter in letters["dead_letters"]}
    assert by_kr["alpha"]["item"]["value"] == "nan"
    assert by_kr["ghost"]["attempts"] == 1
    assert by_kr["ghost"]["item"]["window_end"] == WINDOW
