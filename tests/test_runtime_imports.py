"""Sandboxes are test and demo code: nothing on the runtime path imports them (issue 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
