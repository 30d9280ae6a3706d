"""Injection attempts through ``syncd sync`` against a read-only SQL source: statements smuggled
past the checker, writes hidden in a SELECT, hostile parameter values. Each is refused (or
reads a harmless true value); the warehouse is byte for byte what it was."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.chaos import invariants as inv
from tests.chaos.store_runs import POSTGRES

SECRET = "pg-chaos-9c2e71-password"
HOSTILE_NAME = "x'; DELETE FROM t; --"
# Statements the config check sees: refused before anything runs (exit 2).
SMUGGLED = {
    "second statement": "SELECT count(*) FROM t; DROP TABLE t",
    "comment-hidden statement": "SELECT count(*) FROM t /* x */; DELETE FROM t",
}
# Statements that pass the check: each must fail its own request at run time (exit 1), or
# read a harmless true value. (attempt: (SQL, params, backends))
AT_RUN_TIME: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "issue-11 smuggled COMMIT": (
        "SELECT '\\'; COMMIT; DELETE FROM t; SELECT '\\'",
        {},
        ("sqlite", "postgresql"),
    ),
    "DML in a CTE": (
        "WITH gone AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM gone",
        {},
        ("sqlite", "postgresql"),
    ),
    "sequence write": ("SELECT nextval('s')", {}, ("postgresql",)),
    # A superuser may call lo_import inside the read-only transaction: it answers an OID, and
    # the transaction is rolled back, so the large object never exists (the digest counts).
    "large object import": ("SELECT lo_import('/etc/hostname')", {}, ("postgresql",)),
    "leave read-only": (
        "SELECT count(*) FROM t WHERE set_config('transaction_read_only', 'off', true) <> ''",
        {},
        ("postgresql",),
    ),
    "hostile parameter": (
        "SELECT count(*) FROM t WHERE name = :name",
        {"name": HOSTILE_NAME},
        ("sqlite", "postgresql"),
    ),
}
HARMLESS = {"hostile parameter": 0.0}  # bound as data: no row has that name
ROLLED_BACK = {"large object import"}  # answers a value; whatever it wrote is rolled back

HEAD = """\
timezone: UTC
store: "sqlite:///{store}"
sources:
  warehouse: {{type: sql, url: "{url}"}}
cycles:
  now: {{start: {start}, end: {end}}}
metrics:
"""
METRIC = (
    "  m{n}: {{source: warehouse, query: {{sql: {sql}, params: {params}}}, window: snapshot}}\n"
)
OBJECTIVE = """\
objectives:
  - id: chaos
    title: Injection
    team: ops
    cycle: now
    key_results:
"""
KR = """\
      - {{id: k{n}, title: K{n}, metric: m{n}, focus: user, baseline: 0, target: 10,
         schedule: daily}}
