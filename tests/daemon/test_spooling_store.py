"""The daemon's spooling store: an outage spools and replays in order; a refusal is set aside
and blocks nothing, across restarts; a full spool disk is a ``StoreError``, logged once."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harness import CuttableProxy, free_port
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from syncd.daemon.resilient import SpoolingStore
from syncd.daemon.spool import Spool
from syncd.errors import StoreError
from syncd.store import Store, WriteResult
from syncd.store.engine import make_engine, parse_url
from tests.store.helpers import basic_config, item


@contextlib.contextmanager
def spooling(sql_store_url: str, spool_path: Path) -> Iterator[SpoolingStore]:
    """A spooling store as the daemon builds it, closed (a restart) on leaving."""
    store = Store.open(sql_store_url)
    spool = Spool(spool_path)
    try:
        yield SpoolingStore(store, spool, basic_config())
    finally:
        spool.close()
        store.close()


def values(sql_store_url: str, kr: str) -> list[tuple[int, float, int]]:
    """(window end day, value, revision) of a KR's measurements."""
    with Store.open(sql_store_url) as store:
        return [(m.window_end.day - 1, m.value, m.revision) for m in store.measurements(kr)]


def test_a_refused_item_is_set_aside_and_the_rest_written(sql_store_url, tmp_path):
    with spooling(sql_store_url, tmp_path / "spool.db") as sink:
        result = sink.record_measurements(
            [item("kr-a", 1.0, 1), item("kr-a", float("nan"), 2), item("ghost", 3.0, 1)]
        )
        assert (result.inserted, result.updated, result.unchanged) == (1, 0, 0)
        assert [r.reason for r in result.refused] == [
            "value nan is not a finite number",
            "key result 'ghost' is not defined in the store",
        ]
        assert sink.spool.pending() == 0
        assert sink.dead_letter_count() == 2
        assert sink.record_measurements([item("kr-a", 2.0, 2)]) == WriteResult(1, 0, 0)
    assert values(sql_store_url, "kr-a") == [(1, 1.0, 1), (2, 2.0, 1)]
    with Store.open(sql_store_url) as store:
        assert store.dead_letter_count() == 1  # kr-a's window 2 is stored now: resolved
        [ghost] = store.dead_letters()
    assert (ghost.key_result_id, ghost.attempts) == ("ghost", 1)


def test_a_poison_batch_left_in_the_spool_drains_and_blocks_nothing(sql_store_url, tmp_path):
    # What an older syncd spooled when the store refused a whole batch for one bad item: every
    # later write replayed it first and failed again, for good.
    spool_path = tmp_path / "spool.db"
    old = Spool(spool_path)
    old.append(
        [item("kr-a", float("inf"), 1), item("kr-b", 4.0, 1), item("ghost", 1.0, 1)],
        datetime.now(UTC),
    )
    old.append([item("kr-b", 5.0, 2)], datetime.now(UTC))
    old.close()

    with spooling(sql_store_url, spool_path) as sink:
        assert sink.spool.pending() == 4
        with capture_logs() as events:
            assert sink.record_measurements([item("kr-a", 7.0, 3)]) == WriteResult(1, 0, 0)
        assert sink.spool.pending() == 0
        set_aside = [e for e in events if e["event"] == "measurement.set_aside"]
        assert [(e["kr"], e["reason"]) for e in set_aside] == [
            ("kr-a", "value inf is not a finite number"),
            ("ghost", "key result 'ghost' is not defined in the store"),
        ]
        assert [e["measurements"] for e in events if e["event"] == "spool.replayed"] == [4]
    assert values(sql_store_url, "kr-b") == [(1, 4.0, 1), (2, 5.0, 1)]
    assert values(sql_store_url, "kr-a") == [(3, 7.0, 1)]

    # After a restart nothing is replayed again and writes go straight through.
    with spooling(sql_store_url, spool_path) as sink:
        assert sink.spool.pending() == 0
        assert sink.record_measurements([item("kr-a", 8.0, 4)]) == WriteResult(1, 0, 0)
        assert sink.dead_letter_count() == 2
    with Store.open(sql_store_url) as store:
        assert sorted((d.key_result_id, d.attempts) for d in store.dead_letters()) == [
            ("ghost", 1),
            ("kr-a", 1),
        ]


