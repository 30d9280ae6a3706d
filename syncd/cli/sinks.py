"""Commands that talk to the sinks: ``push`` (re-send stored history) and ``check-sinks``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from syncd.cli import app
from syncd.cli.common import (
    EXIT_PARTIAL,
    ConfigOption,
    KrOption,
    check_krs,
    guarded,
    load,
    out,
    parse_day,
    say,
    suggestion,
)

if TYPE_CHECKING:
    from syncd.config import LoadedConfig
    from syncd.sinks.check import KrComparison

SinkOption = Annotated[
    list[str] | None,
    typer.Option("--sink", metavar="NAME", help="Only this sink (repeatable)", show_default=False),
]


def chosen_sinks(loaded: LoadedConfig, names: list[str] | None) -> list[str]:
    """``names`` (default: every sink a KR pushes to); a ConfigError for an unknown one."""
    from syncd.errors import ConfigError, ConfigIssue
    from syncd.sinks.build import mapped_sinks

    sinks = loaded.config.sinks
    unknown = [name for name in names or () if name not in sinks]
    if unknown:
        known = ", ".join(sinks) or "none (add one under 'sinks:')"
        raise ConfigError(
            [
                ConfigIssue(
                    f"--sink {name!r}: no such sink",
                    hint=suggestion(name, sinks).replace(
                        "list them with `syncd status`", f"the sinks are {known}"
                    ),
                )
                for name in unknown
            ]
        )
    if names:
        return list(dict.fromkeys(names))
    mapped = mapped_sinks(loaded.config)
    if not mapped:
        raise ConfigError(
            ConfigIssue(
                "no key result pushes to a sink",
                hint="add 'push: {<sink>: {...}}' to a key result (see docs/sinks.md)",
            )
        )
    return mapped


def _number(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"


@app.command()
def push(
    since: Annotated[
        str, typer.Option(metavar="DATE", help="First day, e.g. 2026-10-01", show_default=False)
    ],
    config: ConfigOption = None,
    sink: SinkOption = None,
    kr: KrOption = None,
) -> None:
    """Re-send the stored values since a date to the sinks (what they have is not sent again).

    One line per sink and KR; exit 1 when a delivery failed.
    """
    first = parse_day(since, "--since")

    def body() -> None:
        from datetime import UTC, datetime

        from syncd.session import opened_store
        from syncd.sinks.build import opened_sinks
        from syncd.sinks.push import push_history

        loaded = load(config)
        check_krs(loaded, kr)
        names = chosen_sinks(loaded, sink)
        assert first is not None
        with opened_store(loaded) as store, opened_sinks(loaded.config, names) as sinks:
            results = push_history(
                loaded.config,
                store,
                sinks,
                since=first,
                kr_ids=kr,
                clock=lambda: datetime.now(UTC),
            )
        totals = {"sent": 0, "unchanged": 0, "failed": 0}
        for result in results:
            for kr_id, counts in result.counts.items():
                for key in totals:
                    totals[key] += counts[key]
                say(
                    f"{result.sink} {kr_id}: {counts['sent']} sent, "
                    f"{counts['unchanged'] + counts['older']} unchanged, {counts['failed']} failed"
                )
            for error in result.errors:
                say(f"    {result.sink}: {error}", style="red")
        say(
            f"since {first}: {totals['sent']} sent, {totals['unchanged']} unchanged, "
            f"{totals['failed']} failed"
        )
        if any(result.failed for result in results):
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)


def _comparison_lines(name: str, kr: KrComparison) -> list[str]:
    if kr.error is not None:
        return [f"    {kr.kr_id}: not readable in {name}", f"      {kr.error}"]
    verdict = "in sync" if kr.in_sync else "differs"
    shown = f"{name} shows {_number(kr.shown)}" + (f" on {kr.shown_day}" if kr.shown_day else "")
    would = f"syncd would send {_number(kr.would_send)}" + (f" for {kr.day}" if kr.day else "")
    return [f"    {kr.kr_id}: {verdict}", f"      {shown}; {would}"]


@app.command("check-sinks")
def check_sinks(config: ConfigOption = None, sink: SinkOption = None, kr: KrOption = None) -> None:
    """Check each sink's credentials and compare what it shows for each mapped KR with what
    syncd would send. Changes nothing in the tools; a parked sink that passes is unparked.

    Exit 1 when a check or a read failed.
    """

    def body() -> None:
        from syncd.session import load as load_config
        from syncd.session import opened_store
        from syncd.sinks.build import opened_sinks
        from syncd.sinks.check import check_sinks as run_checks

        loaded = load_config(config, read_secrets=("store", "sinks"))  # never the sources'
        check_krs(loaded, kr)
        names = chosen_sinks(loaded, sink)
        failed = 0
        mark = {"ok": "[green]✓[/]", "failed": "[red]✗[/]"}
        with opened_store(loaded) as store, opened_sinks(loaded.config, names) as sinks:
            for check in run_checks(loaded.config, store, sinks, kr):
                text = escape(f"{check.sink} ({check.type}): {check.text}")
                out.print(f"{mark[check.outcome]} {text}", highlight=False, soft_wrap=True)
                if check.hint:
                    say(f"    hint: {check.hint}", style="dim")
                if check.unparked:
                    say("    it was parked: unparked, its waiting values will be delivered")
                for comparison in check.krs:
                    for line in _comparison_lines(check.sink, comparison):
                        say(line)
                    failed += comparison.error is not None
                failed += check.outcome == "failed"
        if failed:
            raise typer.Exit(EXIT_PARTIAL)

    guarded(body)
