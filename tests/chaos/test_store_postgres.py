"""PostgreSQL breaks under the running daemon: its backends terminated, the database turned
read-only (a failover onto a standby, in effect), the server unreachable (a TCP proxy that
drops every connection). The daemon spools, says it is not ready, recovers by itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.chaos import invariants as inv
from tests.chaos.configs import STEP
from tests.chaos.store_runs import JOB, POSTGRES, StoreRun, check, skip_unless_ran
from tests.daemon.harness import CuttableProxy


class PostgresRun(StoreRun):
    def drive(self) -> None:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect():
                pass
        except OperationalError as exc:
            self.skipped = f"PostgreSQL not reachable: {str(exc.orig).splitlines()[0]}"
            return
        name = f"syncd_chaos_{uuid4().hex[:10]}"
        url = make_url(POSTGRES).set(database=name)
        proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        try:
            self.daemon_store_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False
            )
            config, self.port = self.measure(url.render_as_string(hide_password=False))
            self.daemon(config)
            self.until(lambda: inv.slot_state(self.store_url, JOB), 30, "a first slot")
            self.terminated = 0
            for _ in range(2):
                self.terminated += self._terminate(admin, name)
                time.sleep(3)
            with admin.connect() as connection:  # a failover onto a standby, in effect
                connection.exec_driver_sql(
                    f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
                )
            self._terminate(admin, name)
            self.wait_not_ready("read-only")  # /readyz writes: it must tell
            time.sleep(STEP.total_seconds() + 1)  # a slot's writes meet the read-only store
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'ALTER DATABASE "{name}" RESET default_transaction_read_only'
                )
            self.until(lambda: inv.ready(self.port) == 200, 40, "ready again")
            proxy.cut()  # refused: connections are dropped as they come
            self.wait_not_ready("unreachable")
            time.sleep(STEP.total_seconds())
            proxy.restore()
            self.finish(datetime.now(UTC))
            self.dump = inv.store_text(self.store_url)
        finally:
            proxy.close()
            self.close()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    @staticmethod
    def _terminate(admin: Engine, name: str) -> int:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            )


RUN = PostgresRun


@pytest.mark.postgres
@pytest.mark.scenario(
    "postgresql store outages",
    "pg_terminate_backend 2x; database read-only (default_transaction_read_only); "
    "server unreachable through a cut TCP proxy; each lifted",
)
def test_postgres_outages_lose_nothing(scenario, background):
    run: PostgresRun = background
    skip_unless_ran(run, ci_fails=True)
    refused = [
        e
        for e in run.events
        if e.get("event") in ("store.unreachable", "measurements.spooled")
        and "read-only" in str(e.get("error"))
    ]
    check(
        scenario,
        run,
        [
            ("backends terminated", f"{run.terminated} connections", run.terminated >= 1),
            ("read-only store refused writes", f"{len(refused)} refusals", len(refused) >= 1),
        ],
    )
