"""Three ``syncd sync`` instances on one PostgreSQL store, reading one HubSpot account at once:
together they stay under its search limit, because they count their calls in one shared window.

The sandbox enforces HubSpot's documented 5 searches per second (over any sliding second) and
answers 429 past it; the config keeps the connector's default pace (4 a second). Each instance
alone keeps that pace; three of them, each on its own window, would make 12 a second.
"""

from __future__ import annotations

import bisect
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.hubspot.sandbox import HubSpotSandbox
from syncd.store import Store

pytestmark = pytest.mark.postgres

INSTANCES = 3
KRS = 8
SEARCH = "/crm/v3/objects/deals/search"
VENDOR_LIMIT = 5  # searches in any second, as HubSpot documents and the sandbox enforces

CONFIG = """\
timezone: UTC
store: "{store}"
sources:
  crm:
    type: hubspot
    token: "${{env:HUBSPOT_TOKEN}}"
    endpoint: {endpoint}
cycles:
  now: {{start: {start}, end: {end}}}
metrics:
{metrics}
objectives:
  - id: sales
    title: Win more deals
    team: sales
    cycle: now
    key_results:
{krs}
"""


def write_config(path: Path, store: str, endpoint: str) -> Path:
    """A config of ``KRS`` KRs, each one search over its own trailing window."""
    today = datetime.now(UTC).date()
    metrics = "\n".join(
        f"  won_{n}: {{source: crm, query: {{object: deals, date_property: closedate}}, "
        f"window: trailing_{n}d}}"
        for n in range(1, KRS + 1)
    )
    krs = "\n".join(
        f"      - {{id: won-{n}, title: Deals won in {n} days, metric: won_{n}, "
        "focus: business, baseline: 0, target: 10, schedule: daily}"
        for n in range(1, KRS + 1)
    )
    path.write_text(
        CONFIG.format(
            store=store,
            endpoint=endpoint,
            start=today - timedelta(days=30),
            end=today + timedelta(days=30),
            metrics=metrics,
            krs=krs,
        )
    )
    return path


class RefusalCount:
    """The sandbox's admissions, counted: the instants of searches let through, and every 429."""

    def __init__(self, box: HubSpotSandbox) -> None:
        self.admitted: list[float] = []
        self.refused: list[str] = []
        self._admit = box.limits.admit
        self._lock = threading.Lock()
        box.limits.admit = self  # type: ignore[method-assign]

    def __call__(self, is_search: bool) -> Any:
        answer = self._admit(is_search)
        with self._lock:
            if answer is not None:
                self.refused.append(str(answer.body.get("policyName")))
            elif is_search:
                self.admitted.append(time.monotonic())
        return answer

    def most_in_any_second(self) -> int:
        ordered = sorted(self.admitted)
        return max(
            bisect.bisect_left(ordered, start + 1.0) - index for index, start in enumerate(ordered)
        )


@pytest.fixture
def sandbox() -> Iterator[HubSpotSandbox]:
    with HubSpotSandbox(search_per_second=VENDOR_LIMIT) as box:
        yield box


def start_sync(config: Path, token: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    environment.update(COLUMNS="80", HUBSPOT_TOKEN=token)
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "sync", "-c", str(config)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_instances_on_one_postgresql_stay_under_the_vendors_limit(
    tmp_path: Path, postgres_url: str, sandbox: HubSpotSandbox
) -> None:
    Store.open(postgres_url).close()  # migrated once, as an upgrade would
    count = RefusalCount(sandbox)
    configs = [
        write_config(tmp_path / f"i{i}.yaml", postgres_url, sandbox.url) for i in range(INSTANCES)
    ]
    processes = [start_sync(config, sandbox.private_app_token) for config in configs]
    outputs = [process.communicate(timeout=240) for process in processes]

    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out + err
        assert f"{KRS} measured" in out, out
    assert count.refused == []
    # Every instance asked every search once: nothing was refused, nothing retried.
    assert len(sandbox.calls(SEARCH, "POST")) == INSTANCES * KRS
    assert len(count.admitted) == INSTANCES * KRS
    assert count.most_in_any_second() <= VENDOR_LIMIT
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            accounts = connection.execute(text("SELECT account FROM quota_windows")).scalars()
            assert list(accounts) == ["hubspot:source:crm"]
    finally:
        engine.dispose()
