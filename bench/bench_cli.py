"""How long the first commands take: best of N wall times for ``syncd --help``, ``--version``
and ``status`` on the demo store. Run by hand, in a directory where ``syncd demo --once`` ran::

    .venv/bin/python bench/bench_cli.py [--runs 7] [--syncd .venv/bin/syncd]

Targets (issue 12): ``--help`` under 0.3 s, ``status`` under 1 s. The CPU column (user + system
time of the command) is the one to compare on a busy machine: other load stretches the wall time,
hardly the CPU time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (("--help",), ("--version",), ("status",), ("status", "--format", "json"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(command: list[str], runs: int) -> tuple[float, float]:
    """The fastest of ``runs`` wall times and of their CPU times (the least disturbed)."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return min(walls), min(cpus)


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
    print(f"{'best of ' + str(options.runs):<28} {'wall':>8} {'CPU':>8}")
    for args in COMMANDS:
        wall, cpu = best_of([options.syncd, *args], options.runs)
        print(f"syncd {' '.join(args):<22} {wall:6.3f} s {cpu:6.3f} s")


if __name__ == "__main__":
    main()
