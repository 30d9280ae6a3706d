"""The demo: generate the sample warehouse, backfill the cycle to date, sync, push the values
to the OKR tools' sandboxes (the config's sinks), show progress and where to look.

Without ``--once`` it then keeps syncing (and pushing) at each KR's schedule until interrupted.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from syncd.abc import SinkConfig
from syncd.checkin import record_checkin
from syncd.config import LoadedConfig
from syncd.demo import sandboxes
from syncd.demo.sample import generate
from syncd.errors import ConfigError, ConfigIssue
from syncd.observe import StatusServer
from syncd.overview import build_overview
from syncd.paths import DEMO_DIR, repo_demo_config
from syncd.progress import ObjectiveProgress
from syncd.render import day_progress, status_table
from syncd.schedule import parse_schedule
from syncd.session import load, moment, opened_store
from syncd.sinks.drain import drain_sinks
from syncd.store import Store
from syncd.sync import Syncer, SyncReport
from syncd.web import create_dashboard_app

SAMPLE_SOURCE = "warehouse"
DASHBOARD_PORT = 9466
EFFECTIVE_CONFIG = "demo.yaml"
GOOGLE_SHEETS = "https://docs.google.com/spreadsheets/d/"
# What the research team enters after each wave of the customer survey.
NPS_CHECKINS = ((date(2026, 10, 14), 54.0, "survey wave 1"), (date(2026, 11, 11), 61.0, "wave 2"))
# What owners said at their weekly check-ins: a confidence and a note beside the computed status.
OWNER_CHECKINS = (
    (date(2026, 11, 11), "nps", "on_track", "wave 2 came in above plan; wave 3 in December"),
    (date(2026, 11, 16), "booking-5d", "at_risk", "the guided search ships two weeks late"),
    (date(2026, 11, 17), "newcomer-revenue", "on_track", "two partner insurers signed"),
    (date(2026, 11, 18), "first-reply-time", "off_track", "two agents on leave until mid-December"),
    (date(2026, 11, 19), "win-rate", "at_risk", None),
)


def run_demo(
    config_path: Path | None,
    *,
    once: bool,
    as_of: datetime | None,
    console: Console,
    err: Console,
    port: int = DASHBOARD_PORT,
) -> None:
    """Run the demo on ``config_path`` (default: the bundled ``config/demo.yaml``).

    The sandboxes take free ports; the config with those ports is written to
    ``.syncd-demo/demo.yaml``, which later commands in this directory find by themselves. The
    dashboard listens on ``port``, or on a free one when that is busy.
    """
    path = config_path or repo_demo_config()
    if path is None:
        raise ConfigError(ConfigIssue("the demo config (config/demo.yaml) is not installed"))
    loaded = load(path)
    sample = _sample_path(loaded)
    generate(sample)
    now = moment(as_of, loaded)
    vendors = {source.type for source in loaded.config.sources.values()}
    vendors |= {sink.type for sink in loaded.config.sinks.values()}
    tools = sandboxes.tool_state(loaded.config)
    console.print(f"[bold]syncd demo[/]  config {escape(str(path))}", highlight=False)
    console.print(f"  sample warehouse   {escape(str(sample))}", highlight=False)
    with sandboxes.running(vendors, now if as_of else None, tools) as urls:
        for vendor, url in urls.items():
            console.print(f"  {vendor + ' sandbox':<18} {url}", highlight=False)
        effective = _write_effective_config(path, urls)
        loaded = load(effective)
        with opened_store(loaded) as store:
            _check_in_survey_results(loaded, store, now)
            report = _backfill(loaded, store, now, err)
            final = Syncer(loaded).run(store, now, trigger="demo")
            pushed = drain_sinks(loaded.config, store, owner=store.owner)
            overview = build_overview(loaded, store, now)
        server = None if once else _serve_dashboard(loaded, port, console)
        try:
            _show(loaded, effective, report, final, overview, now, console, server)
            _show_pushed(loaded, pushed, console, once=once)
            if server is not None:
                _keep_syncing(loaded, console)
        finally:
            if server is not None:
                server.stop()


def _write_effective_config(path: Path, urls: dict[str, str]) -> Path:
    """The demo config with the sandboxes' ports, beside the demo's store."""
    target = DEMO_DIR / EFFECTIVE_CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Written by `syncd demo` from {path} with the ports its sandboxes took;\n"
        "# rewritten on every run. Edit the original, not this copy.\n"
    )
    target.write_text(header + sandboxes.with_ports(path.read_text(), urls))
    return target


def _serve_dashboard(loaded: LoadedConfig, port: int, console: Console) -> StatusServer:
    app = create_dashboard_app(
        loaded, lambda: Store.open(loaded.config.store.get_secret_value()), token=None
    )
    server = StatusServer(app, host="127.0.0.1", port=port)
    try:
        server.start()
    except OSError:
        if port == 0:
            raise
        server = StatusServer(app, host="127.0.0.1", port=0)
        server.start()
        console.print(f"[dim]port {port} is busy; the dashboard took {server.port}[/]")
    return server


def _show(
    loaded: LoadedConfig,
    path: Path,
    report: SyncReport,
    final: SyncReport,
    overview: list[ObjectiveProgress],
    now: datetime,
    console: Console,
    server: StatusServer | None,
) -> None:
    measured = len([r for r in report.results + final.results if r.ok])
    console.print(
        f"  backfilled and synced: {measured} measurements, "
        f"{len(report.failures) + len(final.failures)} failures\n",
        highlight=False,
    )
    status_table(overview, console, now=now)
    syncd = invoked_as()
    if server is not None:
        dashboard = (
            f"  dashboard: http://127.0.0.1:{server.port}/  (JSON: /api/v1/key-results), "
            "served while this demo runs"
        )
    else:
        dashboard = f"  {syncd} serve{_serve_listen()}   the dashboard, after this demo"
    lines = [
        "",
        "[bold]Where to look[/] (in this directory)",
        f"  {syncd} status                     progress, pace, status, forecast",
        f"  {syncd} status --format json       the same for scripts",
        f"  {syncd} history booking-5d         every measurement of a KR",
        f"  {syncd} preview onboarding-satisfaction   the upstream query, run now",
        f"  {syncd} checkin nps 63 --confidence on_track --note 'survey wave 3'",
        f"  {syncd} report --cycle 2026-Q4        the cycle review (md, html or json)",
        escape(dashboard),
        f"  config: {escape(str(path))}",
        f"  store:  {escape(_store_url(loaded))}",
    ]
    console.print("\n".join(lines), highlight=False, soft_wrap=True)


def _show_pushed(
    loaded: LoadedConfig, pushed: Mapping[str, Counter[str]], console: Console, *, once: bool
) -> None:
    """Per sink: how many values were delivered and where to see them."""
    if not pushed:
        return
    alive = "they stop with this demo" if once else "served while this demo runs"
    lines = ["", f"[bold]Pushed to the OKR tools[/] (sandboxes: {alive})"]
    for name, counts in pushed.items():
        settings = loaded.config.sinks[name]
        place, where = _sink_place(settings)
        lines.append(escape(f"  {name:<8} {_outcomes(counts)}{where}"))
        if place:
            lines.append(escape(f"    {place}"))
    check = f"{invoked_as()} check-sinks"
    lines.append(f"  {escape(check)}   each tool's values against syncd's")
    if once:
        lines.append("  (run the demo without --once to keep its sandboxes up for that)")
    console.print("\n".join(lines), highlight=False, soft_wrap=True)


def _outcomes(counts: Counter[str]) -> str:
    """``412 values sent`` and what else happened (unchanged, failed, parked)."""
    text = f"{counts['sent']} values sent"
    for outcome in ("unchanged", "failed"):
        if counts[outcome]:
            text += f", {counts[outcome]} {outcome}"
    if counts["parked"]:
        text += ", parked: its credentials were refused"
    return text


def _sink_place(settings: SinkConfig) -> tuple[str, str]:
    """Where a sink's values are (an address, empty when its settings name none) and what of
    it (a spreadsheet's tab)."""
    fields = settings.model_dump()
    if "spreadsheet" in fields:
        endpoint = fields.get("endpoint")
        base = f"{endpoint.rstrip('/')}/v4/spreadsheets/" if endpoint else GOOGLE_SHEETS
        return f"{base}{fields['spreadsheet']}", f' to tab "{fields.get("sheet")}"'
    url = fields.get("url")
    return (str(url), "") if url is not None else ("", "")


def _serve_listen() -> str:
    """`` --listen 127.0.0.1:PORT`` when the dashboard's default port is taken, else nothing."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", DASHBOARD_PORT))
            return ""
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return f" --listen 127.0.0.1:{probe.getsockname()[1]}"


def invoked_as() -> str:
    """How the user started syncd, so the printed commands work when pasted."""
    program = Path(sys.argv[0])
    if program.name == "__main__.py":
        return f"{Path(sys.executable).name} -m syncd"
    on_path = shutil.which("syncd")
    if on_path and Path(on_path).resolve() == program.resolve():
        return "syncd"
    return str(program)


def _store_url(loaded: LoadedConfig) -> str:
    return make_url(loaded.config.store.get_secret_value()).render_as_string(hide_password=True)


def _sample_path(loaded: LoadedConfig) -> Path:
    source = loaded.config.sources.get(SAMPLE_SOURCE)
    url = getattr(source, "url", None)
    database = make_url(url.get_secret_value()).database if url is not None else None
    if not database:
        raise ConfigError(
            ConfigIssue(
                f"the demo needs a sql source {SAMPLE_SOURCE!r} with a SQLite file URL",
                path=("sources", SAMPLE_SOURCE),
            )
        )
    return Path(database)


def _check_in_survey_results(loaded: LoadedConfig, store: Store, now: datetime) -> None:
    known = {kr.id for _, kr in loaded.config.key_results()}
    if "nps" in known:
        for day, value, note in NPS_CHECKINS:
            at = datetime.combine(day, datetime.min.time(), loaded.config.tz) + timedelta(hours=10)
            if at <= now:
                record_checkin(loaded, store, "nps", value, at=at, note=note)
    for day, kr_id, confidence, said in OWNER_CHECKINS:
        at = datetime.combine(day, datetime.min.time(), loaded.config.tz) + timedelta(hours=16)
        if kr_id in known and at <= now:
            record_checkin(loaded, store, kr_id, None, at=at, confidence=confidence, note=said)


def _backfill(loaded: LoadedConfig, store: Store, now: datetime, err: Console) -> SyncReport:
    starts = [c.start for c in loaded.config.cycles.values() if c.start <= now.date()]
    since = min(starts, default=now.date())
    days = (now.date() - since).days + 1
    with day_progress(err, "backfill", days) as advance:
        return Syncer(loaded).backfill(store, since, now, on_day=lambda day, _r: advance(day))


def _keep_syncing(loaded: LoadedConfig, console: Console) -> None:
    tz = loaded.config.tz
    schedules = {parse_schedule(kr.schedule) for _, kr in loaded.config.key_results()}
    console.print("\n[dim]Syncing on schedule; Ctrl-C to stop.[/]")
    try:
        while True:
            now = moment(None, loaded)
            upcoming = min(
                slot
                for schedule in schedules
                for slot in schedule.slots_between(now, now + 2 * schedule.interval, tz)
                if slot > now
            )
            time.sleep(max(0.0, (upcoming - moment(None, loaded)).total_seconds()))
            with opened_store(loaded) as store:
                report = Syncer(loaded).run(store, upcoming, trigger="demo")
                pushed = drain_sinks(loaded.config, store, owner=store.owner)
            sent = "".join(f", {name} {_outcomes(counts)}" for name, counts in pushed.items())
            console.print(
                f"{upcoming:%Y-%m-%d %H:%M} synced: {len([r for r in report.results if r.ok])} "
                f"measured, {len(report.failures)} failed{escape(sent)}",
                highlight=False,
            )
    except KeyboardInterrupt:
        console.print("stopped.")
