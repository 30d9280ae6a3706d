"""The ``syncd`` command line.

Exit codes: 0 success; 1 some KRs could not be measured (the others were stored); 2 the
configuration or the command line is wrong; 3 the store cannot be used.
"""

from __future__ import annotations

import difflib
import json
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from syncd import __version__, logs, paths, setaside
from syncd.checkin import record_checkin
from syncd.config import LoadedConfig, config_schema
from syncd.errors import ConfigError, ConfigIssue, StoreError, SyncdError
from syncd.overview import build_overview
from syncd.preview import run_preview
from syncd.render import history_table, status_json, status_table
from syncd.session import load, moment, opened_store
from syncd.store import Store
from syncd.sync import Syncer, SyncReport

EXIT_PARTIAL, EXIT_CONFIG, EXIT_STORE = 1, 2, 3

app = typer.Typer(
    name="syncd",
    help="Key-result progress from the data: pull metrics, store measurements, see progress.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the measurement store.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file or directory (default: $SYNCD_CONFIG, ./syncd.yaml, /etc/syncd, …)",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        help="Act as if it were this moment (ISO 8601; config time zone when none given)",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
    ),
]
KrOption = Annotated[
    list[str] | None, typer.Option("--kr", help="Only this KR (repeatable)", show_default=False)
]

