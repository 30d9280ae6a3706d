"""What people and scripts read: status, history, sync and preview at 80 and 120 columns,
on a terminal and piped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import ANSI, AS_OF, LONG_TITLE, TOKEN, run, run_tty

KR_TITLES = (LONG_TITLE, "Signups from 0 to 400", "NPS from 50 to 70", "Deals from 10 to 20")


@pytest.mark.parametrize("columns", [80, 120])
def test_status_piped_keeps_every_kr_title_whole(workspace: Path, columns: int) -> None:
    result = run("status", "--as-of", AS_OF, cwd=workspace, columns=columns)
    lines = result.stdout.splitlines()
    for title in KR_TITLES:
        assert f"  {title}" in lines  # on a line of its own, never cut or wrapped
    assert not ANSI.search(result.stdout)
    assert "…" not in result.stdout
    # The numbers follow their title: value (baseline → target), score and status.
    signups = lines.index("  Signups from 0 to 400")
    assert lines[signups + 1].strip().split("   ")[0] == "204 signups (0 signups → 400 signups)"
    assert "score 0.51" in lines[signups + 1]
    assert all(len(line) <= columns for line in lines if not line.startswith("  " + LONG_TITLE))


@pytest.mark.parametrize("columns", [80, 120])
def test_status_on_a_terminal_fits_the_width(workspace: Path, columns: int) -> None:
    code, text = run_tty("status", "--as-of", AS_OF, cwd=workspace, columns=columns)
    assert code == 0, text
    lines = text.splitlines()
    for title in KR_TITLES:
        assert f"  {title}" in lines
    assert max(len(line) for line in lines) <= columns


def test_status_on_a_wide_terminal_is_a_table(workspace: Path) -> None:
    code, text = run_tty("status", "--as-of", AS_OF, cwd=workspace, columns=200)
    assert code == 0, text
    assert "Objective / key result" in text
    assert LONG_TITLE in text


@pytest.mark.parametrize("columns", [80, 120])
def test_history_piped_is_one_line_per_measurement(workspace: Path, columns: int) -> None:
    result = run("history", "signups", cwd=workspace, columns=columns)
    lines = result.stdout.splitlines()
    assert lines[0] == "Signups from 0 to 400 (signups)"
    rows = lines[1:]
    assert len(rows) == 3  # the ends of 18, 19 and 20 Nov (the 21 Nov slot is 00:00)
    first = rows[0].split("  ")
    assert [part for part in first if part][:3] == [
        "2026-10-01 00:00 → 2026-11-19 00:00",
        "196 signups",
        "49 %",
    ]
    assert "from warehouse" in rows[0] and "rev 1" in rows[0]
    assert not ANSI.search(result.stdout)


def test_history_on_an_80_column_terminal_fits(workspace: Path) -> None:
    code, text = run_tty("history", "signups", cwd=workspace, columns=80)
    assert code == 0, text
    assert "2026-10-01 00:00 → 2026-11-19 00:00" in text
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("columns", [80, 120])
def test_sync_piped_lines_are_never_wrapped(workspace: Path, columns: int) -> None:
    result = run(
        "sync",
        "--dry-run",
        "--kr",
        "booking-5d",
        "--as-of",
        AS_OF,
        cwd=workspace,
        columns=columns,
        **TOKEN,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ booking-5d ")
    assert lines[0].split()[2] == "0.5"
    assert lines[0].endswith("[2026-10-01T00:00:00+02:00, 2026-11-21T00:00:00+01:00)")
    # Both SQL operands of the ratio go to the warehouse as one UNION ALL.
    assert lines[-1] == "1 measured, 0 failed, 0 skipped; dry run: nothing stored; 1 upstream call"
    assert not ANSI.search(result.stdout)
    assert "{" not in result.stdout + result.stderr  # no JSON log line anywhere


@pytest.mark.parametrize("columns", [80, 120])
def test_preview_keeps_the_source_name(workspace: Path, columns: int) -> None:
    result = run("preview", "signups", "--as-of", AS_OF, cwd=workspace, columns=columns, **TOKEN)
    request = next(line for line in result.stdout.splitlines() if "request" in line)
    assert request.startswith("  request  [warehouse] SELECT COUNT(*) FROM signups")
    assert "value    204" in result.stdout


def test_status_json_stays_json_when_logs_are_on(workspace: Path) -> None:
    result = run(
        "--log-level", "debug", "status", "--format", "json", "--as-of", AS_OF, cwd=workspace
    )
    document = json.loads(result.stdout)
    assert {kr["id"] for kr in document["key_results"]} == {
        "booking-5d",
        "signups",
        "nps",
        "deals",
        "deals-2",
    }
    # Logs go to stderr, readable (not JSON) when stderr is not a terminal nor the journal.
    assert result.stderr == "" or not result.stderr.lstrip().startswith("{")


def test_logs_are_json_when_asked(workspace: Path) -> None:
    result = run(
        "--log-level",
        "info",
        "--log-format",
        "json",
        "sync",
        "--kr",
        "signups",
        "--as-of",
        AS_OF,
        cwd=workspace,
        **TOKEN,
    )
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert "sync.done" in {event["event"] for event in events}
    assert result.stdout.splitlines()[-1].startswith("1 measured, 0 failed")
