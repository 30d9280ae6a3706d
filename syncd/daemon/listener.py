"""The daemon's HTTP listener: probes, metrics and the dashboard, and what its checks ask.

``/livez`` holds while the scheduler runs and beats; ``/readyz`` also needs the store to take
a write and to be migrated to this version (:mod:`syncd.observe`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.schedulers.base import BaseScheduler

from syncd.config import LoadedConfig
from syncd.observe import HealthCheck, StatusServer, Telemetry, create_app
from syncd.store.abc import Lifecycle, StateStore
from syncd.web import DashboardData, dashboard_blueprint, load_dashboard_data

log = structlog.get_logger("syncd.daemon")

STALLED_BEATS = 6  # the scheduler counts as stalled after this many heartbeats without one


def start_listener(
    listen: str,
    *,
    telemetry: Telemetry,
    store: StateStore,
    loaded: Callable[[], LoadedConfig],
    scheduler_alive: Callable[[], bool | str],
) -> StatusServer:
    """Serve the probes, ``/metrics`` and the dashboard on ``listen`` (``host:port``, the
    host possibly in brackets); the dashboard reads the config ``loaded`` returns at each
    request, so a reload shows at once."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    token = loaded().config.daemon.listen_token

    def source(*, histories: bool = True) -> DashboardData:
        return load_dashboard_data(loaded(), store, datetime.now(UTC), histories=histories)

    dashboard = dashboard_blueprint(
        source,
        token=token.get_secret_value() if token else None,
    )
    app = create_app(
        telemetry,
        live=[HealthCheck("scheduler", scheduler_alive)],
        ready=[
            HealthCheck("store", lambda: store_writable(store)),
            HealthCheck("migrations", lambda: migrations_current(store)),
            HealthCheck("scheduler", scheduler_alive),
        ],
        metrics_token=token.get_secret_value() if token else None,
        blueprints=[dashboard],
    )
    server = StatusServer(app, host=host, port=int(port))
    server.start()
    log.info("listener.started", host=host, port=server.port)
    return server


def store_writable(store: Lifecycle) -> bool | str:
    """True when the store takes a write now (a failure raises ``StoreError``)."""
    store.check_writable()
    return True


def migrations_current(store: Lifecycle) -> bool | str:
    """True when the store's schema is this version's, else why not."""
    return True if store.is_current() else "store not migrated to this version"


def scheduler_alive(
    scheduler: BaseScheduler | None, last_beat: float, *, every: timedelta, now: float
) -> bool | str:
    """True while ``scheduler`` runs and its last heartbeat (``last_beat``, monotonic
    seconds) is at most :data:`STALLED_BEATS` heartbeats (``every``) before ``now``."""
    if scheduler is None or not scheduler.running:
        return "not running"
    stalled = now - last_beat
    if stalled > STALLED_BEATS * every.total_seconds():
        return f"no heartbeat for {stalled:.0f}s"
    return True


def ready_line(loaded: LoadedConfig, store_url: str, jobs: int, server: StatusServer | None) -> str:
    """``syncd 0.1.0 ready: config …, store … (password hidden), N jobs, listening on …``."""
    from syncd import __version__

    files = loaded.files
    config = str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"
    listener = "no listener"
    if server is not None:
        host = f"[{server.host}]" if ":" in server.host else server.host
        listener = f"http://{host}:{server.port}/"
    return (
        f"syncd {__version__} ready: config {config}, store {store_url}, "
        f"{jobs} jobs, listening on {listener}"
    )
