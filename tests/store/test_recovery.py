"""A store that refuses writes for a while (read-only file, directory or server) recovers by
itself: connections that met the refusal are dropped, not reused; ``check_writable`` tells.

SQL-only (``sql_store``): read-only files, servers and pooled connections."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from syncd.errors import StoreError
from syncd.store import Store, migrate
from tests.store.helpers import basic_config, item


def _poison_pooled_connection(store: Store) -> None:
    """Leave one pooled connection read-only, as one opened on a read-only file stays."""
    with store._engine.connect() as connection:
        driver = connection.connection.driver_connection
        if store.dialect == "sqlite":
            driver.execute("PRAGMA query_only = ON")
        else:
            driver.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            driver.commit()


def test_a_connection_that_met_a_read_only_store_is_dropped(sql_store):
    store = sql_store
    store.sync_definitions(basic_config())
    store.check_writable()
    _poison_pooled_connection(store)
    with pytest.raises(StoreError, match=r"read-?only") as refused:
        store.record_measurements([item("kr-a", 1.0, 1)])
    assert "reconnects by itself" in str(refused.value)
    # The next write gets a fresh connection.
    assert store.record_measurements([item("kr-a", 1.0, 1)]).inserted == 1
    _poison_pooled_connection(store)
    with pytest.raises(StoreError, match="checking the store can write failed"):
        store.check_writable()
    store.check_writable()
    assert [m.value for m in store.measurements("kr-a")] == [1.0]


def test_check_writable_writes_nothing(sql_store):
    store = sql_store
    store.check_writable()
    assert store.is_current()
    assert store.upgrade() == migrate.head_revision()


SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from syncd.errors import StoreError
    from syncd.store import Store
    from tests.store.helpers import basic_config, item

    directory = {directory!r}
    database = os.path.join(directory, "store.db")

    def attempt(what, call):
        try:
            call()
            print(what, "ok")
        except StoreError as exc:
            print(what, "refused:", str(exc).splitlines()[0].rsplit(": ", 1)[-1])

    store = Store.open("sqlite:///" + database)
    store.sync_definitions(basic_config())
    store.check_writable()
    if os.geteuid() == 0:  # root ignores file rights: be nobody (everything is imported now)
        for name in os.listdir(directory):
            os.chown(os.path.join(directory, name), 65534, 65534)
        os.setgid(65534)
        os.setuid(65534)
    store._engine.dispose()  # connections opened from here on see the rights below
    os.chmod(database, 0o444)
    if {directory_too}:
        os.chmod(directory, 0o555)
    attempt("write", lambda: store.record_measurements([item("kr-a", 1.0, 1)]))
    attempt("check", store.check_writable)
    os.chmod(directory, 0o755)
    os.chmod(database, 0o644)
    # SQLite may hand the next connection a file descriptor the refused one left behind (its
    # unix VFS reuses them): allow a few checks, as the daemon's next beats would do.
    for _ in range(5):
        try:
            store.check_writable()
            break
        except StoreError:
            pass
    attempt("check", store.check_writable)
    attempt("write", lambda: store.record_measurements([item("kr-a", 2.0, 2)]))
    print("stored", [m.value for m in store.measurements("kr-a")])
    """
)


@pytest.mark.parametrize("directory_too", [False, True], ids=["file", "file-and-directory"])
def test_a_sqlite_file_made_read_only_for_a_moment_recovers_without_restart(directory_too):
    directory = Path(tempfile.mkdtemp(prefix="syncd-read-only-"))
    try:
        if os.geteuid() == 0:
            os.chown(directory, 65534, 65534)
        root = str(Path(__file__).resolve().parents[2])
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                SCRIPT.format(root=root, directory=str(directory), directory_too=directory_too),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        shutil.rmtree(directory)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "write refused: attempt to write a readonly database",
        "check refused: attempt to write a readonly database",
        "check ok",
        "write ok",
        "stored [2.0]",
    ]
