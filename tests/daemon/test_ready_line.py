"""``syncd run`` says on stdout that it is ready: what runs, from where, and where to look."""

from __future__ import annotations

import pytest
from harness import Daemon, free_port, wait_until
from sqlalchemy.engine import make_url

from syncd import __version__

PASSWORD = "ready-line-s3cret"


@pytest.mark.postgres
def test_the_ready_line_names_version_config_store_jobs_and_listener(
    tmp_path, postgres_url, write_daemon_config
):
    # The test server trusts local connections: the password is sent and ignored.
    url = make_url(postgres_url).set(password="PASSWORD_REF")
    store = url.render_as_string(hide_password=False).replace(
        "PASSWORD_REF", "${env:READY_PGPASSWORD}"
    )
    port = free_port()
    config = write_daemon_config(store, port=port)
    daemon = Daemon(config, tmp_path, READY_PGPASSWORD=PASSWORD)
    try:
        daemon.wait_for_event("daemon.ready", timeout=60)
        # Printed (and flushed) while the daemon runs, not when it exits.
        out = wait_until(lambda: daemon.out_path.read_text(), 10, "the ready line on stdout")
    finally:
        code = daemon.stop()
    assert code == 0
    shown = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=True)
    assert ":***@" in shown
    assert out.splitlines() == [
        f"syncd {__version__} ready: config {config}, store {shown}, 1 jobs, "
        f"listening on http://127.0.0.1:{port}/"
    ]
    everything = out + daemon.log_path.read_text()
    assert PASSWORD not in everything
    assert "ready:" not in daemon.log_path.read_text()  # stdout only: logs stay JSON
