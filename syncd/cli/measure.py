"""Commands that ask sources: ``sync``, ``backfill``, ``preview``, ``check-sources``; and
``checkin``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from syncd.cli import app
from syncd.cli.common import (
    EXIT_PARTIAL,
    AsOfOption,
    ConfigOption,
    KrOption,
    check_krs,
    err,
    fail,
    guarded,
    load,
    moment,
    out,
    parse_day,
    parse_moment,
    say,
    suggestion,
)

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Mapping
    from datetime import datetime

    from syncd.config import LoadedConfig
    from syncd.sync import KRResult, SyncReport

# A KR id column this wide keeps values aligned without pushing a line past 80 columns.
ID_WIDTH = 24


def upstream_calls(count: int) -> str:
    """``1 upstream call``, ``2 upstream calls``."""
    return f"{count} upstream call{'' if count == 1 else 's'}"


def print_results(results: list[KRResult], skipped: list[tuple[str, str]]) -> None:
    """One line per KR: ✓ id value window, ✗ id error, - id skipped: reason."""
    from syncd.logs import scrub

    for result in results:
        kr_id = escape(f"{result.binding.kr.id:<{ID_WIDTH}}")
        if result.ok:
            value = f"{result.evaluated.value:>12.6g}"
            line = f"[green]✓[/] {kr_id} {value}  {escape(str(result.binding.window))}"
        else:
            line = f"[red]✗[/] {kr_id} {escape(scrub(str(result.evaluated.error)))}"
        out.print(line, highlight=False, soft_wrap=True)
    for kr_id, reason in skipped:
        say(f"- {kr_id:<{ID_WIDTH}} skipped: {reason}", style="dim")


def print_report(report: SyncReport) -> None:
    """Every KR's outcome, then one summary line."""
    print_results([r for r in report.results if r.ok] + report.failures, report.skipped)
    written = report.written
    for refusal in written.refused:
        say(
            f"✗ {refusal.item.key_result_id}: refused by the store: {refusal.reason}",
            style="red",
        )
    calls = sum(outcome.stats.calls for outcome in report.sources.values())
    refused = f", {len(written.refused)} refused" if written.refused else ""
    say(
        f"{len(report.results) - len(report.failures)} measured, {len(report.failures)} failed, "
        f"{len(report.skipped)} skipped; store: {written.inserted} new, {written.updated} "
        f"revised, {written.unchanged} unchanged{refused}; {upstream_calls(calls)}"
    )


@app.command()
def sync(
    config: ConfigOption = None,
    kr: KrOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Measure and print every due KR, store nothing (check a config before it runs)",
        ),
    ] = False,
    _once: Annotated[
        bool, typer.Option("--once", hidden=True, help="Accepted for old scripts: sync is one pass")
    ] = False,
) -> None:
    """Measure every KR for its current slot and store the measurements (one pass).

    `syncd run` keeps measuring on each KR's schedule.
    """

    def body() -> None:
        from syncd.session import opened_store
        from syncd.sinks.drain import drain_sinks
        from syncd.sync import Syncer

        loaded = load(config)
        check_krs(loaded, kr)
        now = moment(as_of, loaded)
        if dry_run:
            dry_sync(loaded, now, kr)
            return
        with opened_store(loaded) as store:
            report = Syncer(loaded).run(store, now, kr_ids=kr)
            delivered = drain_sinks(loaded.config, store, owner=store.owner)
        print_report(report)
        print_sink_counts(delivered)
        if report.failures or report.written.refused:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)


def print_sink_counts(counts: Mapping[str, Counter[str]]) -> None:
    """One line per sink that was handed values (or is parked) after a pass."""
    for sink, outcomes in counts.items():
        if not outcomes:
            continue
        parts = [f"{outcomes[o]} {o}" for o in ("sent", "unchanged", "failed") if outcomes[o]]
        if outcomes["parked"]:
            parts.append("parked: its credentials were refused (see `syncd status`)")
        say(f"sink {sink}: " + (", ".join(parts) or "nothing new"))


def dry_sync(loaded: LoadedConfig, now: datetime, kr: list[str] | None) -> None:
    """Plan and collect like a sync at ``now``, print it, and touch no store."""
    from syncd.collect import ConnectorPool
    from syncd.sync import Syncer

    syncer = Syncer(loaded)
    plan = syncer.planner.plan(now, kr_ids=kr)  # no store: no settle re-reads
    skipped = list(plan.skipped)
    with ConnectorPool(syncer.config.sources, syncer.tz) as pool:
        results, sources = syncer.collect(plan, pool)
    print_results([r for r in results if r.ok] + [r for r in results if not r.ok], skipped)
    failed = len([r for r in results if not r.ok])
    calls = sum(outcome.stats.calls for outcome in sources.values())
    say(
        f"{len(results) - failed} measured, {failed} failed, {len(skipped)} skipped; "
        f"dry run: nothing stored; {upstream_calls(calls)}"
    )
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def backfill(
    since: Annotated[
        str, typer.Option(metavar="DATE", help="First day, e.g. 2026-10-01", show_default=False)
    ],
    config: ConfigOption = None,
    kr: KrOption = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="TIME",
            help="Last moment (e.g. 2026-11-21 or 2026-11-21T06:00; default: now)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rebuild the window history: one measurement per day since a date."""
    first = parse_day(since, "--since")
    parse_moment(until, "--until")

    def body() -> None:
        from syncd.errors import ConfigError, ConfigIssue
        from syncd.render import day_progress
        from syncd.session import opened_store
        from syncd.sync import Syncer

        loaded = load(config)
        check_krs(loaded, kr)
        end = moment(until, loaded)
        assert first is not None
        if first > end.date():
            raise ConfigError(ConfigIssue(f"--since {first} is after {end.date()}"))
        days = (end.date() - first).days + 1
        with opened_store(loaded) as store, day_progress(err, "backfill", days) as advance:
            report = Syncer(loaded).backfill(
                store, first, end, kr_ids=kr, on_day=lambda day, _r: advance(day)
            )
        print_report(report)
        if report.failures or report.written.refused:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)


