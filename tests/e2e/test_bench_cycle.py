"""A smoke run of ``bench/bench_cycle.py``: a few bindings, no latency; nothing is timed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_cycle_measures_syncd_the_baseline_and_the_floor() -> None:
    bench = str(REPO / "bench" / "bench_cycle.py")
    result = subprocess.run(
        [sys.executable, bench, "--bindings", "16", "--latency", "0"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "16 bindings, latency 0 ms" in out
    assert "(0 KRs without a value in syncd)" in out
    # requests per vendor (ga4 salesforce hubspot zendesk sql total): every vendor was asked
    counts = {
        m.group(1): [int(n) for n in m.group(2).split()]
        for m in re.finditer(r"^(syncd|baseline)((?:\s+\d+){6})$", out, re.M)
    }
    syncd_requests, baseline_requests = counts["syncd"], counts["baseline"]
    assert all(n > 0 for n in syncd_requests), out
    assert all(n > 0 for n in baseline_requests), out
    assert syncd_requests[5] == sum(syncd_requests[:5])
    # wall, CPU and peak RSS of each run, then the ratios
    walls = re.findall(r"^(syncd|baseline)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)$", out, re.M)
    assert [w[0] for w in walls] == ["syncd", "baseline"], out
    assert all(float(w[2]) > 0 and int(w[3]) > 20 for w in walls), out
    assert re.search(r"baseline/syncd: [\d.]+× requests, [\d.]+× wall, [\d.]+× CPU", out)
    equal = re.search(r"values equal in syncd and the baseline: (\d+) of 16 KRs", out)
    assert equal is not None and int(equal.group(1)) >= 8, out
    assert re.search(r"syncd/floor: [\d.]+× wall", out)
