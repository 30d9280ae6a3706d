"""Bookkeeping of sync runs: one row per source and pass, opened and then closed.

A run names its ``owner``, the process that runs it (``host:pid``). A process killed mid-run
(``kill -9``, a crash, a store error at the wrong moment) leaves its run open; the next syncd
that records runs closes such runs as ``interrupted`` (:func:`close_interrupted`). A run is
judged dead only when that is certain or overdue, so a live instance's run on a shared
PostgreSQL store is never closed under it:

- a run of this host whose process is gone (no such pid, a zombie, or a pid reused by a
  process started after the run), or a run of this very ``owner`` started before this process
  (a restarted container keeps its host name and pid): closed at once;
- a run of another host, or one recorded before runs named their owner: closed once it has
  been open longer than the lease (``daemon.lease``), like a dead instance's claim. Should
  that instance still be alive after all, its own finish replaces the ``interrupted`` outcome.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlmodel import Session, col, select, update

from syncd.store.tables import SyncRun

INTERRUPTED = "interrupted"
"""Outcome of a run whose process ended before finishing it; it says nothing of its source."""

_PROCESS_STARTED = datetime.now(UTC)
_CLOCK_SLACK = timedelta(seconds=2)  # /proc start times are in clock ticks since boot


def instance_id() -> str:
    """This process as a run or claim owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start(
    session: Session,
    *,
    source: str,
    trigger: str,
    slot: datetime | None,
    now: datetime,
    owner: str | None = None,
) -> str:
    """Open a run and return its id (a uuid4 in hex)."""
    run_id = uuid4().hex
    session.add(
        SyncRun(
            id=run_id,
            source=source,
            trigger=trigger,
            slot=slot,
            owner=owner or instance_id(),
            started_at=now,
        )
    )
    session.flush()
    return run_id


def finish(
    session: Session,
    run: SyncRun,
    *,
    now: datetime,
    outcome: str,
    error: str | None,
    upstream_calls: int,
    retries: int,
    requests: int,
    measurements: int,
    duration: float | None = None,
) -> None:
    """Close ``run``: its outcome, counters and how long it took (``duration``, or the time
    since it started)."""
    run.finished_at = now
    run.duration_seconds = (
        duration if duration is not None else (now - run.started_at).total_seconds()
    )
    run.outcome = outcome
    run.error = error
    run.upstream_calls = upstream_calls
    run.retries = retries
    run.requests = requests
    run.measurements = measurements
    session.flush()


def close_interrupted(
    session: Session, *, owner: str, now: datetime, stale_after: timedelta
) -> list[SyncRun]:
    """Close the open runs whose process is dead (see the module's rules) as ``interrupted``;
    returns them."""
    host = owner.rpartition(":")[0]
    closed: list[SyncRun] = []
    for run in session.exec(select(SyncRun).where(col(SyncRun.finished_at).is_(None))).all():
        if not _is_dead(run, owner=owner, host=host, stale_before=now - stale_after):
            continue
        done = session.execute(
            update(SyncRun)
            .where(col(SyncRun.id) == run.id, col(SyncRun.finished_at).is_(None))
            .values(
                finished_at=now,
                outcome=INTERRUPTED,
                error=f"its process ({run.owner or 'unknown'}) ended before the run finished",
            )
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            closed.append(run)
    return closed


def recent(session: Session, *, limit: int, source: str | None) -> list[SyncRun]:
    """The newest ``limit`` runs, optionally of one source, newest first."""
    query = select(SyncRun)
    if source is not None:
        query = query.where(SyncRun.source == source)
    query = query.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc()).limit(limit)
    return list(session.exec(query))


def _is_dead(run: SyncRun, *, owner: str, host: str, stale_before: datetime) -> bool:
    started = run.started_at
    if run.owner == owner:
        return started < _PROCESS_STARTED - _CLOCK_SLACK
    run_host, _, pid = (run.owner or "").rpartition(":")
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
