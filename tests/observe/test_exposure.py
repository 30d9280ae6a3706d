"""A listener reachable beyond this host needs a token, or an explicit opt-out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.exposure import is_loopback

PUBLIC = ("--listen", "0.0.0.0:0")

CONFIG = """\
timezone: UTC
store: "sqlite:///{store}"
daemon:
  listen: "{listen}"
{extra}cycles:
  q: {{start: 2026-10-01, end: 2026-12-31}}
objectives:
  - {{id: o, title: O, team: t, cycle: q, key_results: [
      {{id: k, title: K, focus: user, baseline: 0, target: 1}}]}}
"""


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("[::]", False),
        ("192.168.1.10", False),
        ("", False),
        ("metrics.internal", False),
    ],
)
def test_only_loopback_addresses_count_as_local(host, loopback):
    assert is_loopback(host) is loopback


def _syncd(*args: str, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET",)}
    env.update(COLUMNS="80", SYNCD_DASHBOARD_TOKEN="")
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _config(tmp_path: Path, listen: str, extra: str = "") -> Path:
    path = tmp_path / "syncd.yaml"
    path.write_text(CONFIG.format(store=tmp_path / "store.db", listen=listen, extra=extra))
    return path


def test_the_daemon_refuses_a_public_listener_without_token(tmp_path):
    config = _config(tmp_path, "0.0.0.0:9465")
    for command in (["validate", str(config)], ["run", "-c", str(config)]):
        done = _syncd(*command, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith(f"error: {config}:3:")
        assert "listen 0.0.0.0:9465 is reachable beyond this host" in line
        assert "set daemon.listen_token" in line and "daemon.listen_insecure: true" in line
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "store.db").exists()


@pytest.mark.parametrize(
    "extra",
    ['  listen_token: "${env:HOME}"\n', "  listen_insecure: true\n"],
    ids=["token", "opt-out"],
)
def test_a_token_or_the_explicit_opt_out_lets_it_validate(tmp_path, extra):
    done = _syncd("validate", str(_config(tmp_path, "0.0.0.0:9465", extra)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_serve_refuses_a_public_address_without_token(tmp_path):
    config = _config(tmp_path, "127.0.0.1:9465")
    done = _syncd("serve", "-c", str(config), "--listen", "0.0.0.0:0", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: --listen 0.0.0.0:0 is reachable beyond this host")
    assert "--insecure" in line
    assert not (tmp_path / "store.db").exists()


def test_serve_with_insecure_serves_a_public_address(tmp_path):
    config = _config(tmp_path, "127.0.0.1:9465")
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_DASHBOARD_TOKEN"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "syncd", "serve", "-c", str(config), *PUBLIC, "--insecure"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert line.startswith("dashboard: http://0.0.0.0:")
    finally:
        serve.terminate()
        serve.wait(10)
