"""A small workspace for CLI subprocess tests: a warehouse SQLite file, a config, no network.

Every command runs as the user runs it (``python -m syncd`` in a subprocess), piped, at the
width the test asks for; ``run_tty`` gives it a real terminal of a chosen size.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import sqlite3
import struct
import subprocess
import sys
import termios
from datetime import date, timedelta
from pathlib import Path

import pytest

AS_OF = "2026-11-21T10:30"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOKEN = {"CLI_TEST_HUBSPOT_TOKEN": "pat-na1-cli-test-token"}  # read only by commands that sync
LONG_TITLE = "Every newcomer books a doctor within five days of arriving in the country"

CONFIG = """\
timezone: Europe/Zurich
store: sqlite:///{store}
sources:
  "warehouse": {{type: sql, url: "sqlite:///{warehouse}", timestamps: utc}}
  research: {{type: manual}}
  crm: {{type: hubspot, token: "${{env:CLI_TEST_HUBSPOT_TOKEN}}"}}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  signups:
    source: warehouse
    query: {{sql: "SELECT COUNT(*) FROM signups WHERE day >= :start_date AND day < :end_date"}}
    window: cycle_to_date
  bookings:
    source: warehouse
    query: {{sql: "SELECT SUM(booked) FROM signups WHERE day >= :start_date AND day < :end_date"}}
    window: cycle_to_date
  booking_rate: {{ratio: {{numerator: bookings, denominator: signups}}, window: cycle_to_date}}
  nps: {{source: research, query: {{min: -100, max: 100}}, window: snapshot}}
  deals: {{source: crm, query: {{object: deals}}, window: cycle_to_date}}
objectives:
  - id: onboarding
    title: Make health onboarding for newcomers effortless, from the first day on
    team: growth
    cycle: 2026-Q4
    commitment: committed
    key_results:
      - {{id: booking-5d, title: "{long_title}", metric: booking_rate,
         focus: user, unit: percent, baseline: 0.40, target: 0.70, schedule: daily}}
      - {{id: signups, title: "Signups from 0 to 400", metric: signups,
         focus: business, unit: signups, baseline: 0, target: 400, schedule: daily}}
      - {{id: nps, title: "NPS from 50 to 70", metric: nps, focus: user, unit: points,
         baseline: 50, target: 70, schedule: "every 14d"}}
  - id: sales
    title: Close more deals
    team: sales
    cycle: 2026-Q4
    commitment: aspirational
    key_results:
      - {{id: deals, title: "Deals from 10 to 20", metric: deals, focus: business,
         unit: deals, baseline: 10, target: 20, schedule: daily}}
      - {{id: deals-2, title: "Deals again from 10 to 20", metric: deals, focus: user,
         unit: deals, baseline: 10, target: 20, schedule: daily}}
"""


def environment(columns: int | None = 80, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "CLI_TEST_"))}
    env.pop("COLUMNS", None)
    env.pop("JOURNAL_STREAM", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    env.update(extra)
    return env


def run(
    *args: str, cwd: Path, columns: int | None = 80, check: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    """``syncd ARGS`` piped (stdout and stderr not a terminal)."""
    result = subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=environment(columns, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"syncd {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def run_tty(*args: str, cwd: Path, columns: int) -> tuple[int, str]:
    """``syncd ARGS`` on a terminal ``columns`` wide; returns exit code and output, ANSI removed."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = environment(None, TERM="xterm-256color")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    code = process.wait(60)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    return code, ANSI.sub("", text)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config, a warehouse with 60 days of signups and a store measured up to AS_OF."""
    root = tmp_path_factory.mktemp("cli")
    warehouse = root / "warehouse.db"
    with sqlite3.connect(warehouse) as db:
        db.execute("CREATE TABLE signups (day TEXT, booked INTEGER)")
        start = date(2026, 10, 1)
        rows = [
            ((start + timedelta(days=n)).isoformat(), int(k < 2))
            for n in range(60)
            for k in range(4)
        ]
        db.executemany("INSERT INTO signups VALUES (?, ?)", rows)
    (root / "syncd.yaml").write_text(
        CONFIG.format(store=root / "store.db", warehouse=warehouse, long_title=LONG_TITLE)
    )
    # The store exists: these KRs never need the crm secret.
    run(
        "backfill",
        "--since",
        "2026-11-18",
        "--until",
        AS_OF,
        "--kr",
        "signups",
        "--kr",
        "booking-5d",
        cwd=root,
        **TOKEN,
    )
    run("checkin", "nps", "61", "--at", "2026-11-11T10:00", "--note", "wave 2", cwd=root)
    return root
