"""Time the dashboard page and the key-results API over a store with a cycle-to-date series
for every demo KR (one point a day, 51 days), as the dashboard's browser test builds it; or,
with ``--krs N``, for N KRs of ``bench/workload.py``'s generated config (seeded in bulk).

Run by hand:

    .venv/bin/python bench/bench_dashboard.py [--requests 20] [--krs 1000]

Each request evaluates every objective twice (now and a week before, for the week's change),
reads each KR's history, and renders a chart per KR. Prints the median and the slowest, and
the page's size; with ``--krs``, the ratio to the demo's page measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syncd.config import load_config  # noqa: E402
from syncd.store import Store  # noqa: E402
from tests.web.conftest import DEMO_CONFIG, NOW  # noqa: E402
from tests.web.helpers import dashboard_app  # noqa: E402
from tests.web.test_browser import cycle_series  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import bench_status  # noqa: E402
import workload  # noqa: E402

DAYS = 51
"""Measurements per generated KR: one a day from the cycle's start to NOW."""


def demo_client(directory: Path) -> Any:
    loaded = load_config(DEMO_CONFIG)
    path = directory / "demo.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.sync_definitions(loaded.config)
        store.record_measurements(cycle_series(loaded))
        store.record_checkin("booking-5d", at=NOW - timedelta(hours=3), confidence="at_risk",
                             note="campaign slipped")  # fmt: skip
    return dashboard_app(loaded, path).test_client()


def generated_client(directory: Path, krs: int) -> Any:
    path = directory / "generated.db"
    config = workload.write(
        workload.generate(krs, store=f"sqlite:///{path}"), directory / "generated"
    )
    bench_status.seed(config, f"sqlite:///{path}", DAYS)
    return dashboard_app(load_config(config), path).test_client()


def timed(client: Any, route: str, requests: int) -> tuple[float, float, int]:
    """Median and slowest seconds of ``requests`` requests, and the answer's size in bytes."""
    client.get(route)  # warm: store opened, templates compiled
    times = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(route)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200
        size = len(answer.data)
    return statistics.median(times), max(times), size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--krs", type=int, default=0, help="also N generated KRs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clients = {"demo": demo_client(Path(tmp))}
        if args.krs:
            clients[f"{args.krs} KRs"] = generated_client(Path(tmp), args.krs)
        baseline: dict[str, float] = {}
        for name, client in clients.items():
            for route in ("/", "/api/v1/key-results"):
                median, slowest, size = timed(client, route, args.requests)
                baseline.setdefault(route, median)
                print(
                    f"{name:>10} {route:22} median {median * 1000:8.1f} ms   "
                    f"slowest {slowest * 1000:8.1f} ms   {size / 1024:8.0f} KiB   "
                    f"× {median / baseline[route]:6.1f} the demo   ({args.requests} requests)"
                )


if __name__ == "__main__":
    main()