class Confidence(StrEnum):
    """The owner's judgement of a KR (``syncd.status.CONFIDENCES``; this module may not import
    it at import time)."""

    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"


@app.command()
def checkin(
    kr: Annotated[str, typer.Argument(metavar="KR", help="Key result id")],
    value: Annotated[
        float | None,
        typer.Argument(
            metavar="[VALUE]",
            help="The value now, e.g. 63 (may be left out with --confidence or --note)",
            show_default=False,
        ),
    ] = None,
    confidence: Annotated[
        Confidence | None,
        typer.Option(
            help="The owner's judgement, shown beside the computed status", show_default=False
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Why it moved; shown in history, status and dashboard"),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            "--as-of",
            metavar="TIME",
            help="When it was measured (e.g. 2026-11-21 or 2026-11-21T06:00; default: now)",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Check a KR in: a value measured by hand (no metric, or a manual source), and/or the
    owner's confidence and a note (any KR)."""

    def body() -> None:
        from syncd.checkin import record_checkin
        from syncd.session import opened_store
        from syncd.status import status_label

        loaded = load(config, read_only=True)
        check_krs(loaded, [kr])
        when = moment(at, loaded)
        chosen = confidence.value if confidence is not None else None
        with opened_store(loaded) as store:
            record_checkin(loaded, store, kr, value, at=when, note=note, confidence=chosen)
        said = [f"{value:g}"] if value is not None else []
        said += [f"confidence {status_label(chosen)}"] if chosen else []
        said += ["note"] if note else []
        out.print(
            f"[green]✓[/] {escape(kr)}: {', '.join(said)} at {when.isoformat()}", highlight=False
        )

    guarded(body)


@app.command()
def preview(
    target: Annotated[str, typer.Argument(metavar="KR|METRIC", help="A KR id or a metric name")],
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Run a KR's or metric's query now; print value, window and upstream requests.

    Stores nothing: check a binding before it goes live.
    """

    def body() -> None:
        from syncd.errors import ConfigError, ConfigIssue
        from syncd.preview import run_preview

        loaded = load(config)
        known = {kr.id for _, kr in loaded.config.key_results()} | set(loaded.config.metrics)
        if target not in known:
            raise ConfigError(
                ConfigIssue(
                    f"no key result or metric named {target!r}", hint=suggestion(target, known)
                )
            )
        result = run_preview(loaded, target, moment(as_of, loaded))
        out.print(
            f"[bold]{escape(result.target)}[/]  (metric {escape(result.metric)})", highlight=False
        )
        say(f"  window   {result.window_spec}: {result.window}")
        for source, description in result.requests:
            say(f"  request  [{source}] {description}")
        if result.evaluated.value is None:
            fail(f"{target}: {result.evaluated.error}", EXIT_PARTIAL)
        out.print(
            f"  value    [bold]{result.evaluated.value:.6g}[/]   "
            f"({upstream_calls(result.upstream_calls)}; nothing stored)",
            highlight=False,
        )

    guarded(body)


@app.command("check-sources")
def check_sources(
    config: ConfigOption = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source", metavar="NAME", help="Only this source (repeatable)", show_default=False
        ),
    ] = None,
) -> None:
    """Check each source's credentials and reachability with one cheap call.

    One line per source; exit 1 when any check failed. Nothing is measured or stored.
    """

    def body() -> None:
        from syncd.errors import ConfigError, ConfigIssue
        from syncd.session import load as load_config
        from syncd.sourcecheck import check_sources as run_checks

        loaded = load_config(config, read_secrets=("sources",))  # never the store's
        sources = loaded.config.sources
        unknown = [name for name in source or () if name not in sources]
        if unknown:
            raise ConfigError(
                [
                    ConfigIssue(
                        f"--source {name!r}: no such source",
                        hint=suggestion(name, sources).replace(
                            "list them with `syncd status`", f"the sources are {', '.join(sources)}"
                        ),
                    )
                    for name in unknown
                ]
            )
        failed = 0
        for check in run_checks(sources, loaded.config.tz, dict.fromkeys(source or sources)):
            mark = {"ok": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[dim]-[/]"}
            text = escape(f"{check.source} ({check.type}): {check.text}")
            out.print(f"{mark[check.outcome]} {text}", highlight=False, soft_wrap=True)
            if check.hint:
                say(f"    hint: {check.hint}", style="dim")
            failed += check.outcome == "failed"
        if failed:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)
