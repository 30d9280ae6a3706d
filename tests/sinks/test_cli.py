"""``syncd push`` and ``syncd check-sinks`` (and the sink line of ``syncd sync``) as a user
runs them: a subprocess, piped, 80 columns, the recording tool over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.sinks.conftest import TOKEN, make_warehouse, write_config
from tests.sinks.recording import RecordingSandbox

REPO = Path(__file__).resolve().parents[2]
RUNNER = "import tests.sinks.recording as r; r.main()"


def syncd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env.update(COLUMNS="80", REC_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path: Path, tool: RecordingSandbox) -> Path:
    make_warehouse(tmp_path / "warehouse.db", {"2026-11-19": 3, "2026-11-20": 5, "2026-11-21": 2})
    return write_config(tmp_path, store=f"sqlite:///{tmp_path}/syncd.db", url=tool.url)


def assert_plain(done: subprocess.CompletedProcess[str], *, fits: bool = True) -> None:
    """No traceback, no secret; ``fits``: every line within 80 columns (an upstream's error
    text may be longer: it is printed whole, never broken mid-line)."""
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert TOKEN not in text
    if fits:
        assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout


def test_sync_then_push_delivers_once_and_push_is_idempotent(
    workspace: Path, tool: RecordingSandbox, tmp_path: Path
) -> None:
    synced = syncd("sync", "-c", str(workspace), "--as-of", "2026-11-21T10:30", cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert "sink tool: 1 sent" in synced.stdout
    backfilled = syncd(
        "backfill",
        "-c",
        str(workspace),
        "--since",
        "2026-11-19",
        "--until",
        "2026-11-22T10:00",
        cwd=tmp_path,
    )
    assert backfilled.returncode == 0, backfilled.stderr
    assert len(tool.received) == 1  # backfill stores history; it does not push it

    pushed = syncd("push", "-c", str(workspace), "--since", "2026-11-19", cwd=tmp_path)
    assert_plain(pushed)
    assert pushed.returncode == 0, pushed.stderr
    # stored: Nov 19 (3), Nov 20 (5, delivered by sync), Nov 21 (2)
    assert pushed.stdout.splitlines() == [
        "tool signups: 2 sent, 1 unchanged, 0 failed",
        "since 2026-11-19: 2 sent, 1 unchanged, 0 failed",
    ]
    assert tool.checkins("g-1") == [
        (date(2026, 11, 19), 3.0),
        (date(2026, 11, 20), 5.0),
        (date(2026, 11, 21), 2.0),
    ]
    again = syncd(
        "push", "-c", str(workspace), "--since", "2026-11-19", "--kr", "signups", cwd=tmp_path
    )
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "since 2026-11-19: 0 sent, 3 unchanged, 0 failed"
    assert len(tool.received) == 3


def test_check_sinks_compares_and_changes_nothing(
    workspace: Path, tool: RecordingSandbox, tmp_path: Path
) -> None:
    syncd("sync", "-c", str(workspace), "--as-of", "2026-11-21T10:30", cwd=tmp_path)
    tool.goals["g-1"]["checkins"][0]["value"] = 4.0  # someone edited it in the tool
    writes = len(tool.received)

    checked = syncd("check-sinks", "-c", str(workspace), cwd=tmp_path)
    assert_plain(checked)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines() == [
        "✓ tool (recording): signed in as syncd-bot",
        "    signups: differs",
        "      tool shows 4 on 2026-11-20; syncd would send 5 for 2026-11-20",
    ]
    assert len(tool.received) == writes


def test_a_revoked_token_fails_check_sinks_with_a_hint_and_exit_1(
    workspace: Path, tool: RecordingSandbox, tmp_path: Path
) -> None:
    tool.revoke()
    checked = syncd("check-sinks", "-c", str(workspace), cwd=tmp_path)
    assert_plain(checked, fits=False)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("✗ tool (recording): Recording answered 401 to /me")
    assert "hint: check the credentials" in checked.stdout
    assert "sinks.tool" in checked.stdout


def test_an_unknown_sink_is_a_config_error(workspace: Path, tmp_path: Path) -> None:
    done = syncd(
        "push", "-c", str(workspace), "--since", "2026-11-19", "--sink", "tol", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "--sink 'tol': no such sink" in done.stderr
    assert "did you mean 'tool'?" in done.stderr
    assert "Traceback" not in done.stderr