T = TypeVar("T")


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {logs.scrub(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def guarded(action: Callable[[], T]) -> T:
    """Run a command body, turning syncd's errors into a message and an exit code."""
    try:
        return action()
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(
                f"[red]error:[/] {logs.scrub(issue.render())}", highlight=False, soft_wrap=True
            )
        raise typer.Exit(EXIT_CONFIG) from None
    except StoreError as exc:
        fail(str(exc), EXIT_STORE)
    except SyncdError as exc:
        fail(str(exc), EXIT_PARTIAL)


@app.callback()
def main_options(
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning or error", envvar="SYNCD_LOG_LEVEL")
    ] = "warning",
    log_format: Annotated[
        str, typer.Option(help="auto, json or console", envvar="SYNCD_LOG_FORMAT")
    ] = "auto",
    version: Annotated[bool, typer.Option("--version", help="Print the version")] = False,
) -> None:
    """syncd: key-result progress from the data, not from feel."""
    if version:
        out.print(f"syncd {__version__}")
        raise typer.Exit(0)
    if log_format not in ("auto", "json", "console"):
        fail(f"--log-format must be auto, json or console, not {log_format!r}", EXIT_CONFIG)
    logs.configure(level=log_level, fmt=log_format)  # type: ignore[arg-type]


@app.command()
def validate(
    path: Annotated[
        Path | None, typer.Argument(help="Config file or directory", show_default=False)
    ] = None,
    config: ConfigOption = None,
    secrets: Annotated[
        bool,
        typer.Option(
            "--secrets",
            help="Also read every secret reference, as sync does (default: check their syntax)",
        ),
    ] = False,
) -> None:
    """Check a configuration: every error with file, line, key and a hint; hygiene warnings."""

    def body() -> None:
        loaded = load(path or config, read_secrets=secrets)
        for warning in loaded.warnings:
            err.print(f"[yellow]{warning.render()}[/]", highlight=False, soft_wrap=True)
        count = len(loaded.config.key_results())
        out.print(
            f"[green]valid:[/] {len(loaded.files)} file(s), {len(loaded.config.objectives)} "
            f"objectives, {count} key results, {len(loaded.warnings)} warning(s)",
            highlight=False,
        )
        if not secrets:
            out.print("[dim]secret references: syntax checked; --secrets reads them[/]")

    guarded(body)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the configuration language (for editors)."""
    sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")


def print_report(report: SyncReport) -> None:
    measured = [r for r in report.results if r.ok]
    for result in measured:
        out.print(
            f"[green]✓[/] {result.binding.kr.id:<28} {result.evaluated.value:>14.6g}  "
            f"{result.binding.window}",
            highlight=False,
        )
    for result in report.failures:
        out.print(
            f"[red]✗[/] {result.binding.kr.id:<28} {logs.scrub(str(result.evaluated.error))}",
            highlight=False,
            soft_wrap=True,
        )
    for kr_id, reason in report.skipped:
        out.print(f"[dim]- {kr_id:<28} skipped: {reason}[/]", highlight=False)
    written = report.written
    for refusal in written.refused:
        out.print(
            f"[red]✗[/] {refusal.item.key_result_id:<28} refused by the store: {refusal.reason}",
            highlight=False,
            soft_wrap=True,
        )
    calls = sum(outcome.stats.calls for outcome in report.sources.values())
    out.print(
        f"{len(measured)} measured, {len(report.failures)} failed, {len(report.skipped)} "
        f"skipped; store: {written.inserted} new, {written.updated} revised, "
        f"{written.unchanged} unchanged"
        + (f", {len(written.refused)} refused" if written.refused else "")
        + f"; {calls} upstream calls",
        highlight=False,
    )


@app.command()
def sync(
    config: ConfigOption = None,
    kr: KrOption = None,
    as_of: AsOfOption = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (the default)")] = True,
) -> None:
    """Measure every KR for its current slot and store the measurements (one pass)."""

    def body() -> None:
        loaded = load(config)
        with opened_store(loaded) as store:
            report = Syncer(loaded).run(store, moment(as_of, loaded), kr_ids=kr)
        print_report(report)
        if report.failures or report.written.refused:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)


@app.command()
def backfill(
    since: Annotated[datetime, typer.Option(help="First day (YYYY-MM-DD)", formats=["%Y-%m-%d"])],
    config: ConfigOption = None,
    kr: KrOption = None,
    until: AsOfOption = None,
) -> None:
    """Rebuild the window history: one measurement per day since a date."""

    def body() -> None:
        loaded = load(config)
        end = moment(until, loaded)
        report = run_backfill(loaded, since.date(), end, kr)
        print_report(report)
        if report.failures or report.written.refused:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)


def run_backfill(
    loaded: LoadedConfig, since: date, until: datetime, kr: list[str] | None
) -> SyncReport:
    if since > until.date():
        raise ConfigError(ConfigIssue(f"--since {since} is after {until.date()}"))
    days = (until.date() - since).days + 1
    with (
        opened_store(loaded) as store,
        Progress(
            TextColumn("backfill {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(since.isoformat(), total=days)

        def advance(day: date, _report: SyncReport) -> None:
            progress.update(task, advance=1, description=day.isoformat())

        return Syncer(loaded).backfill(store, since, until, kr_ids=kr, on_day=advance)


@app.command()
def status(
    config: ConfigOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    as_of: AsOfOption = None,
) -> None:
    """Progress, pace, status and forecast of every KR."""

    def body() -> None:
        loaded = load(config)
        now = moment(as_of, loaded)
        with opened_store(loaded) as store:
            overview = build_overview(loaded, store, now)
            set_aside = store.dead_letter_count()
        if format is OutputFormat.json:
            types = {name: source.type for name, source in loaded.config.sources.items()}
            document = status_json(overview, types) | {"dead_letters": set_aside}
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            status_table(overview, out, now=now)
            if set_aside:
                out.print(f"[yellow]{setaside.summary_line(set_aside)}[/]", highlight=False)

    guarded(body)


@app.command("dead-letters")
def dead_letters(
    config: ConfigOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many")] = 50,
) -> None:
    """Measurements the store refused (not a finite number, unknown KR, …), set aside."""

    def body() -> None:
        loaded = load(config)
        with opened_store(loaded) as store:
            letters = store.dead_letters(limit=limit)
            total = store.dead_letter_count()
        if format is OutputFormat.json:
            document = setaside.dead_letters_json(letters, total)
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            setaside.print_dead_letters(letters, total, out)

    guarded(body)


@app.command()
def history(
    kr: Annotated[str, typer.Argument(help="Key result id")],
    config: ConfigOption = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Every measurement of a KR, with its window, provenance, earlier values and notes, then
    its check-ins; KRs of past cycles too (the store remembers them)."""

    def body() -> None:
        from syncd.archive import with_archive
        from syncd.reports.export import checkin_row, measurement_row

        loaded = load(config)
        with opened_store(loaded) as store:
            known = with_archive(loaded, store)
            objective, key_result = find_kr(known, kr)
            measurements = store.measurements(kr)
            earlier = {
                measurement_id: [r.value for r in rows]
                for measurement_id, rows in store.revisions_of(kr).items()
            }
            checkins = store.checkins(kr)
        if format is OutputFormat.json:
            rows = [measurement_row(objective, m, earlier.get(m.id or 0, ())) for m in measurements]
            document = {
                "key_result": kr,
                "measurements": rows,
                "checkins": [checkin_row(c) for c in checkins],
            }
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            history_table(
                key_result,
                measurements,
                out,
                tz=known.config.tz,
                earlier=earlier,
                checkins=checkins,
            )

    guarded(body)


def find_kr(loaded: LoadedConfig, kr_id: str) -> tuple[Any, Any]:
    try:
        return loaded.config.key_result(kr_id)
    except KeyError:
        known = [kr.id for _, kr in loaded.config.key_results()]
        close = difflib.get_close_matches(kr_id, known, n=1)
        raise ConfigError(
            ConfigIssue(
                f"no key result with id {kr_id!r}",
                hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}",
            )
        ) from None


