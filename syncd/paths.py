"""Where syncd finds its configuration when ``-c`` is not given."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_DIR = Path(".syncd-demo")


def repo_demo_config() -> Path | None:
    """The demo config: beside the package in a checkout, or inside it in a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "config" / "demo.yaml", package / "demo" / "demo.yaml"):
        if candidate.is_file() and candidate.stat().st_size:
            return candidate
    return None


def default_config() -> Path | None:
    """``$SYNCD_CONFIG``, ``./syncd.yaml``, ``./config/syncd.yaml``, systemd's
    ``$CONFIGURATION_DIRECTORY``, ``/etc/syncd``; and after ``syncd demo`` in this directory,
    the demo config."""
    if env := os.environ.get("SYNCD_CONFIG"):
        return Path(env)
    candidates = [Path("syncd.yaml"), Path("config/syncd.yaml")]
    if systemd := os.environ.get("CONFIGURATION_DIRECTORY"):
        candidates.append(Path(systemd.split(":")[0]))
    candidates.append(Path("/etc/syncd"))
    for candidate in candidates:
        if candidate.is_file() or (candidate.is_dir() and any(candidate.glob("*.y*ml"))):
            return candidate
    if (DEMO_DIR / "syncd.db").exists():
        return repo_demo_config()
    return None
