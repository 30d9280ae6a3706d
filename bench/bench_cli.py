"""How long the first commands take: best of N wall times for ``syncd --help``, ``--version``
and ``status`` on the demo store. Run by hand, in a directory where ``syncd demo --once`` ran::

    .venv/bin/python bench/bench_cli.py [--runs 7] [--syncd .venv/bin/syncd]

Targets (issue 12): ``--help`` under 0.3 s, ``status`` under 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (("--help",), ("--version",), ("status",), ("status", "--format", "json"))


def best_of(command: list[str], runs: int) -> float:
    """The fastest of ``runs`` wall times (the least disturbed by other load)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    default = Path(sys.executable).with_name("syncd")
    parser.add_argument(
        "--syncd", default=str(default if default.exists() else shutil.which("syncd"))
    )
    options = parser.parse_args()
    if not Path(".syncd-demo/syncd.db").exists():
        sys.exit("run `syncd demo --once` in this directory first (status reads the demo store)")
    print(f"{'command':<28} best of {options.runs}")
    for args in COMMANDS:
        seconds = best_of([options.syncd, *args], options.runs)
        print(f"syncd {' '.join(args):<22} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
