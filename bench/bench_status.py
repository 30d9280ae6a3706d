"""``syncd status`` over N generated KRs with a daily measurement each for most of the cycle,
on SQLite and PostgreSQL; prints times, peak RSS and ratios.

Run by hand (PostgreSQL at $SYNCD_TEST_POSTGRES, by default the local test database):

    .venv/bin/python bench/bench_status.py [--krs 10000] [--points 90] [--stores sqlite,postgresql]

``bench/workload.py`` writes the config (a directory of YAML files); the store is seeded in
bulk (definitions through the store, measurements in batched inserts). For each store it
measures:

- ``query+render``: in one process, the overview read from the store and evaluated
  (:func:`syncd.overview.build_overview`) and the table rendered (piped, 80 columns) and the JSON
  document built: the work ``syncd status`` does once its config is loaded; best of ``--repeat``;
- ``baseline``: the same evaluation from one history query per KR, as ``status`` read the store
  before issue 18 (the ratio is query+render over it; ``--no-baseline`` skips it);
- ``command``: ``syncd status`` (table, piped) and ``syncd status -f json`` as subprocesses: wall
  time and peak RSS of the whole command (start-up and config loading included).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload

REPO = Path(__file__).resolve().parents[1]
ZURICH = ZoneInfo("Europe/Zurich")
AS_OF = "2026-12-31T12:00"
FIRST_DAY = datetime(2026, 10, 1, tzinfo=ZURICH)
ADMIN = os.environ.get("SYNCD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 20_000


def measurement_rows(kr_ids: list[str], points: int) -> Iterator[dict[str, Any]]:
    """``points`` daily measurements per KR from the cycle's second day: a KR-specific pace with
    noise, so statuses and forecasts vary."""
    rng = random.Random(18)
    for kr_id in kr_ids:
        pace = rng.uniform(3.0, 16.0)
        for day in range(points):
            end = (FIRST_DAY + timedelta(days=day + 1)).astimezone(UTC)
            yield {
                "key_result_id": kr_id,
                "window_start": (FIRST_DAY + timedelta(days=day)).astimezone(UTC),
                "window_end": end,
                "value": round(pace * (day + 1) + rng.uniform(-20, 20), 2),
                "collected_at": end + timedelta(hours=1, minutes=rng.randrange(60)),
                "source": "warehouse",
                "query_fingerprint": "0" * 16,
                "run_id": None,
                "note": None,
                "revision": 1,
            }


def seed(config_path: Path, url: str, points: int) -> float:
    """Definitions through the store, measurements in bulk; returns the seconds it took."""
    from syncd.config import load_config
    from syncd.store import Store
    from syncd.store.tables import Measurement

    started = time.perf_counter()
    loaded = load_config(config_path)
    with Store.open(url) as store:
        store.sync_definitions(loaded.config)
    kr_ids = [kr.id for _, kr in loaded.config.key_results()]
    engine = create_engine(url)
    table = Measurement.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        batch: list[dict[str, Any]] = []
        for row in measurement_rows(kr_ids, points):
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(insert(table), batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)
    engine.dispose()
    return time.perf_counter() - started


def query_and_render(config_path: Path, per_kr: bool) -> tuple[float, int]:
    """Seconds of read+evaluate+render (config loaded and store opened beforehand), and the
    length of the output (so both ways are seen to print the same)."""
    from rich.console import Console

    from syncd import overview
    from syncd.config import load_config
    from syncd.render import status_json, status_table
    from syncd.session import moment, opened_store

    loaded = load_config(config_path)
    now = moment(datetime.fromisoformat(AS_OF), loaded)
    with opened_store(loaded) as store:
        started = time.perf_counter()
        histories = per_kr_histories(loaded, store, now) if per_kr else None
        objectives = overview.build_overview(loaded, store, now, histories)
        sink = io.StringIO()
        status_table(objectives, Console(file=sink, width=80, force_terminal=False), now=now)
        document = status_json(objectives, {})
        elapsed = time.perf_counter() - started
    return elapsed, len(sink.getvalue()) + len(str(document))


def per_kr_histories(loaded: Any, store: Any, now: datetime) -> dict[str, Any]:
    """One history query per KR, as status read before issue 18."""
    from syncd.cycles import cycle_bounds

    config = loaded.config
    found = {}
    for objective, kr in config.key_results():
        cycle = config.cycles[objective.cycle]
        bounds = cycle_bounds(cycle, config.tz)
        found[kr.id] = store.measurements(kr.id, since=bounds.start, until=min(bounds.end, now))
    return found


def command(config_path: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``syncd status`` as a subprocess, output piped.

    The peak RSS is GNU time's: a child's own ``ru_maxrss`` on Linux starts from its parent's
    size at the fork, and this process holds the seeding's data."""
    env = {**os.environ, "COLUMNS": "80"}
    argv = [str(REPO / ".venv" / "bin" / "syncd"), "status", "-c", str(config_path)]
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *argv, "--as-of", AS_OF, *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"syncd status failed: {result.stderr.decode()[-2000:]}")
        return elapsed, int(rss.read().split()[-1]) / 1024


@contextmanager
def store_url(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'status.db'}"
        return
    name = f"syncd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--krs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=90)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    print(f"syncd status, {args.krs} KRs × {args.points} measurements, as of {AS_OF}")
    header = ("store", "seed s", "query+render s", "baseline s", "ratio", "cmd s", "cmd MB")
    rows = []
    for backend in args.stores.split(","):
        with tempfile.TemporaryDirectory() as tmp, store_url(backend, Path(tmp)) as url:
            config = workload.generate(args.krs, store=url)
            config_path = workload.write(config, Path(tmp) / "okrs")
            seeded = seed(config_path, url, args.points)
            fast = min(query_and_render(config_path, False) for _ in range(args.repeat))
            slow = None if args.no_baseline else query_and_render(config_path, True)
            if slow is not None and slow[1] != fast[1]:
                print(f"  warning: output lengths differ ({fast[1]} vs {slow[1]})")
            table = min(command(config_path) for _ in range(args.repeat))
            json_ = min(command(config_path, "-f", "json") for _ in range(args.repeat))
            rows.append((backend, seeded, fast[0], slow, table, json_))
    print("{:<11}{:>8}{:>16}{:>12}{:>8}{:>16}{:>16}".format(*header[:5], "cmd s (json)", "MB"))
    for backend, seeded, fast_s, slow, table, json_ in rows:
        slow_s = f"{slow[0]:.2f}" if slow else "-"
        ratio = f"{fast_s / slow[0]:.3f}" if slow else "-"
        print(
            f"{backend:<11}{seeded:>8.1f}{fast_s:>16.3f}{slow_s:>12}{ratio:>8}"
            f"{table[0]:>8.2f} ({json_[0]:.2f}){table[1]:>9.0f} ({json_[1]:.0f})"
        )
    print(f"target: query+render ≤ 0.5 s; this process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
