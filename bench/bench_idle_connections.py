"""How long /livez takes while N idle connections sit on the status listener.

Run by hand:

    .venv/bin/python bench/bench_idle_connections.py [--idle 300 400 500] [--repeat 5]

Each figure is the best of ``--repeat`` probes, in milliseconds; half of the idle sockets
send an unfinished request (a slowloris), half send nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import time
import urllib.request

from syncd.observe import HealthCheck, StatusServer, Telemetry, create_app


def probe_ms(idle: int, repeat: int) -> float:
    app = create_app(Telemetry(), live=[HealthCheck("scheduler", lambda: True)], ready=[])
    server = StatusServer(app, port=0)
    server.start()
    sockets: list[socket.socket] = []
    try:
        for index in range(idle):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if index % 2:
                sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/livez", timeout=60):
                pass
            best = min(best, (time.perf_counter() - started) * 1000)
        return best
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, nargs="+", default=[0, 100, 300, 450])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for idle in args.idle:
        print(f"{idle:>5} idle connections: /livez in {probe_ms(idle, args.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
