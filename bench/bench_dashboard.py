"""Time the dashboard page and the key-results API over a store with a cycle-to-date series
for every demo KR (one point a day, 51 days), as the dashboard's browser test builds it.

Run by hand:

    .venv/bin/python bench/bench_dashboard.py [--requests 20]

Each request evaluates every objective twice (now and a week before, for the week's change),
reads each KR's history, and renders 15 SVG charts. Prints the median and the slowest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syncd.config import load_config  # noqa: E402
from syncd.store import Store  # noqa: E402
from tests.web.conftest import DEMO_CONFIG, NOW  # noqa: E402
from tests.web.helpers import dashboard_app  # noqa: E402
from tests.web.test_browser import cycle_series  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    loaded = load_config(DEMO_CONFIG)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        with Store.open(f"sqlite:///{path}") as store:
            store.sync_definitions(loaded.config)
            store.record_measurements(cycle_series(loaded))
            store.record_checkin("booking-5d", at=NOW - timedelta(hours=3), confidence="at_risk",
                                 note="campaign slipped")  # fmt: skip
        client = dashboard_app(loaded, path).test_client()
        for route in ("/", "/api/v1/key-results"):
            client.get(route)  # warm: store opened, templates compiled
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = client.get(route)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200
            print(
                f"{route:22} median {statistics.median(times) * 1000:7.1f} ms   "
                f"slowest {max(times) * 1000:7.1f} ms   ({args.requests} requests)"
            )


if __name__ == "__main__":
    main()
