"""``syncd check-sources`` as a user runs it: piped at 80 columns, against the demo's sandboxes.

The sandboxes run in this process on free ports; the config is the demo's, with those ports, as
``syncd demo`` writes it. One source's credentials are wrong in one run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.demo import sandboxes

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "config" / "demo.yaml"
WRONG_TOKEN = "pat-na1-wrong-0000-token"


@pytest.fixture(scope="module")
def sandbox_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """vendor → URL of its running sandbox; the working directory is ``urls["workdir"]``."""
    root = tmp_path_factory.mktemp("check")
    vendors = set(sandboxes.SANDBOXES)  # every vendor the demo reads
    with contextlib.ExitStack() as stack:
        with contextlib.chdir(root):  # the Salesforce sandbox writes its CA to .syncd-demo/
            urls = stack.enter_context(sandboxes.running(vendors, None))
        demo = root / ".syncd-demo"
        (demo / "demo.yaml").write_text(sandboxes.with_ports(DEMO.read_text(), urls))
        sqlite3.connect(demo / "sample.db").close()  # the warehouse: SELECT 1 needs a file
        yield {**urls, "workdir": str(root)}


@pytest.fixture(scope="module")
def workdir(sandbox_urls: dict[str, str]) -> Path:
    return Path(sandbox_urls["workdir"])


def check_sources(
    *args: str, cwd: Path, config: str = ".syncd-demo/demo.yaml", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    for name in ("HUBSPOT_TOKEN", "SF_PASSWORD", "ZENDESK_TOKEN", "JOURNAL_STREAM"):
        environment.pop(name, None)
    environment.update(COLUMNS="80", **env)
    return subprocess.run(
        [sys.executable, "-m", "syncd", "check-sources", "-c", config, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lines_by_source(stdout: str) -> dict[str, list[str]]:
    """Each source's line and the hint below it; every line is whole (never wrapped)."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("    hint: "):
            current.append(line)
            continue
        mark, name, _ = line.split(" ", 2)
        assert mark in {"✓", "✗", "-"}, line
        current = found.setdefault(name, [])
        current.append(line)
    return found


def test_every_source_is_checked_with_one_line_each(workdir: Path) -> None:
    result = check_sources(cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    found = lines_by_source(result.stdout)
    assert list(found) == [
        "web", "sales", "crm", "support", "analytics", "product", "app", "delivery", "warehouse",
        "customer_research", "research",
    ]  # fmt: skip
    for source in ("analytics", "product", "app", "delivery", "customer_research"):
        assert [line[:2] for line in found[source]] == ["✓ "], found[source]
    assert found["web"] == [
        "✓ web (ga4): GA4 property 123456789: 11 metrics and 6 dimensions readable"
    ]
    assert found["sales"][0].startswith("✓ sales (salesforce): logged in (password); ")
    assert found["sales"][0].endswith("daily API requests left")
    assert found["crm"][0].startswith("✓ crm (hubspot): HubSpot at http://127.0.0.1:")
    assert found["crm"][0].endswith(": 2 deal pipelines readable")
    assert found["support"][0].startswith("✓ support (zendesk): signed in as ops@acme.example")
    assert found["warehouse"] == ["✓ warehouse (sql): connected to sqlite:///.syncd-demo/sample.db"]
    assert found["research"] == ["- research (manual): nothing to check (check-ins)"]
    assert result.stderr == ""


def test_wrong_credentials_fail_that_source_only_and_say_what_to_do(workdir: Path) -> None:
    result = check_sources(cwd=workdir, HUBSPOT_TOKEN=WRONG_TOKEN)
    assert result.returncode == 1
    found = lines_by_source(result.stdout)
    crm, hint = found["crm"]
    assert crm.startswith("✗ crm (hubspot): HubSpot answered 401")
    assert hint == (
        "    hint: check the credentials: the secret sources.crm refers to, and its read access"
    )
    assert all(found[name][0].startswith("✓") for name in ("web", "sales", "support"))
    assert WRONG_TOKEN not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_source_that_cannot_be_reached_is_named_with_its_hint(
    workdir: Path, sandbox_urls: dict[str, str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    config = (workdir / ".syncd-demo" / "demo.yaml").read_text()
    assert f"url: {sandbox_urls['zendesk']}" in config
    (workdir / "moved.yaml").write_text(config.replace(sandbox_urls["zendesk"], closed))
    result = check_sources("--source", "support", cwd=workdir, config="moved.yaml")
    assert result.returncode == 1
    line, hint = result.stdout.splitlines()
    assert line == (
        "✗ support (zendesk): Zendesk current user failed (ConnectError: [Errno 111] "
        "Connection refused)"
    )
    assert hint == (
        "    hint: unreachable or failing: check the address in sources.support and the "
        "network, or try again later"
    )


def test_source_option_picks_sources_and_refuses_unknown_ones(workdir: Path) -> None:
    result = check_sources("--source", "warehouse", "--source", "research", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "✓ warehouse (sql): connected to sqlite:///.syncd-demo/sample.db",
        "- research (manual): nothing to check (check-ins)",
    ]
    result = check_sources("--source", "wbe", cwd=workdir)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--source 'wbe': no such source" in result.stderr
    assert "did you mean 'web'?" in result.stderr