@pytest.mark.postgres
def test_an_outage_spools_and_recovery_replays_in_order_across_a_restart(postgres_url, tmp_path):
    url = make_url(postgres_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    spool_path = tmp_path / "spool.db"
    try:
        with spooling(proxied, spool_path) as sink:
            sink.sync_definitions(basic_config())
            assert sink.record_measurements([item("kr-a", 1.0, 1)]) == WriteResult(1, 0, 0)
            proxy.cut()
            # The same window twice while the store is away: the later value must win.
            with capture_logs() as events:
                assert sink.record_measurements([item("kr-a", 2.0, 2)]) == WriteResult(0, 0, 0)
                sink.record_measurements(
                    [item("kr-a", 3.0, 2, run_id="run-2"), item("kr-b", float("nan"), 2)]
                )
            assert [e["pending"] for e in events if e["event"] == "measurements.spooled"] == [
                1,
                3,
            ]
            assert sink.replay() == 0  # still away: nothing moves, nothing is lost
            assert sink.dead_letter_count() is None
        # Restarted while the store is still away; then it comes back.
        proxy.restore()
        with spooling(proxied, spool_path) as sink:
            assert sink.spool.pending() == 3
            result = sink.record_measurements([item("kr-a", 4.0, 3)])
            assert result == WriteResult(1, 0, 0)
            assert sink.spool.pending() == 0
            assert sink.dead_letter_count() == 1
    finally:
        proxy.close()
    assert values(postgres_url, "kr-a") == [(1, 1.0, 1), (2, 3.0, 2), (3, 4.0, 1)]
    with Store.open(postgres_url) as store:
        [second] = [m for m in store.measurements("kr-a") if m.revision == 2]
        assert [(r.revision, r.value) for r in store.revisions(second.id)] == [(1, 2.0)]
        [letter] = store.dead_letters()
    assert (letter.key_result_id, letter.reason) == ("kr-b", "value nan is not a finite number")


def unreachable_store() -> Store:
    """A store whose PostgreSQL server is not there: every write is an outage."""
    url = parse_url(f"postgresql+psycopg://syncd@127.0.0.1:{free_port()}/syncd?connect_timeout=2")
    return Store(make_engine(url), url)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "64k") -> Iterator[Path]:
    """A tiny tmpfs at ``path`` (root only)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0 or shutil.which("umount") is None:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("disk", ["tmpfs", "page-limit"])
def test_a_full_spool_disk_is_a_store_error_logged_once(tmp_path, disk):
    with contextlib.ExitStack() as stack:
        where = stack.enter_context(tmpfs(tmp_path / "tiny")) if disk == "tmpfs" else tmp_path
        spool = Spool(where / "spool.db")
        stack.callback(spool.close)
        if disk == "page-limit":
            # SQLite's own size cap fails writes with SQLITE_FULL, the code of a full disk.
            spool._db.execute("PRAGMA max_page_count = 8")
        store = unreachable_store()
        stack.callback(store.close)
        sink = SpoolingStore(store, spool, basic_config())
        batch = [item("kr-a", float(n), n, note="x" * 200) for n in range(1, 31)]

        acknowledged = 0
        with capture_logs() as events:
            for _ in range(40):
                try:
                    sink.record_measurements(batch)
                except StoreError as exc:
                    error = str(exc)
                    break
                acknowledged += len(batch)
            else:
                pytest.fail("the spool never filled up")
            for _ in range(2):
                with pytest.raises(StoreError):
                    sink.record_measurements(batch)
        assert error.startswith("spooling 30 measurements failed: the disk holding ")
        assert "is full; they are neither stored nor spooled" in error
        assert "hint: free space there" in error
        assert "sqlite3" not in error
        failed = [e for e in events if e["event"] == "spool.failed"]
        assert len(failed) == 1 and failed[0]["count"] == 30
        # Only what was acknowledged (spooled) waits; nothing of the failed batches.
        assert spool.pending() == acknowledged

        if disk == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=4m", str(where)], check=True)
        else:
            spool._db.execute("PRAGMA max_page_count = 100000")
        with capture_logs() as events:
            assert sink.record_measurements(batch[:1]) == WriteResult(0, 0, 0)
        assert [e["event"] for e in events] == ["spool.recovered", "measurements.spooled"]
        assert spool.pending() == acknowledged + 1


def test_a_full_store_disk_is_an_outage_not_a_refusal(tmp_path):
    where = tmp_path / "tiny"
    with (
        tmpfs(where, "512k"),
        spooling(f"sqlite:///{where / 'store.db'}", tmp_path / "spool.db") as sink,
    ):
        sink.sync_definitions(basic_config())
        with capture_logs() as events:
            for round_ in range(40):
                days = range(round_ * 30 + 1, round_ * 30 + 31)
                sink.record_measurements([item("kr-a", 1.0, n, note="x" * 2000) for n in days])
                if sink.spool.pending():
                    break
        [spooled] = [e for e in events if e["event"] == "measurements.spooled"]
        assert "database or disk is full" in spooled["error"]
        assert "hint: free disk space for the store" in spooled["error"]
        assert sink.spool.pending() == 30
        assert sink.dead_letter_count() == 0
        assert not [e for e in events if e["event"] == "measurement.set_aside"]
