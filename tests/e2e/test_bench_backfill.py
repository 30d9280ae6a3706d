"""A smoke run of ``bench/bench_backfill.py`` over generated KRs: few, no latency, not timed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_backfill_backfills_generated_krs_against_the_sandboxes() -> None:
    bench = str(REPO / "bench" / "bench_backfill.py")
    result = subprocess.run(
        [sys.executable, bench, "--bindings", "10", "--days", "3"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "backfill of 10 generated KRs, 2026-12-29 … 2026-12-31 (3 days)" in out, out
    found = re.search(r"([\d.]+) s, (\d+) measurements inserted, (\d+) failed", out)
    assert found is not None, out
    # Ten KRs, three days: at most 30 windows (a day's window may repeat the one before).
    assert 10 <= int(found.group(2)) <= 30, out
    assert "collect seconds: " in out
