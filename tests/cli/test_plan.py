"""``syncd plan`` as the user runs it: piped, 80 columns, no source asked, no secret needed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import AS_OF, run


def test_plan_prints_each_source_its_strategy_and_the_floor(workspace: Path) -> None:
    # The workspace has one HubSpot request (two KRs share the deals metric) and two SQL ones
    # (the booking rate's operands; the signups KR asks the same numerator again).
    result = run("plan", "--as-of", AS_OF, cwd=workspace)
    assert result.stdout.splitlines() == [
        "crm (hubspot): 1 requests, 1 calls (one each: 1)",
        # HubSpot is paced at 4 searches/s: max(1 × 0.1 / 4, 1 / 4) = 0.25 s.
        "  floor 0.25 s (4 in flight, 4/s, 100 ms a call)",
        "  - search each: 1 call, 1 requests",
        # a scan is estimated at scan_max_pages (10) pages of 200 until one has run
        "      instead of one scan of deals: 10 calls, 2000 rows",
        "warehouse (sql): 2 requests, 1 calls (one each: 2)",
        # 1 call × 0.1 s / 4 in flight = 0.025 s
        "  floor 0.03 s (4 in flight, no rate limit, 100 ms a call)",
        "  - statements united: 1 call, 2 requests",
        "      instead of statement each: 2 calls",
        "cycle floor: 0.25 s (the slowest source, crm)",
    ]
    assert result.stderr == ""


def test_the_floor_follows_the_latency(workspace: Path) -> None:
    lines = run("plan", "--as-of", AS_OF, "--latency", "3", cwd=workspace).stdout.splitlines()
    # HubSpot: max(1 × 3 / 4, 1 / 4) = 0.75 s; SQL: 1 call × 3 s / 4 in flight = 0.75 s.
    assert "  floor 0.75 s (4 in flight, 4/s, 3000 ms a call)" in lines
    assert "  floor 0.75 s (4 in flight, no rate limit, 3000 ms a call)" in lines
    assert lines[-1] == "cycle floor: 0.75 s (the slowest source, crm)"


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
