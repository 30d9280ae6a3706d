"""Time ``Store.record_measurements`` on a batch: all good, one item refused up front (NaN),
one refused by the database (unknown KR: the batch is rewritten item by item).

Run by hand (PostgreSQL at $SYNCD_TEST_POSTGRES, by default the local test database):

    .venv/bin/python bench/bench_refusals.py [--items 1000] [--repeat 5]

Each figure is the best of ``--repeat`` writes of fresh windows into one store (inserts), then
of the same windows again with new values (revisions). To compare with an older syncd, run
the script with that syncd first on ``PYTHONPATH``: the "good" rows are comparable.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from syncd import logs
from syncd.config.models import Config, KeyResult, Objective
from syncd.store import MeasurementIn, Store

ADMIN = os.environ.get("SYNCD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DAY0 = datetime(2026, 10, 1, tzinfo=UTC)
KRS = [f"kr-{n}" for n in range(10)]


def config() -> Config:
    key_results = [KeyResult(id=kr, title=kr, focus="user", baseline=0.0, target=1.0) for kr in KRS]
    objective = Objective(id="o", title="O", team="t", cycle="c", key_results=key_results)
    return Config(objectives=[objective])


def batch(items: int, round_: int, value: float) -> list[MeasurementIn]:
    out = []
    for n in range(items):
        end = DAY0 + timedelta(minutes=round_ * items + n)
        out.append(
            MeasurementIn(
                key_result_id=KRS[n % len(KRS)],
                value=value + n,
                window_start=DAY0,
                window_end=end,
                collected_at=end,
                source="bench",
                query_fingerprint="fp",
                run_id=None,
            )
        )
    return out


Shape = Callable[[list[MeasurementIn]], list[MeasurementIn]]


def best(store: Store, shape: Shape, base: int, value: float, items: int, repeat: int) -> float:
    """The fastest of ``repeat`` writes of ``items`` windows (rounds ``base`` on)."""
    times = []
    for round_ in range(repeat):
        written = shape(batch(items, base + round_, value))
        started = time.perf_counter()
        store.record_measurements(written)
        times.append(time.perf_counter() - started)
    return min(times)


def measure(url: str, items: int, repeat: int) -> dict[str, float]:
    cases: dict[str, Shape] = {
        "good": lambda b: b,
        "one NaN": lambda b: [*b[:-1], replace(b[-1], value=float("nan"))],
        "one unknown KR": lambda b: [*b[:-1], replace(b[-1], key_result_id="ghost")],
    }
    results = {}
    with Store.open(url) as store:
        store.sync_definitions(config())
        for offset, (name, shape) in enumerate(cases.items()):
            base = offset * repeat
            try:
                results[f"{name}, insert"] = best(store, shape, base, 1.0, items, repeat)
                results[f"{name}, revise"] = best(store, shape, base, 2.0, items, repeat)
            except Exception as exc:  # an older syncd refuses the whole batch
                print(f"  {name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logs.configure(level="warning")
    name = f"syncd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    postgres = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend, url in (
                ("sqlite", f"sqlite:///{Path(tmp) / 'store.db'}"),
                ("postgresql", postgres),
            ):
                print(f"{backend}: {args.items} items per batch, best of {args.repeat}")
                for case, seconds in measure(url, args.items, args.repeat).items():
                    print(f"  {case:<24}{seconds * 1000:>9.1f} ms")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
