"""``syncd plan`` as the user runs it: piped, 80 columns, no source asked, no secret needed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import AS_OF, run


def test_plan_prints_each_source_its_strategy_and_the_floor(workspace: Path) -> None:
    # The workspace has one HubSpot request (two KRs share the deals metric) and two SQL ones
    # (the booking rate's operands; the signups KR asks the same numerator again).
    result = run("plan", "--as-of", AS_OF, cwd=workspace)
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0] == "crm (hubspot): 1 requests, 1 calls (one each: 1)"
    # HubSpot is paced at 4 searches/s: max(1 × 0.1 / 4, 1 / 4) = 0.25 s.
    assert lines[1] == "  floor 0.25 s (4 in flight, 4/s, 100 ms a call)"
    assert lines[2] == "  - one call per batch: 1 call, 1 requests"
    assert "warehouse (sql): 2 requests, 2 calls (one each: 2)" in lines
    assert lines[-1] == "cycle floor: 0.25 s (the slowest source, crm)"
    assert result.stderr == ""


def test_the_floor_follows_the_latency(workspace: Path) -> None:
    lines = run("plan", "--as-of", AS_OF, "--latency", "1", cwd=workspace).stdout.splitlines()
    # SQL: 2 calls × 1 s / 4 in flight = 0.5 s, now slower than HubSpot's 0.25 s.
    assert "  floor 0.50 s (4 in flight, no rate limit, 1000 ms a call)" in lines
    assert lines[-1] == "cycle floor: 0.50 s (the slowest source, warehouse)"


def test_a_bad_config_is_exit_2_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "okrs.yaml"
    broken.write_text("timezone: Europe/Zurich\nsources: {w: {type: nosuchtype}}\n")
    result = run("plan", "-c", str(broken), cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) >= 1
    assert "Traceback" not in result.stderr
    missing = run("plan", "-c", str(tmp_path / "nowhere.yaml"), cwd=tmp_path, check=False)
    assert missing.returncode == 2
    first, *rest = missing.stderr.strip().splitlines()
    assert first.startswith("error: config ") and first.endswith("nowhere.yaml does not exist")
    assert all(line.startswith("    hint: ") for line in rest)


def test_a_negative_latency_is_exit_2(workspace: Path) -> None:
    result = run("plan", "--latency", "-1", cwd=workspace, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --latency -1.0: give the seconds one call takes, e.g. --latency 0.08"
    ]
