"""An idle ``syncd run`` with N key results: its CPU share and memory (issue 18's targets:
idle CPU < 0.5 % of a core, RSS ≤ 150 MB at 1,000 KRs).

Run by hand:

    .venv/bin/python bench/bench_idle.py [--krs 1000] [--seconds 60] [--warmup 40] \
        [--baseline /tmp/syncd-main] [--notifications]

The config is ``bench/workload.py``'s, its sources pointed at closed ports: the first pass
(catch-up of the current slots) fails fast and the daemon then idles until the next slot
(daily and hourly schedules). After ``--warmup`` seconds, CPU is read from
``/proc/PID/stat`` (user + system ticks) over ``--seconds`` of wall time, and memory from
``/proc/PID/status`` (``VmRSS`` now, ``VmHWM`` its peak). ``--baseline`` names another source
tree of syncd (e.g. ``git archive main | tar -x -C /tmp/syncd-main``) run the same way in the
same invocation, and the ratios are printed against it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


@dataclass(frozen=True)
class Idle:
    cpu_percent: float
    rss_mb: float
    peak_mb: float


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _memory_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def write_config(directory: Path, krs: int, *, notifications: bool = False) -> Path:
    endpoints = workload.Endpoints(
        ga4=CLOSED,
        salesforce="https://127.0.0.1:9",
        salesforce_ca=str(directory / "none.pem"),
        hubspot=CLOSED,
        zendesk=CLOSED,
        warehouse=str(directory / "warehouse.db"),
    )
    config = workload.generate(krs, endpoints, store=f"sqlite:///{directory / 'store.db'}")
    config["daemon"] = {"spool": str(directory / "spool.db"), "listen": None}
    if notifications:
        # Alerts and digests on: a channel nothing answers (an idle daemon sends nothing).
        config["notifications"] = {
            "channels": {"hook": {"url": "json://127.0.0.1:9/okr", "teams": ["*"]}}
        }
    path = directory / "syncd.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def measure(
    source: Path | None, krs: int, warmup: float, seconds: float, *, notifications: bool = False
) -> Idle:
    """Start ``syncd run`` (from ``source`` when given, else this checkout), let it settle
    ``warmup`` seconds, then measure ``seconds`` of idling."""
    with tempfile.TemporaryDirectory(prefix="syncd-idle-") as tmp:
        directory = Path(tmp)
        config = write_config(directory, krs, notifications=notifications)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # ``python -m`` puts its working directory first on the path: the tree under test.
        tree = (source or Path(__file__).resolve().parent.parent).resolve()
        log = (directory / "daemon.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run", "--config", str(config)],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while " ready: " not in (directory / "daemon.log").read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        "syncd run did not start:\n" + (directory / "daemon.log").read_text()
                    )
                time.sleep(0.5)
            time.sleep(warmup)
            ticks, started = _ticks(process.pid), time.monotonic()
            time.sleep(seconds)
            used = (_ticks(process.pid) - ticks) / os.sysconf("SC_CLK_TCK")
            wall = time.monotonic() - started
            return Idle(
                cpu_percent=100 * used / wall,
                rss_mb=_memory_kb(process.pid, "VmRSS") / 1024,
                peak_mb=_memory_kb(process.pid, "VmHWM") / 1024,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--krs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=40)
    parser.add_argument("--baseline", type=Path, help="another syncd source tree to compare")
    parser.add_argument(
        "--notifications", action="store_true", help="configure alerts and digests too"
    )
    args = parser.parse_args()
    runs: list[tuple[str, Idle]] = []
    for name, tree in (("baseline", args.baseline), ("this tree", None)):
        if name == "baseline" and tree is None:
            continue
        idle = measure(tree, args.krs, args.warmup, args.seconds, notifications=args.notifications)
        runs.append((name, idle))
    extra = ", alerts and digests on" if args.notifications else ""
    print(
        f"idle syncd run, {args.krs} KRs{extra}, "
        f"{args.seconds:.0f} s after {args.warmup:.0f} s warm-up"
    )
    for name, idle in runs:
        print(
            f"{name:>10}: CPU {idle.cpu_percent:.2f} % of a core, "
            f"RSS {idle.rss_mb:.0f} MB (peak {idle.peak_mb:.0f} MB)"
        )
    if len(runs) == 2:
        (_, base), (_, mine) = runs
        cpu = mine.cpu_percent / base.cpu_percent if base.cpu_percent else float("nan")
        print(f"     ratio: CPU {cpu:.2f}x, RSS {mine.rss_mb / base.rss_mb:.2f}x of the baseline")
    print("issue 18 targets: CPU < 0.5 %, RSS <= 150 MB")


if __name__ == "__main__":
    main()
