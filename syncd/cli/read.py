"""Read-only commands: ``status``, ``history``, ``report``, ``export``, ``digest``.

They read the store and never contact a source, so they resolve no source secret. ``history``,
``report`` and ``export`` also reach the cycles and objectives that have left the config since
(the store remembers them: :func:`syncd.archive.with_archive`).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from syncd.cli import app
from syncd.cli.common import (
    AsOfOption,
    ConfigOption,
    FormatOption,
    KrOption,
    OutputFormat,
    check_krs,
    err,
    fail,
    guarded,
    load,
    moment,
    out,
    parse_day,
    say,
    store_for_reading,
)


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", metavar="FILE", help="Write to this file (default: stdout)"),
]


def _open_out(path: Path) -> TextIO:
    try:
        return path.open("w", newline="")
    except OSError as exc:
        fail(f"--out {path}: cannot write: {exc.strerror}", hint="choose a writable path")


def _write(text: str, path: Path | None) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if path is None:
        sys.stdout.write(text)
        return
    with _open_out(path) as handle:
        handle.write(text)
    say(f"wrote {path}", err)


@app.command()
def status(
    config: ConfigOption = None,
    format: FormatOption = OutputFormat.table,
    as_of: AsOfOption = None,
) -> None:
    """Progress, pace, status and forecast of every KR."""

    def body() -> None:
        from syncd import setaside
        from syncd.overview import build_overview
        from syncd.render import status_json, status_table
        from syncd.sinks.health import sink_document, sink_health, sink_lines

        loaded = load(config, read_only=True)
        now = moment(as_of, loaded)
        with store_for_reading(loaded) as store:
            overview = build_overview(loaded, store, now)
            set_aside = store.dead_letter_count()
            sinks = sink_health(loaded.config, store)
        if format is OutputFormat.json:
            types = {name: source.type for name, source in loaded.config.sources.items()}
            document = status_json(overview, types) | {"dead_letters": set_aside}
            if loaded.config.sinks:
                document["sinks"] = [sink_document(s) for s in sinks]
            sys.stdout.write(_json(document) + "\n")
        else:
            status_table(overview, out, now=now)
            if set_aside:
                say(setaside.summary_line(set_aside), style="yellow")
            for line in sink_lines(sinks, loaded.config.tz):
                say(line, style="yellow")
        if overview and all(kr.collected_at is None for o in overview for kr in o.key_results):
            say(
                "note: the store has no measurements yet; `syncd sync` measures now, "
                "`syncd backfill --since DATE` the history",
                err,
                style="yellow",
            )

    guarded(body)


@app.command("dead-letters")
def dead_letters(
    config: ConfigOption = None,
    format: FormatOption = OutputFormat.table,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many")] = 50,
) -> None:
    """Measurements the store refused (not a finite number, unknown KR, …), set aside."""

    def body() -> None:
        from syncd import setaside

        loaded = load(config, read_only=True)
        with store_for_reading(loaded) as store:
            letters = store.dead_letters(limit=limit)
            total = store.dead_letter_count()
        if format is OutputFormat.json:
            document = setaside.dead_letters_json(letters, total)
            sys.stdout.write(_json(document) + "\n")
        else:
            setaside.print_dead_letters(letters, total, out)

    guarded(body)


@app.command()
def history(
    kr: Annotated[str, typer.Argument(metavar="KR", help="Key result id")],
    config: ConfigOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Every measurement of a KR, with its window, provenance, earlier values and notes, then
    its check-ins; KRs of past cycles too (the store remembers them)."""

    def body() -> None:
        from syncd.archive import with_archive
        from syncd.render import history_table

        loaded = load(config, read_only=True)
        with store_for_reading(loaded) as store:
            known = with_archive(loaded, store)
            check_krs(known, [kr])
            objective, key_result = known.config.key_result(kr)
            measurements = store.measurements(kr)
            earlier = {
                measurement_id: [revision.value for revision in revisions]
                for measurement_id, revisions in store.revisions_of(kr).items()
            }
            checkins = store.checkins(kr)
        if format is OutputFormat.json:
            from syncd.reports.export import checkin_row, measurement_row

            document = {
                "key_result": kr,
                "measurements": [
                    measurement_row(objective, m, earlier.get(m.id or 0, ())) for m in measurements
                ],
                "checkins": [checkin_row(checkin) for checkin in checkins],
            }
            sys.stdout.write(_json(document) + "\n")
        else:
            history_table(
                key_result,
                measurements,
                out,
                tz=loaded.config.tz,
                earlier=earlier,
                checkins=checkins,
            )

    guarded(body)


