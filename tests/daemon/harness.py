"""Running ``syncd run`` as a subprocess and watching what it says: JSON logs, sd_notify."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Every test query reads its window (``:window_end``), as a query over dated rows does: a query
# blind to its window reads only the present, and catch-up never asks it for a past slot.
SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "
    "SELECT COUNT(*) * 0 + {value} FROM c WHERE :window_end IS NOT NULL"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class NotifySocket:
    """A real AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[dict[str, str]] = []

    def drain(self) -> list[dict[str, str]]:
        while True:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return self.messages
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append(fields)

    def wait_for(self, key: str, timeout: float = 30, after: int = 0) -> dict[str, str]:
        def found() -> dict[str, str] | None:
            return next((m for m in self.drain()[after:] if key in m), None)

        return wait_until(found, timeout, f"sd_notify {key}")

    def close(self) -> None:
        self.sock.close()


class Daemon:
    """``python -m syncd --log-format json run -c CONFIG`` with its stderr (the logs) in one
    file and its stdout (the ready line) in another."""

    def __init__(self, config: Path, workdir: Path, name: str = "d", **env: str) -> None:
        self.log_path = workdir / f"{name}.log"
        self.out_path = workdir / f"{name}.out"
        environment = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        environment.update(env)
        environment["SYNCD_LOG_LEVEL"] = "info"
        environment["SYNCD_LOG_FORMAT"] = "json"
        self._log = self.log_path.open("w")
        self._out = self.out_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run", "-c", str(config)],
            cwd=workdir,
            env=environment,
            stdout=self._out,
            stderr=self._log,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def events(self) -> list[dict[str, Any]]:
        events = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return events

    def wait_for_event(self, name: str, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next(
                (
                    e
                    for e in self.events()
                    if e.get("event") == name and all(e.get(k) == v for k, v in fields.items())
                ),
                None,
            )

        return wait_until(found, timeout, f"log event {name} in {self.log_path.name}")

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def stop(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self._close()

    def _close(self) -> None:
        self._log.close()
        self._out.close()


class CuttableProxy:
    """A TCP proxy to PostgreSQL that a test can cut (refusing and dropping connections)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for client, upstream in self.pairs:
                for sock in (client, upstream):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            self.pairs.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()
