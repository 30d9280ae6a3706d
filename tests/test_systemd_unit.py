"""The systemd unit: `systemd-analyze verify` and `security` on it, its hardening, no secrets in
its environment, and the syncd commands it runs.

The verify checks need `systemd-analyze` (Debian: `apt-get install -y systemd`); without it they
skip with the reason, and fail in CI (`CI=true`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "syncd.service"
INSTALLED_SYNCD = "/usr/local/bin/syncd"
VENV_SYNCD = Path(sys.executable).parent / "syncd"
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL", re.IGNORECASE)

Directive = tuple[str, str, str]  # section, key, value


def directives(text: str) -> list[Directive]:
    """(section, key, value) for every assignment in a unit file, in order (keys repeat)."""
    found: list[Directive] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def service_values(text: str, key: str) -> list[str]:
    return [
        value for section, name, value in directives(text) if (section, name) == ("Service", key)
    ]


def environment(text: str) -> dict[str, str]:
    pairs = [word for value in service_values(text, "Environment") for word in shlex.split(value)]
    return dict(pair.split("=", 1) for pair in pairs)


def secret_like_environment(text: str) -> list[str]:
    """Names set by Environment= that look like they carry a secret."""
    return sorted(name for name in environment(text) if SECRET_NAME.search(name))


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        reason = "systemd-analyze not installed (Debian: apt-get install -y systemd)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return tool


def local_copy(tmp_path: Path, text: str, name: str = "syncd.service") -> Path:
    """The unit with syncd's path pointing at this venv (verify wants an executable), and the
    commented credential examples switched on so their syntax is checked too."""
    assert VENV_SYNCD.is_file(), f"{VENV_SYNCD} missing: install syncd into the venv"
    text = text.replace(INSTALLED_SYNCD, str(VENV_SYNCD))
    text = re.sub(r"^#(LoadCredential(?:Encrypted)?=)", r"\1", text, flags=re.MULTILINE)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def verify(tool: str, unit: Path) -> tuple[int, list[str]]:
    """Exit code and the complaints about this unit (other units' noise is left out)."""
    result = subprocess.run(
        [tool, "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=unit.parent,
    )
    output = (result.stdout + result.stderr).splitlines()
    return result.returncode, [line for line in output if unit.name in line]


@pytest.fixture(scope="module")
def unit_text() -> str:
    return UNIT.read_text(encoding="utf-8")


def test_systemd_analyze_verify_passes(tmp_path, unit_text):
    tool = systemd_analyze()
    code, complaints = verify(tool, local_copy(tmp_path, unit_text))
    assert (code, complaints) == (0, [])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("ProtectHome=yes", "ProtectHome=yes\nProtectHme=yes"), "Unknown key 'ProtectHme'"),
        (("ExecStart=/", "ExecStart=/nowhere/"), "is not executable"),
    ],
)
def test_verify_catches_a_broken_unit(tmp_path, unit_text, change, expected):
    tool = systemd_analyze()
    broken = local_copy(tmp_path, unit_text).read_text().replace(*change, 1)
    _code, complaints = verify(tool, local_copy(tmp_path, broken, "broken.service"))
    assert any(expected in line for line in complaints), complaints


def test_security_exposure_is_low(tmp_path, unit_text):
    tool = systemd_analyze()
    result = subprocess.run(
        [tool, "security", "--offline=true", "--no-pager", str(local_copy(tmp_path, unit_text))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for syncd\.service: (\d+\.\d+)", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


def test_service_contract(unit_text):
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "60",
        "Restart": "on-failure",
        "RestartSec": "5",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "ExecStart": f"{INSTALLED_SYNCD} run",
        "ExecStartPre": f"{INSTALLED_SYNCD} validate --secrets",
        "DynamicUser": "yes",
        "StateDirectory": "syncd",
        "ConfigurationDirectory": "syncd",
        "WorkingDirectory": "/var/lib/syncd",
    }
    assert {key: service_values(unit_text, key) for key in expected} == {
        key: [value] for key, value in expected.items()
    }


def test_hardening_directives(unit_text):
    expected = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectClock": "yes",
        "ProtectHostname": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "RestrictNamespaces": "yes",
        "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
    }
    assert {key: service_values(unit_text, key) for key in expected} == {
        key: [value] for key, value in expected.items()
    }
    assert "@system-service" in service_values(unit_text, "SystemCallFilter")


def test_no_secret_in_the_environment(unit_text):
    assert environment(unit_text) == {
        "SYNCD_CONFIG": "/etc/syncd",
        "SYNCD_LOG_FORMAT": "json",
        "SYNCD_LOG_LEVEL": "info",
    }
    assert secret_like_environment(unit_text) == []
    assert service_values(unit_text, "EnvironmentFile") == []


def test_secret_check_flags_secret_names():
    unit = (
        "[Service]\nEnvironment=SYNCD_LOG_LEVEL=info HUBSPOT_TOKEN=pat-123\n"
        'Environment="DB_PASSWORD=x y" SF_PRIVATE_KEY=/k\n'
    )
    assert secret_like_environment(unit) == ["DB_PASSWORD", "HUBSPOT_TOKEN", "SF_PRIVATE_KEY"]


def test_credential_examples_match_config_references(unit_text):
    # Each commented LoadCredential example names the ${credential:…} the config uses for it.
    names = re.findall(r"^#LoadCredential(?:Encrypted)?=([^:\n]+):", unit_text, re.MULTILINE)
    referenced = re.findall(r'"\$\{credential:([^}]+)\}"', unit_text)
    assert names == ["hubspot-token", "zendesk-token", "ga4.json", "sf.key", "store-url"]
    assert referenced == names


def test_exec_start_pre_runs_with_the_unit_environment(unit_text):
    # The unit's own command line and environment, with the demo config standing in for /etc/syncd.
    argv = shlex.split(service_values(unit_text, "ExecStartPre")[0])
    env = {
        **os.environ,
        **environment(unit_text),
        "SYNCD_CONFIG": str(ROOT / "config" / "demo.yaml"),
    }
    result = subprocess.run(
        [str(VENV_SYNCD), *argv[1:]], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 1 file(s)")


def test_exec_start_command_exists(unit_text):
    argv = shlex.split(service_values(unit_text, "ExecStart")[0])
    result = subprocess.run(
        [str(VENV_SYNCD), *argv[1:], "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
