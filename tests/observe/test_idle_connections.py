"""Idle connections (a port scan, a slowloris, a misbehaving scraper) must not starve the
probes: 300 sockets opened and left silent, then /livez and /readyz still answer at once."""

from __future__ import annotations

import contextlib
import socket
import urllib.request

from syncd.observe import HealthCheck, StatusServer, Telemetry, create_app

IDLE = 300
PROBE_TIMEOUT = 2.0  # the bound: an orchestrator's probe gives up about then


def test_300_idle_connections_do_not_make_the_probes_time_out():
    app = create_app(
        Telemetry(),
        live=[HealthCheck("scheduler", lambda: True)],
        ready=[HealthCheck("store", lambda: True)],
    )
    server = StatusServer(app, host="127.0.0.1", port=0)
    server.start()
    idle: list[socket.socket] = []
    try:
        for index in range(IDLE):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if index % 2:
                sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")  # a request never finished
            idle.append(sock)
        for path in ("/livez", "/readyz"):
            url = f"http://127.0.0.1:{server.port}{path}"
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as answer:
                assert answer.status == 200, path
    finally:
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.close()
        server.stop()
