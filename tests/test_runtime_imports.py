"""Sandboxes are test and demo code: nothing on the runtime path imports them (issue 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, pkgutil, sys
import syncd, connectors
skip = ("sandbox", "syncd.demo", "syncd.testing", "migrations", "__main__")
for package in (syncd, connectors):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not any(part in info.name for part in skip):
            importlib.import_module(info.name)
loaded = sorted(
    name for name in sys.modules
    if "sandbox" in name or name.split(".")[0] in ("trustme", "pytest")
)
print("\\n".join(loaded))
"""


def test_no_runtime_module_imports_sandbox_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []


SDK_PROBE = """
import sys
from pathlib import Path

import pytest
from syncd.config import load_config
from syncd.collect import ConnectorPool
loaded = load_config(Path("config/demo.yaml"))
types = sorted({source.type for source in loaded.config.sources.values()})
with ConnectorPool(loaded.config.sources, loaded.config.tz) as pool:
    for name in loaded.config.sources:
        if name != "research":
            pool.get(name)  # a connector is built; it calls nobody yet
sdks = ("google.analytics", "google.api_core", "simple_salesforce", "hubspot")
print(" ".join(types))
print(" ".join(sorted(m for m in sys.modules if m.startswith(sdks))))
"""


def test_loading_the_demo_config_imports_no_vendor_sdk() -> None:
    # `syncd status` reads a config naming GA4, Salesforce and HubSpot sources; their SDKs take
    # most of a second to import and are loaded only when a connector first calls upstream.
    done = subprocess.run(
        [sys.executable, "-c", SDK_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    types, loaded = done.stdout.split("\n")[:2]
    assert {"ga4", "salesforce", "hubspot"} <= set(types.split())
    assert loaded == ""


MISSING_SDK_PROBE = """
import importlib.metadata as metadata
installed = metadata.distribution
def distribution(name):
    if name == "hubspot-api-client":  # as if `pip install syncd` without the hubspot extra
        raise metadata.PackageNotFoundError(name)
    return installed(name)
metadata.distribution = distribution
from syncd import registry
try:
    registry.load_connector("hubspot")
except registry.ConnectorLoadError as exc:
    print(exc)
"""


def test_a_missing_sdk_is_still_reported_when_the_config_is_loaded() -> None:
    done = subprocess.run(
        [sys.executable, "-c", MISSING_SDK_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == (
        "connector 'hubspot' needs 'hubspot-api-client', which is not installed: "
        "install it with `pip install 'syncd[hubspot]'`"
    )


MISSING_DISTRIBUTION_PROBE = """
import importlib.metadata as metadata
import sys
missing = sys.argv[1]
installed = metadata.distribution
def distribution(name):
    if name == missing:  # as if installed without the connector's extra
        raise metadata.PackageNotFoundError(name)
    return installed(name)
metadata.distribution = distribution
from syncd import registry
try:
    registry.load_connector(sys.argv[2])
except registry.ConnectorLoadError as exc:
    print(exc)
"""


@pytest.mark.parametrize(
    ("connector", "distribution"),
    [
        ("jira", "jira"),
        ("sheets", "google-api-python-client"),
        ("sheets", "google-auth-httplib2"),
        ("sheets", "google-auth"),
    ],
)
def test_a_client_loaded_on_first_use_is_still_required_when_the_config_loads(
    connector: str, distribution: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MISSING_DISTRIBUTION_PROBE, distribution, connector],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == (
        f"connector {connector!r} needs {distribution!r}, which is not installed: "
        f"install it with `pip install 'syncd[{connector}]'`"
    )
