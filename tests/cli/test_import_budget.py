"""What the first commands import (issue 12): ``--help`` and ``--version`` load no store, config
or vendor code, and ``status`` on the demo config loads neither Alembic, the web stack, a vendor
SDK, structlog (it logs nothing) nor rich's progress bars. A structural guard for the speed
measured by ``bench/bench_cli.py``: each module named here costs milliseconds to tens of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.store import Store
from tests.cli.conftest import environment

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "demo.yaml"

# Runs the console entry point in-process, then writes the names of every loaded module.
PROBE = """
import json, sys
from syncd.cli import main
modules_file, *sys.argv[1:] = sys.argv[1:]
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(modules_file, "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

NEVER_AT_START = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "pydantic",
    "structlog",
    "babel",
    "syncd.store",
    "syncd.config",
    "connectors",
    # Config parsing and scheduling.
    "ruamel",
    "yaml",
    "apscheduler",
    "sqlparse",
    "httpx",
)
NEVER_IN_STATUS = (
    # Loaded by the first log event (syncd.logs): status logs nothing.
    "structlog",
    # Only backfill draws a progress bar.
    "rich.progress",
    # Migrations: only when the store is not at the head revision.
    "alembic",
    "mako",
    # The dashboard, reports and the daemon.
    "flask",
    "werkzeug",
    "waitress",
    "jinja2",
    "pygal",
    "apprise",
    "syncd.web",
    "syncd.daemon",
    "syncd.reports",
    # Vendor SDKs and HTTP clients: loaded when a source is first read.
    "jira",
    "requests",
    "httplib2",
    "google_auth_httplib2",
    "google.auth",
    "google.oauth2",
    "googleapiclient",
    "google.analytics",
    "google.api_core",
    "simple_salesforce",
    "hubspot",
    "openpyxl",
    "httpx",
    "prometheus_client",
    # A SQLite store needs no PostgreSQL dialect.
    "sqlalchemy.dialects.postgresql",
    "psycopg",
)


def loaded_modules(*args: str, cwd: Path) -> tuple[int, list[str]]:
    """The exit code of ``syncd ARGS`` and every module it had loaded when it exited."""
    modules_file = cwd / "modules.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(modules_file), *args],
        cwd=cwd,
        env=environment(80),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    done = json.loads(modules_file.read_text())
    return done["code"], done["modules"]


def within(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """The modules that are one of ``packages`` or inside one."""
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_load_no_store_config_or_connector(tmp_path: Path, args) -> None:
    code, modules = loaded_modules(*args, cwd=tmp_path)
    assert code == 0
    assert "typer" in modules  # the probe did run the command line
    assert within(modules, NEVER_AT_START) == []


@pytest.mark.parametrize("output", ["table", "json"])
def test_status_on_the_demo_config_loads_no_migration_web_or_vendor_code(
    output: str, tmp_path: Path
) -> None:
    Store.open(f"sqlite:///{tmp_path / '.syncd-demo' / 'syncd.db'}").close()  # the demo's path
    code, modules = loaded_modules(
        "status", "-c", str(DEMO_CONFIG), "--as-of", "2026-11-21", "-f", output, cwd=tmp_path
    )
    assert code == 0
    # The probe did read the config (every source type of the demo) and the store.
    assert {"connectors.jira", "connectors.sheets", "connectors.ga4", "sqlmodel"} <= set(modules)
    assert within(modules, NEVER_IN_STATUS) == []