class ConfidenceChoice(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"


@app.command()
def checkin(
    kr: Annotated[str, typer.Argument(help="Key result id")],
    value: Annotated[
        float | None, typer.Argument(help="The value now (optional with --confidence/--note)")
    ] = None,
    confidence: Annotated[
        ConfidenceChoice | None,
        typer.Option(help="The owner's judgement, shown beside the computed status"),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help="Why it moved; shown in history, status and dashboard")
    ] = None,
    at: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Check a KR in: a value measured by hand (no metric, or a manual source), and/or the
    owner's confidence and a note (any KR)."""

    def body() -> None:
        loaded = load(config)
        when = moment(at, loaded)
        chosen = confidence.value if confidence is not None else None
        with opened_store(loaded) as store:
            record_checkin(loaded, store, kr, value, at=when, note=note, confidence=chosen)
        said = [f"{value:g}"] if value is not None else []
        said += [f"confidence {chosen.replace('_', ' ')}"] if chosen else []
        said += ["note"] if note else []
        out.print(f"[green]✓[/] {kr}: {', '.join(said)} at {when.isoformat()}", highlight=False)

    guarded(body)


@app.command()
def preview(
    target: Annotated[str, typer.Argument(help="A key result id or a metric name")],
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Run a KR's or metric's query now; print value, window and upstream requests.

    Stores nothing: check a binding before it goes live.
    """

    def body() -> None:
        loaded = load(config)
        result = run_preview(loaded, target, moment(as_of, loaded))
        out.print(f"[bold]{result.target}[/]  (metric {result.metric})", highlight=False)
        out.print(f"  window   {result.window_spec}: {result.window}", highlight=False)
        for source, description in result.requests:
            out.print(f"  request  [{source}] {description}", highlight=False, soft_wrap=True)
        if result.evaluated.value is None:
            fail(f"{target}: {result.evaluated.error}", EXIT_PARTIAL)
        out.print(
            f"  value    [bold]{result.evaluated.value:.6g}[/]   "
            f"({result.upstream_calls} upstream calls; nothing stored)",
            highlight=False,
        )

    guarded(body)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the store's migrations up to the newest (also done on every start)."""

    def body() -> None:
        loaded = load(config)
        store = Store.open(loaded.config.store.get_secret_value(), upgrade=False)
        try:
            revision = store.upgrade()
        finally:
            store.close()
        out.print(f"[green]store at revision {revision}[/]", highlight=False)

    guarded(body)


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout)")
]


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_text(text)
        err.print(f"wrote {out}", highlight=False)


@app.command()
def report(
    cycle: Annotated[str, typer.Option("--cycle", help="Cycle id, e.g. 2026-Q4")],
    config: ConfigOption = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.md,
    out: OutOption = None,
    as_of: AsOfOption = None,
) -> None:
    """The cycle review: scores per KR and objective, bets and what moved after them."""
    from syncd.reports.review import build_review, render_review

    def body() -> None:
        from syncd.archive import with_archive

        loaded = load(config)
        with opened_store(loaded) as store:
            known = with_archive(loaded, store)
            if cycle not in known.config.cycles:
                cycles = ", ".join(known.config.cycles) or "none"
                raise ConfigError(ConfigIssue(f"no cycle {cycle!r}", hint=f"cycles: {cycles}"))
            review = build_review(known, store, cycle, now=moment(as_of, loaded))
        _write(render_review(review, format.value), out)

    guarded(body)


