"""The status listener: a Flask app (``/livez``, ``/readyz``, ``/metrics``) served by waitress.

:func:`create_app` is an app factory assembling blueprints, so more pages (the dashboard) join
the same listener; :class:`StatusServer` runs it in a background thread of the daemon.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog
from flask import Blueprint, Flask
from waitress import trigger, wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from syncd.observe.headers import add_security_headers
from syncd.observe.health import HealthCheck
from syncd.observe.metrics import Telemetry
from syncd.observe.probes import probes_blueprint
from syncd.observe.scrape import metrics_blueprint

__all__ = ["HealthCheck", "StatusServer", "create_app"]

log = structlog.get_logger("syncd.observe")

TELEMETRY_EXTENSION = "syncd.telemetry"
"""Key of the :class:`Telemetry` in ``app.extensions``, for blueprints added later."""

_STOP_TIMEOUT = 5.0

CONNECTION_LIMIT = 500
"""Open connections waitress serves at once (its default, 100, let 100 idle sockets lock the
probes out); below the usual 1024 file descriptors a process may hold."""
CHANNEL_TIMEOUT = 30
"""Seconds an idle or unfinished connection is kept (waitress: 120)."""
CLEANUP_INTERVAL = 5
"""Seconds between waitress's sweeps for such connections (waitress: 30)."""


def create_app(
    telemetry: Telemetry,
    *,
    live: Sequence[HealthCheck],
    ready: Sequence[HealthCheck],
    metrics_token: str | None = None,
    blueprints: Sequence[Blueprint] = (),
) -> Flask:
    """The status app: probes from ``live``/``ready`` checks, ``/metrics`` from ``telemetry``.

    ``metrics_token`` (config ``daemon.listen_token``) protects ``/metrics`` with a bearer
    token; the probes stay open because orchestrators call them unauthenticated.
    ``blueprints`` are registered after the built-in ones. Every answer carries the security
    headers of :mod:`syncd.observe.headers`.
    """
    app = add_security_headers(Flask("syncd.observe"))
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep checks in the order given
    app.extensions[TELEMETRY_EXTENSION] = telemetry
    app.register_blueprint(probes_blueprint(live, ready))
    app.register_blueprint(metrics_blueprint(telemetry, metrics_token))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


class StatusServer:
    """Serves a WSGI app with waitress on a daemon thread; port 0 picks a free port.

    Idle connections cost no thread (waitress only hands complete requests to its threads);
    up to :data:`CONNECTION_LIMIT` of them are held, each at most :data:`CHANNEL_TIMEOUT`
    seconds, so a few hundred silent sockets leave the probes answering.
    """

    def __init__(
        self, app: Flask, host: str = "127.0.0.1", port: int = 9465, *, threads: int = 4
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._threads = threads
        self._map: dict[int, wasyncore.dispatcher] = {}
        self._server: BaseWSGIServer | MultiSocketServer | None = None
        self._wakeup: trigger.trigger | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and serve in the background; ``port`` holds the bound port afterwards.

        Raises ``OSError`` when the address cannot be bound (in use, not local).
        """
        if self._thread is not None:
            raise RuntimeError("the status server is already running")
        # Our own wake-up pipe in the server's socket map lets stop() run code in the loop thread,
        # whether waitress made one server or one per resolved address.
        wakeup = trigger.trigger(self._map)
        try:
            server = create_server(
                self.app,
                map=self._map,
                host=self.host,
                port=self.port,
                threads=self._threads,
                connection_limit=CONNECTION_LIMIT,
                channel_timeout=CHANNEL_TIMEOUT,
                cleanup_interval=CLEANUP_INTERVAL,
                ident="syncd",
                clear_untrusted_proxy_headers=True,
            )
        except BaseException:
            wasyncore.close_all(self._map)
            raise
        self.port = _bound_port(server)
        self._wakeup = wakeup
        self._server = server
        self._thread = threading.Thread(target=server.run, name="syncd-status", daemon=True)
        self._thread.start()
        log.info("status.listening", host=self.host, port=self.port)

    @property
    def running(self) -> bool:
        """Whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Close the listener and open connections, and wait for the serving thread to end."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        if self._wakeup is not None:
            # Close the sockets from the loop's own thread: asyncore maps are not thread-safe.
            self._wakeup.pull_trigger(lambda: wasyncore.close_all(self._map))
        thread.join(_STOP_TIMEOUT)
        server.task_dispatcher.shutdown(timeout=_STOP_TIMEOUT)
        self._server = self._thread = self._wakeup = None
        log.info("status.stopped", host=self.host, port=self.port)


def _bound_port(server: BaseWSGIServer | MultiSocketServer) -> int:
    if isinstance(server, BaseWSGIServer):
        return int(server.effective_port)
    return int(server.effective_listen[0][1])
