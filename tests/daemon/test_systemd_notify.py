"""The sd_notify protocol against real unix datagram sockets, and the progress-bound watchdog."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from uuid import uuid4

import pytest
from structlog.testing import capture_logs

from syncd.daemon.systemd import Notifier, Watchdog


def receive(sock: socket.socket, timeout: float = 1.0) -> bytes:
    sock.settimeout(timeout)
    return sock.recv(4096)


def drain(sock: socket.socket) -> list[bytes]:
    sock.setblocking(False)
    messages = []
    try:
        while True:
            messages.append(sock.recv(4096))
    except BlockingIOError:
        return messages
    finally:
        sock.setblocking(True)


@pytest.fixture
def listener(tmp_path, monkeypatch) -> Iterator[socket.socket]:
    """A datagram socket bound to a path, named by NOTIFY_SOCKET."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        yield sock


def test_no_socket_means_disabled_and_silent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier.from_environment()
    assert notifier.enabled is False
    assert notifier.ready("up") is False
    assert notifier.watchdog_interval() is None


def test_ready_is_one_datagram_with_exact_lines(listener):
    notifier = Notifier.from_environment()
    assert notifier.enabled is True
    assert notifier.ready("3 jobs scheduled") is True
    assert receive(listener) == b"READY=1\nSTATUS=3 jobs scheduled\n"


def test_each_message_has_its_exact_fields(listener):
    notifier = Notifier.from_environment()
    notifier.stopping()
    notifier.status("syncing web")
    notifier.watchdog()
    notifier.send(STATUS="two\nlines", ERRNO=5)
    assert [receive(listener) for _ in range(4)] == [
        b"STOPPING=1\n",
        b"STATUS=syncing web\n",
        b"WATCHDOG=1\n",
        b"STATUS=two lines\nERRNO=5\n",
    ]


def test_reloading_carries_the_monotonic_clock_in_microseconds(listener):
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    Notifier.from_environment().reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    match = re.fullmatch(rb"RELOADING=1\nMONOTONIC_USEC=(\d+)\n", receive(listener))
    assert match is not None
    assert before <= int(match.group(1)) <= after


def test_abstract_namespace_socket(monkeypatch):
    name = f"syncd-test-{uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        notifier = Notifier.from_environment()
        assert notifier.ready("up") is True
        assert receive(sock) == b"READY=1\nSTATUS=up\n"


def test_environment_is_left_untouched(listener):
    path = os.environ["NOTIFY_SOCKET"]
    Notifier.from_environment().ready("up")
    assert os.environ["NOTIFY_SOCKET"] == path


def test_send_failure_warns_and_does_not_raise(tmp_path):
    missing = tmp_path / "gone.sock"
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": str(missing)})
    with capture_logs() as events:
        assert notifier.ready("up") is False
    assert len(events) == 1
    assert events[0]["log_level"] == "warning"
    assert events[0]["event"] == "sd_notify failed"
    assert events[0]["notify_socket"] == str(missing)
    assert "FileNotFoundError" in events[0]["error"]


def test_unsupported_socket_address_disables():
    with capture_logs() as events:
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert notifier.enabled is False
    assert events[0]["log_level"] == "warning"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "60000000"}, 60.0),
        ({"WATCHDOG_USEC": "250000"}, 0.25),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}, 60.0),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "x"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(env, expected):
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": "/run/systemd/notify", **env})
    assert notifier.watchdog_interval() == expected


def test_watchdog_interval_needs_a_socket():
    assert Notifier.from_environment({"WATCHDOG_USEC": "60000000"}).watchdog_interval() is None


def test_for_service_follows_the_environment(listener, monkeypatch):
    assert Watchdog.for_service(Notifier.from_environment(), time.monotonic) is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    watchdog = Watchdog.for_service(Notifier.from_environment(), time.monotonic)
    assert watchdog is not None
    assert watchdog.interval == 30.0
    assert watchdog.running is False


def test_tick_pings_only_while_progress_is_younger_than_interval(listener):
    now = 1000.0
    heartbeat = [995.0]
    watchdog = Watchdog(Notifier.from_environment(), lambda: heartbeat[0], 10.0, clock=lambda: now)
    assert watchdog.tick() is True  # 5 s old
    heartbeat[0] = 990.0  # exactly the interval: stale
    with capture_logs() as events:
        assert watchdog.tick() is False
        assert watchdog.tick() is False
    assert [e["event"] for e in events] == [
        "watchdog: scheduler made no progress; withholding WATCHDOG=1"
    ]
    assert events[0]["seconds_since_progress"] == 10.0
    heartbeat[0] = 999.0
    assert watchdog.tick() is True
    assert drain(listener) == [b"WATCHDOG=1\n", b"WATCHDOG=1\n"]


def test_tick_withholds_when_the_probe_raises(listener):
    def broken() -> float:
        raise RuntimeError("scheduler gone")

    watchdog = Watchdog(Notifier.from_environment(), broken, 1.0)
    with capture_logs() as events:
        assert watchdog.tick() is False
    assert events[0]["error"] == "RuntimeError: scheduler gone"
    assert drain(listener) == []


def test_watchdog_thread_stops_pinging_when_progress_goes_stale(listener):
    interval = 0.2  # pings every 0.1 s while fresh
    heartbeat = {"at": time.monotonic()}
    fresh = {"on": True}

    def progress() -> float:
        if fresh["on"]:
            heartbeat["at"] = time.monotonic()
        return heartbeat["at"]

    with Watchdog(Notifier.from_environment(), progress, interval) as watchdog:
        assert watchdog.running
        time.sleep(0.45)
        pings = drain(listener)
        assert set(pings) == {b"WATCHDOG=1\n"}
        assert 2 <= len(pings) <= 6  # at 0, 0.1, 0.2, 0.3, 0.4 s (fewer on a loaded machine)

        fresh["on"] = False  # the scheduler hangs now
        time.sleep(interval + 0.15)  # any ping still allowed is sent within the interval
        drain(listener)
        time.sleep(0.4)
        assert drain(listener) == []

        fresh["on"] = True
        assert receive(listener, timeout=0.5) == b"WATCHDOG=1\n"
    assert watchdog.running is False


def test_watchdog_rejects_a_non_positive_interval(listener):
    with pytest.raises(ValueError, match="positive"):
        Watchdog(Notifier.from_environment(), time.monotonic, 0)
