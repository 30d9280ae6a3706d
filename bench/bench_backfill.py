"""Backfill the demo cycle into a SQLite and a PostgreSQL store; print throughput and ratios.

Run by hand (PostgreSQL at $SYNCD_TEST_POSTGRES, by default the local test database):

    .venv/bin/python bench/bench_backfill.py [--repeat 3]

The baseline is the SQLite store in the same run; each figure is the best of ``--repeat`` runs,
each into a fresh store. Upstream work (the sample warehouse's SQL) is the same for both.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from syncd import logs
from syncd.config import load_config
from syncd.demo.sample import generate
from syncd.store import Store
from syncd.sync import Syncer

REPO = Path(__file__).resolve().parents[1]
UNTIL = datetime(2026, 11, 21, 10, 30, tzinfo=ZoneInfo("Europe/Zurich"))
ADMIN = os.environ.get("SYNCD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def backfill_once(workdir: Path, store_url: str) -> tuple[float, int, int]:
    os.chdir(workdir)
    loaded = load_config(REPO / "config" / "demo.yaml")
    with Store.open(store_url) as store:
        started = time.perf_counter()
        report = Syncer(loaded).backfill(store, date(2026, 10, 1), UNTIL)
        elapsed = time.perf_counter() - started
    calls = sum(outcome.stats.calls for outcome in report.sources.values())
    return elapsed, report.written.inserted, calls


def postgres_database() -> tuple[str, str]:
    name = f"syncd_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, make_url(ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logs.configure(level="warning")
    results: dict[str, tuple[float, int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        generate(workdir / ".syncd-demo" / "sample.db")
        for backend in ("sqlite", "postgresql"):
            best: tuple[float, int, int] | None = None
            for attempt in range(args.repeat):
                if backend == "sqlite":
                    url, database = f"sqlite:///{workdir / f'store-{attempt}.db'}", None
                else:
                    database, url = postgres_database()
                try:
                    run = backfill_once(workdir, url)
                finally:
                    if database:
                        drop_database(database)
                best = run if best is None or run[0] < best[0] else best
            assert best is not None
            results[backend] = best
    baseline = results["sqlite"][0]
    print(f"backfill 2026-10-01 … 2026-11-21 of config/demo.yaml, best of {args.repeat}")
    header = ("store", "seconds", "measurements", "per second", "upstream", "ratio")
    print("{:<12}{:>9}{:>14}{:>12}{:>10}{:>8}".format(*header))
    for backend, (seconds, written, calls) in results.items():
        print(
            f"{backend:<12}{seconds:>9.2f}{written:>14}{written / seconds:>12.0f}"
            f"{calls:>10}{seconds / baseline:>8.2f}"
        )


if __name__ == "__main__":
    main()
