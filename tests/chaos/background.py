"""Chaos runs that take a while (a daemon measuring every 5 s through a fault timeline) run
in the background, all at once, from the first chaos test on; each test then waits for its own
run and checks the invariants. The suite then takes about as long as its longest run."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.daemon.harness import Daemon

FINISH = 300  # seconds: a guard against a hung run, not a measurement
POLL = 1.0  # seconds between looks at the store: several runs poll at once, from one process


class DaemonDied(AssertionError):
    """The daemon under test exited while it was expected to run."""


class BackgroundRun(ABC):
    """A scenario's timeline, driven on a thread; :meth:`result` re-raises what it raised."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.daemons: list[Daemon] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._drive, name=type(self).__name__, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _drive(self) -> None:
        try:
            self.drive()
        except BaseException as exc:
            self.error = exc
        finally:
            self.close()

    @abstractmethod
    def drive(self) -> None:
        """The timeline: start the daemon, arm and lift faults, wait until the gap is filled,
        stop. Observations go on ``self`` for the test to check."""

    def result(self) -> None:
        self._thread.join(FINISH)
        if self._thread.is_alive():
            raise AssertionError(f"{type(self).__name__} still running after {FINISH}s")
        if self.error is not None:
            raise self.error

    def daemon(self, config: Path, name: str = "d", **env: str) -> Daemon:
        """Start ``syncd run`` on ``config`` and wait until it says it is ready."""
        daemon = Daemon(config, self.workdir, name=name, **env)
        self.daemons.append(daemon)
        self.until(lambda: _ready(daemon), 90, f"{name} ready", daemon)
        return daemon

    def until(
        self, condition: Callable[[], Any], timeout: float, what: str, daemon: Daemon | None = None
    ) -> Any:
        """Wait for ``condition``; fail at once if ``daemon`` (default: the last) exits."""
        watched = daemon or (self.daemons[-1] if self.daemons else None)

        def met() -> Any:
            if watched is not None and watched.process.poll() is not None:
                tail = watched.log_path.read_text(errors="replace")[-800:]
                raise DaemonDied(f"{watched.log_path.name} exited while waiting for {what}: {tail}")
            return condition()

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := met():
                return result
            time.sleep(POLL)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def close(self) -> None:
        """Kill what is still running (a failed timeline)."""
        for daemon in self.daemons:
            if daemon.process.poll() is None:
                daemon.kill()


def _ready(daemon: Daemon) -> bool:
    return any(e.get("event") == "daemon.ready" for e in daemon.events())
