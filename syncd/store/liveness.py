"""Whether a run's process is dead: the rules every store backend closes open runs by.

A run names its ``owner``, the process that runs it (``host:pid``). It is judged dead only when
that is certain or overdue, so a live instance's run on a shared store is never closed under it:

- a run of this host whose process is gone (no such pid, a zombie, or a pid reused by a
  process started after the run), or a run of this very ``owner`` started before this process
  (a restarted container keeps its host name and pid): dead at once;
- a run of another host, or one recorded before runs named their owner: dead once it has been
  open longer than the lease (``daemon.lease``), like a dead instance's claim.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

INTERRUPTED = "interrupted"
"""Outcome of a run whose process ended before finishing it; it says nothing of its source."""

_PROCESS_STARTED = datetime.now(UTC)
_CLOCK_SLACK = timedelta(seconds=2)  # /proc start times are in clock ticks since boot


def instance_id() -> str:
    """This process as a run or claim owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def interrupted_error(run_owner: str | None) -> str:
    """The error an interrupted run is closed with."""
    return f"its process ({run_owner or 'unknown'}) ended before the run finished"


def is_dead(
    run_owner: str | None, started: datetime, *, owner: str, stale_before: datetime
) -> bool:
    """Whether the process that started a run at ``started`` is dead, as judged by ``owner``
    (this process); ``stale_before``: now minus the lease."""
    host = owner.rpartition(":")[0]
    if run_owner == owner:
        return started < _PROCESS_STARTED - _CLOCK_SLACK
    run_host, _, pid = (run_owner or "").rpartition(":")
    if run_host == host and pid.isdigit():
        return not _process_alive(int(pid), since=started)
    return started < stale_before


def _process_alive(pid: int, *, since: datetime) -> bool:
    """Whether the process ``pid`` of this host is alive and older than ``since`` (a younger
    one reuses the pid of a dead process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc: the pid exists, which is all we can tell
    state, started = stat
    if state in ("Z", "X"):
        return False
    return started is None or started <= since + _CLOCK_SLACK


def _proc_stat(pid: int) -> tuple[str, datetime | None] | None:
    """A process's state letter and start time, from Linux's ``/proc``; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    state, start_ticks = fields[0], int(fields[19])
    try:
        lines = Path("/proc/stat").read_text().splitlines()
        boot = next(int(line.split()[1]) for line in lines if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return state, None
    seconds = boot + start_ticks / os.sysconf("SC_CLK_TCK")
    return state, datetime.fromtimestamp(seconds, UTC)