@app.command()
def report(
    cycle: Annotated[str, typer.Option("--cycle", metavar="CYCLE", help="Cycle id, e.g. 2026-Q4")],
    config: ConfigOption = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.md,
    out_path: OutOption = None,
    as_of: AsOfOption = None,
) -> None:
    """The cycle review: scores per KR and objective, bets and what moved after them; past
    cycles too, after they left the config (the store remembers them)."""

    def body() -> None:
        from syncd.archive import with_archive
        from syncd.errors import ConfigError, ConfigIssue
        from syncd.reports.epics import read_epics
        from syncd.reports.review import build_review, render_review

        loaded = load(config, read_only=True)
        epics = read_epics(loaded)
        with store_for_reading(loaded) as store:
            known = with_archive(loaded, store)
            if cycle not in known.config.cycles:
                cycles = ", ".join(known.config.cycles) or "none"
                raise ConfigError(ConfigIssue(f"no cycle {cycle!r}", hint=f"cycles: {cycles}"))
            review = build_review(known, store, cycle, now=moment(as_of, loaded), epics=epics)
        _write(render_review(review, format.value), out_path)

    guarded(body)


@app.command()
def export(
    config: ConfigOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    kr: KrOption = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Windows ending on or after this day, e.g. 2026-10-01"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Windows ending on or before this day, e.g. 2026-12-31"),
    ] = None,
    out_path: OutOption = None,
) -> None:
    """Every measurement as CSV, JSON or an Excel workbook (xlsx, needs --out), for
    spreadsheets and BI tools; retired KRs too."""
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    if format is ExportFormat.xlsx and out_path is None:
        fail("--format xlsx writes a workbook, not text", hint="add --out measurements.xlsx")

    def body() -> None:
        from syncd.archive import with_archive
        from syncd.reports.export import export_measurements, export_xlsx

        loaded = load(config, read_only=True)
        with store_for_reading(loaded) as store:
            known = with_archive(loaded, store)
            check_krs(known, kr)
            if format is ExportFormat.xlsx:
                assert out_path is not None
                try:
                    rows = export_xlsx(
                        store, known.config, out_path, kr_ids=kr, since=first, until=last
                    )
                except OSError as exc:
                    fail(
                        f"--out {out_path}: cannot write: {exc.strerror}",
                        hint="choose a writable path",
                    )
                say(f"{rows} measurements exported to {out_path}", err)
                return
            handle = _open_out(out_path) if out_path else sys.stdout
            try:
                rows = export_measurements(
                    store,
                    known.config,
                    "json" if format is ExportFormat.json else "csv",
                    kr_ids=kr,
                    since=first,
                    until=last,
                    out=handle,
                )
            finally:
                if out_path:
                    handle.close()
        say(f"{rows} measurements exported", err)

    guarded(body)


@app.command()
def digest(
    team: Annotated[
        str, typer.Option("--team", metavar="TEAM", help="The team whose weekly digest to show")
    ],
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Print a team's weekly check-in digest as it would be sent now (sends nothing)."""

    def body() -> None:
        from syncd.notify_teams import preview_digest

        loaded = load(config, read_only=True)
        with store_for_reading(loaded) as store:
            text = preview_digest(loaded, store, team, moment(as_of, loaded))
        _write(text, None)

    guarded(body)


def _json(document: object) -> str:
    """``document`` as JSON in which a non-finite number is null (never ``NaN``)."""
    from syncd import jsonout  # imports Flask's JSON provider: only when JSON is asked for

    return jsonout.dumps(document, indent=2)
