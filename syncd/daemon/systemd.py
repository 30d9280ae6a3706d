"""The sd_notify protocol, spoken by syncd itself, and a watchdog tied to the scheduler.

systemd's ``Type=notify`` services tell the service manager about their state with datagrams of
``KEY=value`` lines sent to the unix socket named by ``$NOTIFY_SOCKET`` (see ``sd_notify(3)``);
a name starting with ``@`` lives in the abstract namespace. Outside systemd the variable is unset
and every call is a no-op, so the daemon runs the same way from a terminal.

:class:`Watchdog` sends ``WATCHDOG=1`` only while the scheduler's heartbeat is fresh: a stuck
scheduler stops the pings and systemd (``WatchdogSec=``) kills and restarts the service.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

# A blocked send must never stall the daemon (or the watchdog thread) for long; systemd reads
# its notification socket continuously, so this only matters when the manager itself hangs.
SEND_TIMEOUT_SECONDS = 2.0


def _socket_address(name: str) -> str | None:
    """The address ``socket.sendto`` wants for ``$NOTIFY_SOCKET``, or None when unsupported."""
    if name.startswith("/"):
        return name
    if name.startswith("@") and len(name) > 1:
        return "\0" + name[1:]
    return None


def _monotonic_usec() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


@dataclass(frozen=True)
class Notifier:
    """Sends sd_notify messages to the service manager; does nothing when not under systemd.

    ``address`` is ``$NOTIFY_SOCKET`` as given (a path, or ``@name`` for the abstract
    namespace); ``watchdog_usec`` and ``watchdog_pid`` are ``$WATCHDOG_USEC`` and
    ``$WATCHDOG_PID`` as given.
    """

    address: str | None = None
    watchdog_usec: str | None = None
    watchdog_pid: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """A notifier for ``$NOTIFY_SOCKET`` (``os.environ`` by default); unsets nothing."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        if address is not None and _socket_address(address) is None:
            log.warning(
                "sd_notify socket not supported; notifications disabled", notify_socket=address
            )
            address = None
        return cls(
            address=address,
            watchdog_usec=env.get("WATCHDOG_USEC"),
            watchdog_pid=env.get("WATCHDOG_PID"),
        )

    @property
    def enabled(self) -> bool:
        """Whether a service manager listens (``$NOTIFY_SOCKET`` was set and usable)."""
        return self.address is not None

    def send(self, **fields: str | int) -> bool:
        """Send one datagram of ``KEY=value`` lines; True when it was delivered.

        Never raises: a failure is logged as a warning, because losing a status message must
        not take the daemon down. Newlines inside a value are replaced by spaces, since each
        line is one assignment.
        """
        if self.address is None or not fields:
            return False
        target = _socket_address(self.address)
        if target is None:
            return False
        message = "".join(
            f"{key}={str(value).replace(chr(10), ' ')}\n" for key, value in fields.items()
        )
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.settimeout(SEND_TIMEOUT_SECONDS)
                sock.sendto(message.encode("utf-8"), target)
        except OSError as exc:
            log.warning(
                "sd_notify failed",
                notify_socket=self.address,
                fields=sorted(fields),
                error=f"{type(exc).__name__}: {exc}",
            )
            return False
        return True

    def ready(self, status: str) -> bool:
        """Startup (or a reload) is complete: ``READY=1`` with a status line."""
        return self.send(READY=1, STATUS=status)

    def reloading(self) -> bool:
        """A reload starts: ``RELOADING=1`` with ``MONOTONIC_USEC`` (``Type=notify-reload``
        matches the two; older managers ignore the timestamp). Send :meth:`ready` when done."""
        return self.send(RELOADING=1, MONOTONIC_USEC=_monotonic_usec())

    def stopping(self) -> bool:
        """Shutdown has begun: ``STOPPING=1``."""
        return self.send(STOPPING=1)

    def status(self, text: str) -> bool:
        """A free-form status line shown by ``systemctl status``."""
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        """Keep-alive ping: ``WATCHDOG=1``."""
        return self.send(WATCHDOG=1)

    def watchdog_interval(self) -> float | None:
        """The watchdog timeout in seconds (``$WATCHDOG_USEC``), or None when there is none.

        When ``$WATCHDOG_PID`` is set the watchdog is meant for that process only, so a
        child or an unrelated process that inherited the variables gets None.
        """
        if not self.enabled or not self.watchdog_usec:
            return None
        if self.watchdog_pid:
            try:
                if int(self.watchdog_pid) != os.getpid():
                    return None
            except ValueError:
                return None
        try:
            usec = int(self.watchdog_usec)
        except ValueError:
            return None
        return usec / 1_000_000 if usec > 0 else None


class Watchdog:
    """A daemon thread sending ``WATCHDOG=1`` every ``interval / 2`` while work progresses.

    ``progress()`` returns the ``time.monotonic()`` moment of the scheduler's last heartbeat.
    A ping goes out only when that moment is less than ``interval`` seconds old; otherwise the
    pings are withheld (and a warning logged once) so systemd's watchdog fires. The scheduler
    must therefore beat more often than ``interval``.
    """

    def __init__(
        self,
        notifier: Notifier,
        progress: Callable[[], float],
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"watchdog interval must be positive, not {interval!r}")
        self.notifier = notifier
        self.progress = progress
        self.interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="syncd-watchdog", daemon=True)
        self._stalled = False

    @classmethod
    def for_service(cls, notifier: Notifier, progress: Callable[[], float]) -> Watchdog | None:
        """A watchdog at systemd's interval, or None when systemd asked for none."""
        interval = notifier.watchdog_interval()
        return None if interval is None else cls(notifier, progress, interval)

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start pinging (the first check happens at once)."""
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop pinging and wait for the thread (at most ``timeout`` seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> Watchdog:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def tick(self) -> bool:
        """One check: ping when progress is fresh; True when a ping was sent."""
        try:
            age = self._clock() - self.progress()
        except Exception as exc:
            # A broken progress probe means we cannot vouch for the scheduler: withhold.
            log.warning("watchdog: progress probe failed", error=f"{type(exc).__name__}: {exc}")
            return False
        if age >= self.interval:
            if not self._stalled:
                self._stalled = True
                log.warning(
                    "watchdog: scheduler made no progress; withholding WATCHDOG=1",
                    seconds_since_progress=round(age, 3),
                    interval=self.interval,
                )
            return False
        if self._stalled:
            self._stalled = False
            log.info("watchdog: scheduler progresses again; resuming WATCHDOG=1")
        return self.notifier.watchdog()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval / 2)
