"""Outside systemd, with a permissive umask, everything ``syncd run`` and the CLI write is
private: files 0600, the directories they create 0700."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from harness import Daemon, wait_until

from syncd.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_wal_spool_lock_and_reports_are_private(tmp_path, write_daemon_config):
    state = tmp_path / "state"
    store_path = state / "store.db"
    config = write_daemon_config(f"sqlite:///{store_path}")
    spool = Path(f"{config.with_suffix('')}-spool.db")
    previous = os.umask(0o022)  # the daemon inherits it
    try:
        daemon = Daemon(config, tmp_path)
        try:
            daemon.wait_for_event("daemon.ready", timeout=40)

            def measured() -> bool:
                with Store.open(f"sqlite:///{store_path}") as store:
                    return bool(store.measurements("alpha"))

            wait_until(measured, 30, "a measurement")
            files = {
                path: mode(path)
                for path in (
                    store_path,
                    Path(f"{store_path}-wal"),
                    Path(f"{store_path}-shm"),
                    Path(f"{store_path}.daemon.lock"),
                    spool,
                )
            }
        finally:
            assert daemon.stop() == 0
        report = tmp_path / "review.md"
        exported = tmp_path / "measurements.csv"
        for command in (
            ["report", "--cycle", "now", "--out", str(report)],
            ["export", "--out", str(exported)],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "syncd", *command, "-c", str(config)],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
    finally:
        os.umask(previous)
    assert files == dict.fromkeys(files, 0o600)
    assert mode(state) == 0o700
    assert (mode(report), mode(exported)) == (0o600, 0o600)
