"""`syncd validate` on hostile files, as a subprocess: exit 2, the place and the fix on one
line, no traceback, and no hang (the timeout is generous: it catches hangs, it measures nothing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HANG = 60  # seconds; a healthy run takes about one


def billion_laughs() -> str:
    text = "x-0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in range(1, 12):
        text += f"x-{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
    return text


def demo_with(old: str, new: str) -> str:
    text = (ROOT / "config" / "demo.yaml").read_text()
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# A handful: each of these and more is covered in-process by test_config_hostile.py.
CASES = {
    "billion-laughs": (billion_laughs(), "lol, lol", "aliases (*name) expand too much"),
    "deep-nesting": ("x-a: " + "[" * 50_000 + "]" * 50_000 + "\n", "x-a", "levels deep"),
    "impossible-date": (
        demo_with("end: 2026-12-31", "end: 2026-02-30"),
        "2026-02-30",
        "expected a date (YYYY-MM-DD)",
    ),
    "never-firing-cron": (
        demo_with("schedule: hourly", "schedule: '0 0 30 2 *'"),
        "0 0 30 2",
        "never fires",
    ),
    "nan-target": (demo_with("target: 0.70", "target: .nan"), ".nan", "a finite number"),
    "secret-device": (
        demo_with('"${env:HUBSPOT_TOKEN:-pat-sandbox-0000-private-app}"', '"${file:/dev/zero}"'),
        "/dev/zero",
        "is not a regular file (a device)",
    ),
    "literal-token": (
        demo_with('"${env:ZENDESK_TOKEN:-sandbox-token}"', "plain-zendesk-token"),
        "plain-zendesk-token",
        "secrets are references, never literals",
    ),
}


def validate(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["COLUMNS"] = "80"
    return subprocess.run(
        [sys.executable, "-m", "syncd", "validate", *args, str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_files_get_exit_2_and_the_place(tmp_path, case):
    text, needle, message = CASES[case]
    path = tmp_path / "syncd.yaml"
    path.write_text(text)
    result = validate(path, "--secrets")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}:{line_of(text, needle)}:"), first
    assert message in first
    assert "plain-zendesk-token" not in result.stderr


def test_an_empty_config_is_not_valid(tmp_path):
    path = tmp_path / "syncd.yaml"
    path.write_text("timezone: Europe/Zurich\n")
    result = validate(path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: this configuration measures nothing: no objectives",
        "    hint: add an objective with key results (see config/example.yaml), each bound to "
        "a metric",
    ]
