"""Where syncd finds its configuration when ``-c`` is not given, and how it creates files.

Everything syncd writes (store, WAL, spool, lock, reports) is private to its user: files 0600,
directories 0700, under systemd (``UMask=0077``) and outside it alike.
"""

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


PRIVATE_UMASK = 0o077


def restrict_umask() -> None:
    """Add :data:`PRIVATE_UMASK` to the process umask: what syncd creates from now on is
    readable by its own user only."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def private_directory(path: Path) -> None:
    """Create ``path`` and its missing parents 0700 (an existing one is left as it is)."""
    missing = [parent for parent in (path, *path.parents) if not parent.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is masked by the umask, which may be wider


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (SQLite then gives its WAL and shared
    memory files the same mode)."""
    private_directory(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(descriptor, 0o600)
    os.close(descriptor)