"""


def sqlite_warehouse(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (name TEXT, v INTEGER)")
        connection.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
    return f"sqlite:///{path}"


def sqlite_digest(url: str) -> str:
    path = url.split("///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()


def postgres_digest(engine: Engine) -> str:
    """Tables, rows, the sequence and the large objects of the warehouse database."""
    with engine.connect() as connection:
        parts = [
            connection.execute(
                text(
                    "SELECT string_agg(tablename, ',' ORDER BY tablename) "
                    "FROM pg_tables WHERE schemaname = 'public'"
                )
            ).scalar(),
            connection.execute(
                text("SELECT string_agg(name || v, ',' ORDER BY name) FROM t")
            ).scalar(),
            connection.execute(text("SELECT last_value || is_called::text FROM s")).scalar(),
            connection.execute(text("SELECT count(*) FROM pg_largeobject_metadata")).scalar(),
        ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def sync(
    workdir: Path, name: str, url: str, attempts: list[tuple[str, dict[str, str]]]
) -> dict[str, Any]:
    """``syncd sync`` on a config with one KR per attempt (``k0``, ``k1``…): exit code, output,
    and what each KR stored."""
    today = datetime.now(UTC).date()
    store = workdir / f"{name}.db"
    yaml = HEAD.format(
        store=store, url=url, start=today - timedelta(days=5), end=today + timedelta(days=5)
    )
    yaml += "".join(
        METRIC.format(n=n, sql=json.dumps(sql), params=json.dumps(params))
        for n, (sql, params) in enumerate(attempts)
    )
    yaml += OBJECTIVE + "".join(KR.format(n=n) for n in range(len(attempts)))
    config = workdir / f"{name}.yaml"
    config.write_text(yaml)
    env = {**os.environ, "COLUMNS": "80", "CHAOS_PG_PASSWORD": SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "sync", "-c", str(config)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stored = {
        f"k{n}": [value for _, value, _ in inv.measured(f"sqlite:///{store}", f"k{n}")]
        for n in range(len(attempts))
        if store.exists()
    }
    return {
        "code": done.returncode,
        "output": done.stdout + done.stderr,
        "stored": stored,
        "store": inv.store_text(f"sqlite:///{store}") if store.exists() else "",
    }


@pytest.mark.scenario(
    "sql injection via syncd sync",
    f"{len(SMUGGLED) + len(AT_RUN_TIME)} attempts (smuggled COMMIT/DELETE/DROP, DML in a CTE, "
    "sequence, large object, leaving read-only, a hostile parameter) on SQLite and PostgreSQL",
)
def test_injection_attempts_write_nothing(tmp_path, scenario):
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable: {exc.orig}")
        pytest.skip(f"PostgreSQL not reachable: {exc.orig}")
    name = f"syncd_chaos_{uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    warehouse_url = make_url(POSTGRES).set(database=name)
    warehouse = create_engine(warehouse_url)
    try:
        with warehouse.begin() as connection:
            connection.execute(text("CREATE TABLE t (name text, v int)"))
            connection.execute(text("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3)"))
            connection.execute(text("CREATE SEQUENCE s"))
        urls = {
            "sqlite": sqlite_warehouse(tmp_path / "warehouse.db"),
            # The password is a reference; trust authentication ignores it, the logs must too.
            "postgresql": (
                f"postgresql+psycopg://{warehouse_url.username}:${{env:CHAOS_PG_PASSWORD}}"
                f"@{warehouse_url.host}:{warehouse_url.port}/{name}"
            ),
        }
        before = {"sqlite": sqlite_digest(urls["sqlite"]), "postgresql": postgres_digest(warehouse)}
        calls = [
            (f"smuggled-{n}", urls["sqlite"], [(sql, {})])
            for n, sql in enumerate(SMUGGLED.values())
        ] + [
            (
                f"sync-{backend}",
                urls[backend],
                [(sql, params) for sql, params, where in AT_RUN_TIME.values() if backend in where],
            )
            for backend in ("sqlite", "postgresql")
        ]
        with ThreadPoolExecutor(len(calls)) as pool:
            results = dict(
                zip(
                    [call[0] for call in calls],
                    pool.map(lambda call: sync(tmp_path, *call), calls),
                    strict=True,
                )
            )
        after = {"sqlite": sqlite_digest(urls["sqlite"]), "postgresql": postgres_digest(warehouse)}
    finally:
        warehouse.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    unexpected = [
        f"{attempt}: exit {results[f'smuggled-{n}']['code']}"
        for n, attempt in enumerate(SMUGGLED)
        if results[f"smuggled-{n}"]["code"] != 2 or results[f"smuggled-{n}"]["stored"]
    ]
    for backend in ("sqlite", "postgresql"):
        result = results[f"sync-{backend}"]
        names = [name for name, (_, _, where) in AT_RUN_TIME.items() if backend in where]
        if result["code"] != 1:
            unexpected.append(f"sync on {backend}: exit {result['code']}")
        for n, attempt in enumerate(names):
            wanted = [HARMLESS[attempt]] if attempt in HARMLESS else []
            if attempt not in ROLLED_BACK and result["stored"].get(f"k{n}") != wanted:
                unexpected.append(f"{backend}/{attempt}: stored {result['stored'].get(f'k{n}')}")
    run_time = sum(
        len(
            [
                a
                for a, (_, _, where) in AT_RUN_TIME.items()
                if b in where and a not in HARMLESS and a not in ROLLED_BACK
            ]
        )
        for b in ("sqlite", "postgresql")
    )
    scenario.expect(
        "nothing written where it must not be",
        "warehouse digests "
        + ", ".join(
            f"{backend} {'unchanged' if before[backend] == after[backend] else 'CHANGED'}"
            for backend in before
        ),
        before == after,
    )
    scenario.expect(
        "each attempt refused, or reads the true value",
        f"{len(SMUGGLED)} refused by validation, {run_time} failed their request, "
        f"{len(HARMLESS) * 2} read 0, {len(ROLLED_BACK)} rolled back; "
        f"unexpected: {'; '.join(unexpected) or 'none'}",
        not unexpected,
    )
    outputs = "".join(r["output"] for r in results.values())
    scenario.expect(
        "no traceback", f"{inv.tracebacks(outputs)} in the outputs", not inv.tracebacks(outputs)
    )
    leaked = inv.leaks([SECRET], outputs, *(r["store"] for r in results.values()))
    scenario.expect("no secret in outputs, store", f"{len(leaked)} leaked", not leaked)
    scenario.verdict()
