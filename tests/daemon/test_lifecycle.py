"""``syncd run`` as systemd runs it: READY, scheduled syncs, SIGHUP reloads, SIGTERM stops."""

from __future__ import annotations

import json
import signal
import urllib.request

from harness import SLOW_SQL, Daemon, free_port, wait_until

from syncd.store import Store


def measured(store_url: str, kr: str) -> int:
    with Store.open(store_url) as store:
        return len(store.measurements(kr))


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def test_start_sync_reload_and_stop_as_systemd_sees_it(
    tmp_path, write_daemon_config, notify_socket
):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    config = write_daemon_config(store_url, port=port)
    daemon = Daemon(config, tmp_path, NOTIFY_SOCKET=str(notify_socket.path))
    try:
        ready = notify_socket.wait_for("READY", timeout=40)
        assert ready["STATUS"].startswith("2 jobs") or ready["STATUS"].startswith("1 jobs")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            assert json.load(answer)["checks"] == {
                "store": "ok",
                "migrations": "ok",
                "scheduler": "ok",
            }
        wait_until(lambda: measured(store_url, "alpha") >= 2, 20, "two scheduled slots")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        assert 'syncd_sync_runs_total{outcome="ok",source="warehouse"}' in metrics
        # The KR gauges follow the measurements' events: alpha 1.5 on 0 → 10 attains 0.15.
        wait_until(lambda: 'syncd_kr_attainment{kr="alpha"} 0.15' in scrape(port), 20, "KR gauges")
        # The same listener serves the dashboard and its JSON API.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/key-results") as answer:
            served = {kr["id"]: kr for kr in json.load(answer)["key_results"]}
        assert served["alpha"]["value"] == 1.5 and served["beta"]["value"] == 2.5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
            assert "Daemon under test" in answer.read().decode()

        # An invalid config is rejected and the running one keeps syncing.
        good = config.read_text()
        config.write_text(good.replace("focus: user", "focus: nobody"))
        seen = len(notify_socket.drain())
        daemon.signal(signal.SIGHUP)
        rejected = daemon.wait_for_event("config.reload_rejected", timeout=15)
        assert any("focus" in line for line in rejected["errors"])
        assert "RELOADING" in notify_socket.wait_for("RELOADING", after=seen)
        assert "rejected" in notify_socket.wait_for("READY", after=seen)["STATUS"]
        before = measured(store_url, "alpha")
        wait_until(lambda: measured(store_url, "alpha") > before, 15, "syncs after rejection")

        # A valid new config takes effect: the new KR is measured from then on.
        config.write_text(
            good
            + "      - {id: gamma, title: G, metric: alpha, focus: user, baseline: 0,"
            + " target: 5, schedule: every 5s}\n"
        )
        daemon.signal(signal.SIGHUP)
        daemon.wait_for_event("config.reloaded", timeout=15)
        wait_until(lambda: measured(store_url, "gamma") >= 1, 20, "the new KR measured")
    finally:
        code = daemon.stop()
    assert code == 0
    assert "STOPPING" in notify_socket.wait_for("STOPPING", timeout=5)
    daemon.wait_for_event("daemon.stopped", timeout=1)


def test_a_second_daemon_on_the_same_sqlite_store_is_refused(tmp_path, write_daemon_config):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_daemon_config(store_url)
    first = Daemon(config, tmp_path, name="first")
    try:
        first.wait_for_event("daemon.ready", timeout=40)
        second = Daemon(write_daemon_config(store_url, name="b.yaml"), tmp_path, name="second")
        assert second.process.wait(30) == 3
        text = second.log_path.read_text()
        assert f"another syncd daemon (pid {first.pid}) already runs on the SQLite store" in text
    finally:
        assert first.stop() == 0


def test_sigterm_mid_sync_finishes_the_pass_and_leaves_no_partial_slot(
    tmp_path, write_daemon_config
):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    # Each KR's query takes about a second: a pass is in flight most of the time.
    config = write_daemon_config(
        store_url,
        alpha_sql=SLOW_SQL.format(n=1_500_000, value=1.5),
        beta_sql=SLOW_SQL.format(n=1_500_000, value=2.5),
    )
    daemon = Daemon(config, tmp_path)
    try:
        daemon.wait_for_event("daemon.ready", timeout=40)

        def pass_in_flight() -> bool:
            with Store.open(store_url) as store:
                return any(run.finished_at is None for run in store.runs(limit=5))

        wait_until(pass_in_flight, 30, "a pass in flight")
    finally:
        code = daemon.stop()
    assert code == 0
    with Store.open(store_url) as store:
        assert all(run.finished_at is not None for run in store.runs(limit=50))
        alpha = {m.window_end for m in store.measurements("alpha")}
        beta = {m.window_end for m in store.measurements("beta")}
    # One pass writes both KRs of its slot in one transaction: never one without the other.
    assert alpha == beta
    assert alpha


def test_a_job_that_keeps_failing_is_backed_off_and_reported(tmp_path, write_daemon_config):
    port = free_port()
    config = write_daemon_config(
        port=port,
        alpha_sql="SELECT value FROM no_such_table",
        beta_sql="SELECT value FROM no_such_table",
    )
    daemon = Daemon(config, tmp_path)
    try:
        paused = daemon.wait_for_event("job.paused", timeout=45)
        assert paused["job"] == "warehouse@every 5s"
        assert paused["failures"] == 3
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        assert 'syncd_source_up{source="warehouse"} 0.0' in metrics
        assert 'syncd_sync_runs_total{outcome="failed",source="warehouse"} 3.0' in metrics
        daemon.wait_for_event("job.backing_off", timeout=15, job="warehouse@every 5s")
    finally:
        assert daemon.stop() == 0
    failures = [e for e in daemon.events() if e["event"] == "kr.not_measured"]
    assert failures and "no such table" in failures[0]["error"]
