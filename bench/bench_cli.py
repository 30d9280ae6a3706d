"""How long the first commands take: median wall and CPU times of ``syncd --help``,
``--version`` and ``status`` on the demo store, with ``python -c pass`` as the floor. Run by
hand, in a directory where ``syncd demo --once`` ran::

    .venv/bin/python bench/bench_cli.py [--runs 11] [--syncd .venv/bin/syncd]

Targets (issue 12): ``--help`` under 0.3 s, ``status`` under 1 s. The CPU column (user + system
time of the command) is the one to compare on a busy machine: other load stretches the wall time,
hardly the CPU time. The ratio columns divide each median CPU time by that of ``python -c pass``
and of ``syncd --version`` measured in the same run, so numbers from a busy and an idle machine
compare. The commands run interleaved (one round of every command, ``runs`` times), so a burst
of load falls on all of them alike.

``--baseline DIR`` times the same commands a second time on another source tree (its ``syncd``
and ``connectors`` packages come first on ``PYTHONPATH``), interleaved with this one, so a
before/after comparison shares the machine's load::

    git archive main | tar -x -C /tmp/syncd-main    # or any commit
    .venv/bin/python bench/bench_cli.py --baseline /tmp/syncd-main

The commands run with compiled bytecode, as an installed syncd does (pip compiles it): the
warm-up round writes it even where ``PYTHONDONTWRITEBYTECODE`` is set, which would otherwise
recompile every module of an editable checkout that has no ``__pycache__`` yet on every run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SYNCD_COMMANDS = (("--help",), ("--version",), ("status",), ("status", "--format", "json"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


Command = tuple[list[str], dict[str, str]]
"""The arguments of a command and its environment."""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The wall and CPU time of one run of ``command``."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def medians(commands: dict[str, Command], runs: int) -> dict[str, tuple[float, float]]:
    """The median wall and CPU time of each command over ``runs`` interleaved rounds."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for command, env in commands.values():
        timed(command, env)  # warm the page cache and the bytecode
    for _ in range(runs):
        for label, (command, env) in commands.items():
            samples[label].append(timed(command, env))
    return {
        label: (
            statistics.median(wall for wall, _ in times),
            statistics.median(cpu for _, cpu in times),
        )
        for label, times in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    default = Path(sys.executable).with_name("syncd")
    parser.add_argument(
        "--syncd", default=str(default if default.exists() else shutil.which("syncd"))
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time the commands on the syncd source tree in DIR (e.g. an export of main)",
    )
    options = parser.parse_args()
    if not Path(".syncd-demo/syncd.db").exists():
        sys.exit("run `syncd demo --once` in this directory first (status reads the demo store)")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    commands: dict[str, Command] = {"python -c pass": ([sys.executable, "-c", "pass"], env)}
    for args in SYNCD_COMMANDS:
        label = f"syncd {' '.join(args)}"
        commands[label] = ([options.syncd, *args], env)
        if options.baseline is not None:
            before = env | {"PYTHONPATH": str(options.baseline.resolve())}
            commands[f"before: {label}"] = ([options.syncd, *args], before)
    results = medians(commands, options.runs)
    floor, version = results["python -c pass"][1], results["syncd --version"][1]
    print(
        f"{'median of ' + str(options.runs):<36} {'wall':>8} {'CPU':>8}"
        f" {'CPU/python':>11} {'CPU/--version':>14}"
    )
    for label, (wall, cpu) in results.items():
        print(f"{label:<36} {wall:6.3f} s {cpu:6.3f} s {cpu / floor:10.1f}x {cpu / version:13.2f}x")


if __name__ == "__main__":
    main()
