"""``syncd run``: measure every KR on its schedule, for as long as the service runs.

Shape of a run::

    start   config → store (migrated; waits while unreachable) → scheduler → listener → READY=1
    start   runs left open by a dead process are closed as ``interrupted`` (syncd.store.runs);
            again every ``lease`` while running, for peers that died since
    slots   each job fires at its schedule's slots; an instance claims (job, slot) in the store,
            holds the job's advisory lock, syncs, and finishes the claim: exactly one instance
            measures a slot, and a crashed instance's claim is taken over after its lease
    beat    every few seconds: catch up on missed slots (from the store: each job's last measured
            slot), take over expired claims, retry failed slots whose backoff has passed, replay
            the spool; the watchdog pings systemd only while beats happen
    events  every few seconds, apart from the beat: the event stage (syncd.daemon.stage):
            new outbox events to the consumers (progress engine → status changes, alerts,
            gauges), the statuses time alone changed, the digests that are due, pruning
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from syncd.daemon.instance import InstanceLock
from syncd.daemon.jobs import SlotTrigger
from syncd.daemon.pools import Pools
from syncd.daemon.resilient import SpoolingStore
from syncd.daemon.spool import Spool
from syncd.daemon.stage import EventStage
from syncd.daemon.systemd import Notifier, Watchdog
from syncd.errors import ConfigError, StoreError, SyncdError
from syncd.logs import scrub
from syncd.observe import HealthCheck, StatusServer, Telemetry, create_app
from syncd.planner import Job
from syncd.schedule import parse_duration
from syncd.session import load
from syncd.store import Store
from syncd.store.records import Backoff
from syncd.sync import Syncer, SyncReport
from syncd.web import dashboard_blueprint, load_dashboard_data

log = structlog.get_logger("syncd.daemon")

HEARTBEAT = timedelta(seconds=5)
CONSUME_EVERY = timedelta(seconds=5)
STORE_RETRY_MAX = 30.0
CATCH_UP_SLOTS = 500  # at most this many slots back, however short the schedule
RETRY_FIRST = timedelta(minutes=5)  # a failed slot's first retry: this, or its interval if shorter


class Daemon:
    """The service behind ``syncd run``. :meth:`serve` blocks until SIGTERM/SIGINT."""

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
        self._failures: dict[str, int] = {}
        self._paused_until: dict[str, datetime] = {}
        self.pools: Pools[ConnectorPool] | None = None
        self.events: EventStage | None = None
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
            self._close_interrupted(self.store)
            self.spool = Spool(self._spool_path())
            self.sink = SpoolingStore(self.store, self.spool, self.loaded.config)
            self.sink.sync_definitions(self.loaded.config)
            self.events = EventStage(self.loaded, self.store, self.telemetry, owner=self.owner)
            self.scheduler = self._start_scheduler()
            if settings.listen is not None:
                server = self._start_listener(settings.listen)
            self.notifier.ready(self._status_line())
            log.info("daemon.ready", owner=self.owner, jobs=sorted(self.jobs))
            if self.on_ready is not None:
                self.on_ready(self._ready_line(server))
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

    def _close_interrupted(self, store: Store) -> None:
        """Close dead processes' runs now (else the first run this daemon records does)."""
        try:
            closed = store.close_interrupted_runs()
        except StoreError as exc:
            log.warning("store.unreachable", action="close interrupted runs", error=str(exc))
            return
        if closed:
            log.warning(
                "runs.interrupted",
                count=len(closed),
                runs=[run.id for run in closed],
                owners=sorted({run.owner or "unknown" for run in closed}),
            )

    def _spool_path(self) -> Path:
        configured = self.loaded.config.daemon.spool
        if configured:
            return Path(configured)
        state = os.environ.get("STATE_DIRECTORY")
        return Path(state.split(":")[0]) / "spool.db" if state else Path("syncd-spool.db")

    def _shutdown(self, timeout: timedelta) -> int:
        self.notifier.stopping()
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
        log.info("config.reloaded", jobs=sorted(self.jobs))
        self.notifier.ready(self._status_line())

    def _ready_line(self, server: StatusServer | None) -> str:
        """``syncd 0.1.0 ready: config …, store … (password hidden), N jobs, listening on …``."""
        from syncd import __version__

        files = self.loaded.files
        config = str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"
        listener = "no listener"
        if server is not None:
            host = f"[{server.host}]" if ":" in server.host else server.host
            listener = f"http://{host}:{server.port}/"
        return (
            f"syncd {__version__} ready: config {config}, store {self._require_store().url}, "
            f"{len(self.jobs)} jobs, listening on {listener}"
        )

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
        scheduler.add_job(
            self._beat,
            IntervalTrigger(seconds=HEARTBEAT.total_seconds()),
            id="heartbeat",
            next_run_time=datetime.now(UTC),
        )
        # Its own job, so consumers that take a while never delay catch-up and takeovers.
        scheduler.add_job(
            self._consume,
            IntervalTrigger(seconds=CONSUME_EVERY.total_seconds()),
            id="consumers",
            next_run_time=datetime.now(UTC),
        )
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
            self.run_slot(job, slot)

    def _beat(self) -> None:
        """Prove progress, catch up and take over, replay the spool, refresh gauges."""
        self._heartbeat_at = time.monotonic()
        if self._stop.is_set():
            return
        try:
            self.sink.replay()
            self.telemetry.set_spool_pending(self.spool.pending())
            if (dead_letters := self.sink.dead_letter_count()) is not None:
                self.telemetry.set_dead_letters(dead_letters)
            for job in list(self.jobs.values()):
                for slot in self._due_slots(job):
                    assert self.scheduler is not None
                    self.scheduler.add_job(
                        self.run_slot,
                        args=(job, slot),
                        id=f"catch-up:{job.key}:{slot.isoformat()}",
                        replace_existing=True,
                    )
            store = self._require_store()
            if time.monotonic() - self._swept_at > store.run_lease.total_seconds():
                # A peer that died since our start left open runs too.
                self._swept_at = time.monotonic()
                self._close_interrupted(store)
        except SyncdError as exc:
            log.warning("daemon.beat_failed", error=str(exc))

    def _due_slots(self, job: Job) -> list[datetime]:
        """Slots within ``catch_up`` that no instance has finished: missed while every
        instance was down, or left behind by one that died mid-slot (its lease ran out)."""
        assert self.store is not None
        tz = self.loaded.config.tz
        now = datetime.now(UTC)
        current = job.schedule.latest_slot(now, tz)
        if current is None:
            return []  # validation rejects schedules that never fire; never break the beat
        span = min(
            parse_duration(self.loaded.config.daemon.catch_up),
            CATCH_UP_SLOTS * job.schedule.interval,
        )
        candidates = job.schedule.slots_between(now - span, current, tz)
        try:
            return self.store.due_slots(job.key, candidates, now_slot=current)
        except StoreError:
            return []

    def run_slot(self, job: Job, slot: datetime) -> None:
        """Measure one slot of one job, if this instance wins its claim."""
        if self._stop.is_set():
            return  # queued before SIGTERM: not started, so nothing to finish
        if (paused := self._paused_until.get(job.key)) and datetime.now(UTC) < paused:
            log.info("job.backing_off", job=job.key, until=paused.isoformat())
            return
        assert self.store is not None
        settings = self.loaded.config.daemon
        lease = parse_duration(settings.lease)
        try:
            if not self.store.claim_slot(job.key, slot, self.owner, lease):
                return
            claimed = True
        except StoreError as exc:
            # Without the store no instance can coordinate: measure anyway and spool; the
            # natural-key upsert keeps duplicates out when the batches are replayed.
            log.warning("store.unreachable", action="claim", job=job.key, error=str(exc))
            claimed = False
        outcome = "failed"
        try:
            with self._job_lock(job.key, wait=lease.total_seconds() / 2):
                # ``present``: a caught-up slot is in the past, and present-only queries must
                # not be stored as if they had been read then.
                assert self.pools is not None
                with self.pools.using() as pool:
                    report = self.syncer.run(
                        self.sink,
                        slot,
                        kr_ids=job.kr_ids,
                        trigger="schedule",
                        pool=pool,
                        present=datetime.now(UTC),
                    )
            outcome = _outcome(report)
            self._record(report)
        except SyncdError as exc:
            log.error("job.failed", job=job.key, slot=slot.isoformat(), error=str(exc))
        finally:
            self._note_outcome(job, outcome)
            if claimed:
                try:
                    self.store.finish_slot(
                        job.key, slot, self.owner, outcome, retry=self._retry_policy(job)
                    )
                except StoreError as exc:
                    log.warning("store.unreachable", action="finish claim", error=str(exc))

    def _retry_policy(self, job: Job) -> Backoff:
        """How a failed slot of ``job`` is retried by catch-up: first after its interval (at
        most ``RETRY_FIRST``), doubling, at most ``daemon.failure_backoff`` apart."""
        longest = parse_duration(self.loaded.config.daemon.failure_backoff)
        return Backoff(first=min(job.schedule.interval, RETRY_FIRST, longest), longest=longest)

    @contextmanager
    def _job_lock(self, key: str, *, wait: float) -> Iterator[None]:
        """Serialise runs of one job across instances (the claim already makes each slot run
        once). Without the store, or after ``wait`` seconds, run without it."""
        assert self.store is not None
        lock = self.store.job_lock(key, wait=wait)
        try:
            held = lock.__enter__()
        except StoreError as exc:
            log.warning("store.unreachable", action="job lock", job=key, error=str(exc))
            yield
            return
        try:
            if not held:
                log.info("job.lock_busy", job=key, waited=wait)
            yield
        finally:
            try:
                lock.__exit__(None, None, None)
            except StoreError as exc:
                log.warning("store.unreachable", action="job unlock", job=key, error=str(exc))

    def _record(self, report: SyncReport) -> None:
        for outcome in report.sources.values():
            self.telemetry.record_source(outcome)
        now = time.time()
        for result in report.results:
            if result.ok:
                for source in result.evaluated.sources:
                    self.telemetry.record_measured(source, result.binding.kr.id, now)

    def _note_outcome(self, job: Job, outcome: str) -> None:
        if outcome != "failed":
            self._failures.pop(job.key, None)
            self._paused_until.pop(job.key, None)
            return
        failures = self._failures.get(job.key, 0) + 1
        self._failures[job.key] = failures
        if failures >= 3:
            longest = parse_duration(self.loaded.config.daemon.failure_backoff)
            pause = min(job.schedule.interval * 2 ** (failures - 3), longest)
            self._paused_until[job.key] = datetime.now(UTC) + pause
            log.warning("job.paused", job=job.key, failures=failures, pause=str(pause))

    def _consume(self) -> None:
        if not self._stop.is_set() and self.events is not None:
            self.events.tick()

    # -- health ---------------------------------------------------------------------------------

    def _start_listener(self, listen: str) -> StatusServer:
        host, _, port = listen.rpartition(":")
        host = host.strip("[]")
        token = self.loaded.config.daemon.listen_token
        dashboard = dashboard_blueprint(
            lambda: load_dashboard_data(self.loaded, self._require_store(), datetime.now(UTC)),
            token=token.get_secret_value() if token else None,
        )
        app = create_app(
            self.telemetry,
            live=[HealthCheck("scheduler", self._scheduler_alive)],
            ready=[
                HealthCheck("store", self._store_writable),
                HealthCheck("migrations", self._migrations_current),
                HealthCheck("scheduler", self._scheduler_alive),
            ],
            metrics_token=token.get_secret_value() if token else None,
            blueprints=[dashboard],
        )
        server = StatusServer(app, host=host, port=int(port))
        server.start()
        log.info("listener.started", host=host, port=server.port)
        return server

    def _require_store(self) -> Store:
        assert self.store is not None
        return self.store

    def _store_writable(self) -> bool | str:
        assert self.store is not None
        self.store.check_writable()
        return True

    def _migrations_current(self) -> bool | str:
        assert self.store is not None
        return True if self.store.is_current() else "store not migrated to this version"

    def _scheduler_alive(self) -> bool | str:
        if self.scheduler is None or not self.scheduler.running:
            return "not running"
        stalled = time.monotonic() - self._heartbeat_at
        if stalled > 6 * HEARTBEAT.total_seconds():
            return f"no heartbeat for {stalled:.0f}s"
        return True


def _outcome(report: SyncReport) -> str:
    if not report.failures:
        return "ok"
    return "partial" if len(report.failures) < len(report.results) else "failed"
