"""``syncd run``: measure every KR on its schedule, for as long as the service runs.

Shape of a run::

    start   config → store (migrated; waits while unreachable) → scheduler → listener → READY=1
    start   runs left open by a dead process are closed as ``interrupted`` (syncd.store.runs);
            again every ``lease`` while running, for peers that died since
    slots   each job fires at its schedule's slots; an instance claims (job, slot) in the store,
            holds the job's advisory lock, syncs, and finishes the claim: exactly one instance
            measures a slot, and a crashed instance's claim is taken over after its lease
    beat    when something is due, and only then (:mod:`syncd.daemon.wakeups`): catch up on
            missed slots (from the store: each job's last measured slot), take over expired
            claims, retry failed slots whose backoff has passed, replay the spool; it runs
            again shortly after the next slot, when a claim's lease or retry time comes, every
            few seconds while measurements wait in the spool, after each of the daemon's own
            runs, and at least every minute (claims of other instances)
    events  apart from the beat: the event stage (syncd.daemon.stage): new outbox events to the
            consumers (progress engine → status changes, alerts, gauges), the statuses time
            alone changed, the digests that are due, pruning; every few seconds while events
            come, backing off to a minute while none do, at once after the daemon's own runs
    alive   a heartbeat stamps the scheduler's progress every few seconds, only when something
            reads it (the listener's /livez and /readyz, systemd's watchdog)
    SIGHUP  reload the config; an invalid one is reported and the old one keeps running; the
            connector pool it replaces is closed once its in-flight runs end
    SIGTERM stop scheduling, let in-flight runs finish within ``shutdown_timeout``, exit 0
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from syncd import registry
from syncd.abc import Connector
from syncd.collect import ConnectorPool
from syncd.config import LoadedConfig
from syncd.daemon.catchup import PEER_CHECK, CatchUp, close_interrupted
from syncd.daemon.execution import SlotRunner
from syncd.daemon.heap import release_free_memory
from syncd.daemon.instance import InstanceLock
from syncd.daemon.jobs import SlotTrigger
from syncd.daemon.listener import ready_line, scheduler_alive, start_listener
from syncd.daemon.pools import Pools
from syncd.daemon.resilient import SpoolingStore
from syncd.daemon.spool import Spool
from syncd.daemon.stage import EventStage
from syncd.daemon.systemd import Notifier, Watchdog
from syncd.daemon.wakeups import PacedJob, quiet_poll
from syncd.errors import ConfigError, StoreError, SyncdError
from syncd.logs import scrub
from syncd.observe import StatusServer, Telemetry
from syncd.planner import Job
from syncd.schedule import parse_duration
from syncd.session import load
from syncd.store import Store
from syncd.sync import Syncer

log = structlog.get_logger("syncd.daemon")

HEARTBEAT = timedelta(seconds=5)  # the liveness stamp, when a listener or a watchdog reads it
SPOOL_RETRY = timedelta(seconds=5)  # the beat's pace while measurements wait in the spool
SLOT_SETTLE = timedelta(seconds=5)  # catch-up looks this long after a slot's jitter
CONSUME_EVERY = timedelta(seconds=5)  # the event stage's pace while events come
CONSUME_IDLE = timedelta(minutes=1)  # … and at most this apart while none do
STORE_RETRY_MAX = 30.0


class Daemon:
    """The service behind ``syncd run``: lifecycle, signals and scheduling; it wires together
    catch-up (:mod:`syncd.daemon.catchup`), slot runs (:mod:`syncd.daemon.execution`), the
    listener (:mod:`syncd.daemon.listener`) and the event stage (:mod:`syncd.daemon.stage`).
    :meth:`serve` blocks until SIGTERM/SIGINT."""

    def __init__(self, config_path: Path | None, *, owner: str | None = None) -> None:
        self.config_path = config_path
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.notifier = Notifier.from_environment()
        self.telemetry = Telemetry()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._wake = threading.Event()
        self._heartbeat_at = time.monotonic()
        self._swept_at = time.monotonic()
        self._consume_every = CONSUME_EVERY
        self._beat_job: PacedJob | None = None
        self._consume_job: PacedJob | None = None
        self.pools: Pools[ConnectorPool] | None = None
        self.events: EventStage | None = None
        self.runner: SlotRunner | None = None
        self.loaded: LoadedConfig
        self.store: Store | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.on_ready: Callable[[str], None] | None = None  # e.g. print the ready line

    # -- lifecycle --------------------------------------------------------------------------

    def serve(self) -> int:
        """Run until asked to stop; returns the exit code."""
        self.loaded = load(self.config_path)
        self._apply(self.loaded)
        self._install_signal_handlers()
        settings = self.loaded.config.daemon
        lock = InstanceLock.for_store(self.loaded.config.store.get_secret_value())
        if lock is not None:
            lock.acquire()
        server: StatusServer | None = None
        watchdog: Watchdog | None = None
        try:
            self.store = self._open_store()
            if self.store is None:
                return 0  # asked to stop while waiting for the store
            close_interrupted(self.store)
            self.spool = Spool(self._spool_path())
            self.sink = SpoolingStore(self.store, self.spool, self.loaded.config)
            self.sink.sync_definitions(self.loaded.config)
            assert self.pools is not None
            self.runner = SlotRunner(
                self.store,
                self.sink,
                self.pools,
                self.telemetry,
                owner=self.owner,
                syncer=self.syncer,
                settings=settings,
                stopping=self._stop.is_set,
                on_finished=self._after_run,
            )
            self.events = EventStage(self.loaded, self.store, self.telemetry, owner=self.owner)
            self.scheduler = self._start_scheduler()
            if settings.listen is not None:
                server = self._start_listener(settings.listen)
            self.notifier.ready(self._status_line())
            log.info("daemon.ready", owner=self.owner, jobs=sorted(self.jobs))
            if self.on_ready is not None:
                self.on_ready(ready_line(self.loaded, self.store.url, len(self.jobs), server))
            watchdog = Watchdog.for_service(self.notifier, lambda: self._heartbeat_at)
            if watchdog is not None:
                watchdog.start()
            while not self._stop.is_set():
                self._wake.wait()
                self._wake.clear()
                if self._reload.is_set():
                    self._reload.clear()
                    self._do_reload()
            return self._shutdown(parse_duration(settings.shutdown_timeout))
        finally:
            if watchdog is not None:
                watchdog.stop(timeout=1)
            if server is not None:
                server.stop()
            if self.store is not None:
                self.store.close()
            if lock is not None:
                lock.release()

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request_reload(self) -> None:
        self._reload.set()
        self._wake.set()

    def _install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("daemon.signal", signal=signal.Signals(signum).name)
            self.request_stop()

        def reload(_signum: int, _frame: FrameType | None) -> None:
            log.info("daemon.signal", signal="SIGHUP")
            self.request_reload()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def _open_store(self) -> Store | None:
        """The store, migrated; while it is unreachable, keep trying (not READY meanwhile)."""
        wait = 1.0
        url = self.loaded.config.store.get_secret_value()
        while not self._stop.is_set():
            try:
                store = Store.open(url, owner=self.owner)
                store.run_lease = parse_duration(self.loaded.config.daemon.lease)
                return store
            except StoreError as exc:
                log.warning("store.unreachable", action="start", error=str(exc), retry_in=wait)
                self.notifier.status(f"waiting for the store: {scrub(str(exc)).splitlines()[0]}")
                self._stop.wait(wait)
                wait = min(wait * 2, STORE_RETRY_MAX)
        return None

    def _spool_path(self) -> Path:
        configured = self.loaded.config.daemon.spool
        if configured:
            return Path(configured)
        state = os.environ.get("STATE_DIRECTORY")
        return Path(state.split(":")[0]) / "spool.db" if state else Path("syncd-spool.db")

    def _shutdown(self, timeout: timedelta) -> int:
        self.notifier.stopping()
        if self.events is not None:
            self.events.close()
        log.info("daemon.stopping", timeout=timeout.total_seconds())
        assert self.scheduler is not None
        self.scheduler.pause()
        finished = threading.Event()

        def drain() -> None:
            assert self.scheduler is not None
            self.scheduler.shutdown(wait=True)
            finished.set()

        threading.Thread(target=drain, name="syncd-drain", daemon=True).start()
        if not finished.wait(timeout.total_seconds()):
            # An unfinished pass has written nothing (it commits once, at its end); its claim
            # is taken over by another instance after the lease.
            log.warning("daemon.shutdown_timeout", timeout=timeout.total_seconds())
            self._close_pools()
            self.spool.close()
            os._exit(0)
        self._close_pools()
        self.spool.close()
        log.info("daemon.stopped")
        return 0

    def _close_pools(self) -> None:
        if self.pools is not None:
            self.pools.close()

    # -- configuration ----------------------------------------------------------------------

    def _apply(self, loaded: LoadedConfig) -> None:
        config = loaded.config
        self.loaded = loaded
        self.syncer = Syncer(loaded)
        self.jobs: dict[str, Job] = self.syncer.planner.jobs()
        pool = self.syncer.pool()
        if self.pools is None:
            self.pools = Pools(pool)
        else:
            self.pools.replace(pool)  # closed at once, or when its in-flight runs end
        if self.runner is not None:
            self.runner.configure(self.syncer, config.daemon)
        for source in config.sources.values():
            plugin = registry.load_connector(source.type)
            if issubclass(plugin, Connector):
                for collector in plugin.metric_collectors():
                    self.telemetry.add_collector(collector)

    def _do_reload(self) -> None:
        self.notifier.reloading()
        try:
            fresh = load(self.config_path)
        except ConfigError as exc:
            log.error(
                "config.reload_rejected",
                errors=[issue.render() for issue in exc.issues],
                keeping="the running configuration",
            )
            self.notifier.ready(self._status_line() + "; last reload rejected: invalid config")
            return
        if fresh.config.store.get_secret_value() != self.loaded.config.store.get_secret_value():
            log.warning("config.store_changed", action="restart syncd to switch stores")
        self._apply(fresh)
        self.sink.set_config(fresh.config)
        self.sink.sync_definitions(fresh.config)
        if self.events is not None:
            self.events.reload(fresh)
        self._schedule_jobs()
        if self._beat_job is not None:
            self._beat_job.wake()
        log.info("config.reloaded", jobs=sorted(self.jobs))
        self.notifier.ready(self._status_line())

    def _status_line(self) -> str:
        pending = self.spool.pending() if hasattr(self, "spool") else 0
        text = f"{len(self.jobs)} jobs"
        return text + (f", {pending} measurements spooled" if pending else "")

    # -- scheduling ---------------------------------------------------------------------------

    def _start_scheduler(self) -> BackgroundScheduler:
        settings = self.loaded.config.daemon
        scheduler = BackgroundScheduler(
            timezone=self.loaded.config.tz,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(parse_duration(settings.misfire_grace).total_seconds()),
            },
        )
        self.scheduler = scheduler
        self._schedule_jobs()
        if (stamp_every := self._heartbeat_every()) is not None:
            scheduler.add_job(
                self._stamp,
                IntervalTrigger(seconds=stamp_every.total_seconds()),
                id="heartbeat",
                next_run_time=datetime.now(UTC),
            )
        self._beat_job = PacedJob(scheduler, "beat", self._beat, longest=PEER_CHECK)
        self._beat_job.add()
        # Its own job, so consumers that take a while never delay catch-up and takeovers.
        self._consume_job = PacedJob(scheduler, "consumers", self._consume, longest=CONSUME_IDLE)
        self._consume_job.add()
        scheduler.start()
        return scheduler

    def _schedule_jobs(self) -> None:
        assert self.scheduler is not None
        jitter = parse_duration(self.loaded.config.daemon.jitter)
        for existing in self.scheduler.get_jobs():
            if existing.id.startswith("job:") and existing.id[4:] not in self.jobs:
                existing.remove()
        for key, job in self.jobs.items():
            self.scheduler.add_job(
                self._run_current,
                SlotTrigger(job.schedule, self.loaded.config.tz, jitter),
                args=(key,),
                id=f"job:{key}",
                name=key,
                replace_existing=True,
            )

    def _run_current(self, key: str) -> None:
        job = self.jobs.get(key)
        now = datetime.now(UTC)
        if job is not None and (slot := job.schedule.latest_slot(now, self.loaded.config.tz)):
            self._require_runner().run(job, slot)

    def _heartbeat_every(self) -> timedelta | None:
        """How often the liveness stamp is due: every :data:`HEARTBEAT` for the listener's
        probes, a quarter of systemd's watchdog interval for it alone, never for nobody."""
        if self.loaded.config.daemon.listen is not None:
            return HEARTBEAT
        watchdog = self.notifier.watchdog_interval()
        return None if watchdog is None else max(HEARTBEAT, timedelta(seconds=watchdog / 4))

    def _stamp(self) -> None:
        """Prove the scheduler runs its jobs (``/livez``, the watchdog)."""
        self._heartbeat_at = time.monotonic()

    def _after_run(self) -> None:
        """A slot ran: its writes may have made events to consume and claims to look at,
        and what it allocated is free again."""
        release_free_memory()
        if self._consume_job is not None:
            self._consume_job.wake()
        if self._beat_job is not None:
            self._beat_job.wake()

    def _beat(self) -> datetime:
        """Catch up and take over, replay the spool, refresh gauges; returns when it is due
        again."""
        now = datetime.now(UTC)
        due = now + PEER_CHECK
        if self._stop.is_set():
            return due
        try:
            self.sink.replay()
            pending = self.spool.pending()
            self.telemetry.set_spool_pending(pending)
            if pending:
                due = min(due, now + SPOOL_RETRY)
            if (dead_letters := self.sink.dead_letter_count()) is not None:
                self.telemetry.set_dead_letters(dead_letters)
            store = self._require_store()
            settings = self.loaded.config.daemon
            catch_up = CatchUp(store, self.loaded.config.tz, parse_duration(settings.catch_up))
            jobs = list(self.jobs.values())
            for job, slot in catch_up.due(jobs, now):
                assert self.scheduler is not None
                self.scheduler.add_job(
                    self._require_runner().run,
                    args=(job, slot),
                    id=f"catch-up:{job.key}:{slot.isoformat()}",
                    replace_existing=True,
                )
            lease = store.run_lease.total_seconds()
            if time.monotonic() - self._swept_at > lease:
                # A peer that died since our start left open runs too.
                self._swept_at = time.monotonic()
                close_interrupted(store)
            sweep_in = timedelta(seconds=self._swept_at + lease - time.monotonic())
            settle = parse_duration(settings.jitter) + SLOT_SETTLE
            due = min(due, now + sweep_in, catch_up.next_check(jobs, now, settle=settle))
        except SyncdError as exc:
            log.warning("daemon.beat_failed", error=str(exc))
            due = min(due, now + SPOOL_RETRY)
        return due

    def _consume(self) -> datetime:
        """One round of the event stage; returns when the next is due (sooner while busy)."""
        if not self._stop.is_set() and self.events is not None:
            handed = self.events.tick()
            self._consume_every = quiet_poll(
                self._consume_every, busy=handed > 0, shortest=CONSUME_EVERY, longest=CONSUME_IDLE
            )
        return datetime.now(UTC) + self._consume_every

    # -- health ---------------------------------------------------------------------------------

    def _start_listener(self, listen: str) -> StatusServer:
        return start_listener(
            listen,
            telemetry=self.telemetry,
            store=self._require_store(),
            loaded=lambda: self.loaded,
            scheduler_alive=lambda: scheduler_alive(
                self.scheduler, self._heartbeat_at, every=HEARTBEAT, now=time.monotonic()
            ),
        )

    def _require_store(self) -> Store:
        assert self.store is not None
        return self.store

    def _require_runner(self) -> SlotRunner:
        assert self.runner is not None
        return self.runner
