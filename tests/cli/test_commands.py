"""Command-line behaviour: version, help, exit codes, one-line errors, read-only commands."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from syncd import __version__
from tests.cli.conftest import AS_OF, TOKEN, environment, run


def test_version_is_eager(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.stdout == f"syncd {__version__}\n"


def test_help_shows_real_choices_and_human_examples(tmp_path: Path) -> None:
    texts = [
        run(*command, "--help", cwd=tmp_path).stdout
        for command in (
            (),
            ("sync",),
            ("status",),
            ("export",),
            ("checkin",),
            ("backfill",),
            ("serve",),
        )
    ]
    joined = "\n".join(texts)
    assert "<debug|info|warning|error>" in joined
    assert "<table|json>" in joined
    assert "2026-11-21T06:00" in joined
    for unwanted in ("<bool>", "<list[str]>", "%Y", "%d", "<datetime>"):
        assert unwanted not in joined
    assert "--dry-run" in texts[1] and "--once" not in texts[1]
    assert "--at, --as-of TIME" in texts[4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--log-level", "loud", "status"), "'loud' is not one of 'debug', 'info'"),
        (("status", "--as-of", "02.12.2026"), "--as-of '02.12.2026' is not a date or time"),
        (("serve", "--listen", ":99999"), "--listen ':99999' is not HOST:PORT"),
        (("serve", "--listen", "localhost"), "--listen 'localhost' is not HOST:PORT"),
        (("status", "--format", "xml"), "'xml' is not one of 'table', 'json'"),
        (("stat",), "Did you mean 'status'?"),
        (("backfill", "--since", "1.10.2026"), "--since '1.10.2026' is not a date"),
    ],
)
def test_bad_values_are_exit_2_with_one_message(workspace: Path, args, message) -> None:
    result = run(*args, cwd=workspace, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) <= 2  # the error, and at most a hint


def test_as_of_error_gives_an_example(workspace: Path) -> None:
    result = run("status", "--as-of", "02.12.2026", cwd=workspace, check=False)
    assert "hint: write it as e.g. 2026-11-21 or 2026-11-21T06:00" in result.stderr


def test_report_to_an_unwritable_path(workspace: Path) -> None:
    target = workspace / "missing-dir" / "review.md"
    result = run("report", "--cycle", "2026-Q4", "--out", str(target), cwd=workspace, check=False)
    assert result.returncode == 2
    assert f"--out {target}: cannot write: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("history", "signup"),
        ("sync", "--kr", "signup"),
        ("backfill", "--since", "2026-11-01", "--kr", "signup"),
        ("checkin", "signup", "3"),
        ("preview", "signup"),
    ],
)
def test_one_did_you_mean_for_a_mistyped_kr(workspace: Path, args) -> None:
    result = run(*args, cwd=workspace, check=False, **TOKEN)
    assert result.returncode == 2
    assert "hint: did you mean 'signups'?" in result.stderr


def test_read_only_commands_need_no_source_secret(workspace: Path) -> None:
    # The crm source's token is not set: sync refuses, the read-only commands do not care.
    assert "CLI_TEST_HUBSPOT_TOKEN is not set" in run("sync", cwd=workspace, check=False).stderr
    status = json.loads(run("status", "--format", "json", "--as-of", AS_OF, cwd=workspace).stdout)
    values = {kr["id"]: kr["value"] for kr in status["key_results"]}
    assert values["signups"] == 204 and values["nps"] == 61 and values["deals"] is None
    assert "signups" in run("history", "signups", cwd=workspace).stdout
    assert run("export", "--kr", "nps", cwd=workspace).stdout.splitlines()[1].startswith("nps,")
    review = run(
        "report", "--cycle", "2026-Q4", "--format", "json", "--as-of", AS_OF, cwd=workspace
    )
    assert json.loads(review.stdout)["cycle"]["id"] == "2026-Q4"
    assert run("digest", "--team", "growth", "--as-of", AS_OF, cwd=workspace).stdout.startswith(
        "# Weekly OKR digest: growth"
    )


def test_a_store_that_does_not_exist_is_not_created_by_a_read(
    workspace: Path, tmp_path: Path
) -> None:
    config = tmp_path / "syncd.yaml"
    text = (workspace / "syncd.yaml").read_text()
    config.write_text(text.replace(str(workspace / "store.db"), str(tmp_path / "stroe.db")))
    result = run("status", cwd=tmp_path, check=False)
    assert result.returncode == 3
    assert f"the store {tmp_path / 'stroe.db'} does not exist yet" in result.stderr
    assert not (tmp_path / "stroe.db").exists()


def test_missing_config_from_syncd_config_is_named_once(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = run("status", cwd=tmp_path, check=False, SYNCD_CONFIG=str(missing))
    assert result.returncode == 2
    assert result.stderr.count(str(missing)) == 1
    assert f"config {missing} does not exist (from $SYNCD_CONFIG)" in result.stderr
    assert "hint: fix SYNCD_CONFIG" in result.stderr


def test_postgres_urls_are_accepted_and_mysql_refused_at_validate(
    workspace: Path, tmp_path: Path
) -> None:
    text = (workspace / "syncd.yaml").read_text()
    store = f"sqlite:///{workspace / 'store.db'}"
    config = tmp_path / "syncd.yaml"
    config.write_text(text.replace(store, "postgres://syncd@127.0.0.1:1/syncd"))
    assert "valid:" in run("validate", cwd=tmp_path).stdout
    result = run("status", cwd=tmp_path, check=False)
    assert result.returncode == 3
    assert "postgresql+psycopg://syncd@127.0.0.1:1/syncd" in result.stderr
    config.write_text(text.replace(store, "mysql://syncd:pw@db/syncd"))
    result = run("validate", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "syncd.yaml:2" in result.stderr and "cannot use a mysql:// store" in result.stderr
    assert "postgresql+psycopg://user@host/database" in result.stderr
    assert ":pw@" not in result.stderr


@pytest.mark.postgres
def test_a_wrong_postgres_role_says_authentication_failed(workspace: Path, tmp_path) -> None:
    if not _port_open(5432):
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI starts it)")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    text = (workspace / "syncd.yaml").read_text()
    config = tmp_path / "syncd.yaml"
    config.write_text(
        text.replace(
            f"sqlite:///{workspace / 'store.db'}",
            "postgresql://no_such_role_x@127.0.0.1:5432/test",
        )
    )
    result = run("status", cwd=tmp_path, check=False)
    assert result.returncode == 3
    assert "authentication failed for role 'no_such_role_x'" in result.stderr
    assert "is PostgreSQL running" not in result.stderr


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_dry_run_measures_and_stores_nothing(workspace: Path) -> None:
    before = run("export", "--format", "json", cwd=workspace).stdout
    result = run(
        "sync",
        "--dry-run",
        "--kr",
        "signups",
        "--kr",
        "booking-5d",
        "--as-of",
        "2026-11-25T10:30",
        cwd=workspace,
        **TOKEN,
    )
    assert "2 measured, 0 failed, 0 skipped; dry run: nothing stored" in result.stdout
    assert "✓ signups" in result.stdout
    assert run("export", "--format", "json", cwd=workspace).stdout == before


def test_checkin_takes_at_as_documented(workspace: Path) -> None:
    result = run("checkin", "nps", "63", "--at", "2026-11-20T09:00", cwd=workspace)
    assert "nps: 63 at 2026-11-20T09:00:00+01:00" in result.stdout
    result = run("checkin", "nps", "64", "--as-of", "2026-11-20T09:00", cwd=workspace)
    assert "nps: 64 at 2026-11-20T09:00:00+01:00" in result.stdout


def _serve(workspace: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=workspace,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_has_livez_and_a_busy_port_is_one_line(workspace: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _serve(workspace, port)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith(f"dashboard: http://127.0.0.1:{port}/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=10) as answer:
            assert answer.status == 200 and answer.read() == b"ok\n"
        second = _serve(workspace, port)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert err.startswith(f"error: --listen 127.0.0.1:{port}: cannot listen there")
        assert "Traceback" not in err
    finally:
        server.terminate()
        server.wait(10)