@app.command()
def export(
    config: ConfigOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    kr: KrOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(help="Windows ending on or after this day", formats=["%Y-%m-%d"]),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            help="Windows ending on or before this day (YYYY-MM-DD)", formats=["%Y-%m-%d"]
        ),
    ] = None,
    out: OutOption = None,
) -> None:
    """Every measurement as CSV, JSON or an Excel workbook (xlsx, needs --out)."""
    from syncd.reports.export import export_measurements, export_xlsx

    def body() -> None:
        from syncd.archive import with_archive

        if format is ExportFormat.xlsx and out is None:
            raise ConfigError(
                ConfigIssue(
                    "--format xlsx writes a workbook, not text",
                    hint="add --out measurements.xlsx",
                )
            )
        loaded = load(config)
        with opened_store(loaded) as store:
            known = with_archive(loaded, store)
            if format is ExportFormat.xlsx:
                assert out is not None
                try:
                    rows = export_xlsx(
                        store,
                        known.config,
                        out,
                        kr_ids=kr,
                        since=since.date() if since else None,
                        until=until.date() if until else None,
                    )
                except OSError as exc:
                    raise ConfigError(
                        ConfigIssue(
                            f"--out {out}: cannot write it ({exc.strerror})",
                            hint="choose a writable path",
                        )
                    ) from None
                err.print(f"{rows} measurements exported to {out}", highlight=False)
                return
            handle = out.open("w", newline="") if out else sys.stdout
            try:
                rows = export_measurements(
                    store,
                    known.config,
                    format.value,
                    kr_ids=kr,
                    since=since.date() if since else None,
                    until=until.date() if until else None,
                    out=handle,
                )
            finally:
                if out:
                    handle.close()
        err.print(f"{rows} measurements exported", highlight=False)

    guarded(body)


@app.command()
def serve(
    config: ConfigOption = None,
    listen: Annotated[str, typer.Option(help="host:port")] = "127.0.0.1:9466",
    token: Annotated[
        str | None,
        typer.Option(envvar="SYNCD_DASHBOARD_TOKEN", help="Bearer token every request needs"),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Serve a non-loopback address without a token (behind an authenticating proxy)",
        ),
    ] = False,
) -> None:
    """Serve the read-only dashboard and its JSON API (/api/v1/) until Ctrl-C."""
    from syncd.exposure import exposed_without_token, is_loopback
    from syncd.observe import StatusServer
    from syncd.web import create_dashboard_app

    def body() -> None:
        host, _, port = listen.rpartition(":")
        host = host.strip("[]")
        if not token and not insecure and not is_loopback(host):
            fail(
                "--listen "
                + exposed_without_token(
                    listen,
                    serves="the dashboard and the API",
                    token_option="--token (SYNCD_DASHBOARD_TOKEN)",
                    opt_out="--insecure",
                ),
                EXIT_CONFIG,
            )
        loaded = load(config)
        with opened_store(loaded):
            pass  # migrated and reachable before we say where to look
        app_ = create_dashboard_app(
            loaded, lambda: Store.open(loaded.config.store.get_secret_value()), token=token
        )
        server = StatusServer(app_, host=host, port=int(port))
        server.start()
        out.print(f"dashboard: http://{listen.rpartition(':')[0]}:{server.port}/", highlight=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()

    guarded(body)


@app.command()
def digest(
    team: Annotated[str, typer.Option("--team", help="The team whose weekly digest to show")],
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Print a team's weekly check-in digest as it would be sent now (sends nothing)."""
    from syncd.notify_teams import preview_digest

    def body() -> None:
        loaded = load(config)
        with opened_store(loaded) as store:
            text = preview_digest(loaded, store, team, moment(as_of, loaded))
        _write(text, None)

    guarded(body)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the service: measure every KR on its schedule until SIGTERM (systemd: Type=notify).

    SIGHUP reloads the config (an invalid one is reported; the old one keeps running).
    """
    from syncd.daemon.service import Daemon

    raise typer.Exit(guarded(lambda: Daemon(config).serve()))


@app.command()
def demo(
    once: Annotated[
        bool, typer.Option("--once", help="One backfill and sync pass, then exit")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Demo config (default: config/demo.yaml)")
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Try syncd with no credentials: sample data, a SQLite store, the cycle backfilled."""
    from syncd.demo.runner import run_demo

    guarded(lambda: run_demo(config, once=once, as_of=as_of, console=out, err=err))


def main() -> None:
    """Console-script entry point."""
    paths.restrict_umask()  # store, spool, WAL, reports: 0600/0700 outside systemd too
    app()
