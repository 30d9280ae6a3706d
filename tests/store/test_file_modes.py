"""A SQLite store syncd creates is private to its user (0600, directories 0700), whatever the
umask of the process that opens it. SQLite-only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.paths import private_directory, private_file
from syncd.store import Store
from tests.store.helpers import basic_config, item


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_store_its_wal_and_its_directories_are_private(tmp_path, permissive_umask):
    database = tmp_path / "state" / "syncd" / "syncd.db"
    with Store.open(f"sqlite:///{database}") as store:
        store.sync_definitions(basic_config())
        store.record_measurements([item("kr-a", 1.0, 1)])
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()
        assert {path.name: mode(path) for path in (database, wal, shm)} == {
            "syncd.db": 0o600,
            "syncd.db-wal": 0o600,
            "syncd.db-shm": 0o600,
        }
    assert mode(database.parent) == 0o700
    assert mode(database.parent.parent) == 0o700


def test_existing_files_and_directories_keep_their_mode(tmp_path, permissive_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    existing = shared / "store.db"
    existing.write_text("")
    existing.chmod(0o640)
    private_directory(shared)
    private_file(existing)
    assert (mode(shared), mode(existing)) == (0o755, 0o640)
