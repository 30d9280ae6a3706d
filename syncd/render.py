"""What ``syncd status`` and ``syncd history`` print: JSON for machines, rich tables for people.

Numbers, units, ranges, scores and ages are formatted by :mod:`syncd.formatting`, in the
configured locale, the same as on the dashboard, in the review report and in digests; this
module only lays them out for a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncd.config.models import KeyResult
from syncd.documents import key_result_document, objective_document
from syncd.formatting import (
    COMMITMENT_TITLES,
    format_ago,
    format_range,
    format_score,
    format_value,
)
from syncd.progress import KRProgress, ObjectiveProgress, attainment, success_score
from syncd.status import Status, status_label
from syncd.store.records import CheckIn, Measurement

BAR_CELLS = 20
WIDE_TABLE = 150
"""Columns the status table needs to show KR titles beside every number; narrower terminals
and piped output get the stacked layout (each KR title on its own line, its numbers below)."""
INDENT = "    "
HISTORY_TABLE = 110

STATUS_STYLES: dict[str, str] = {
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "achieved": "bold green",
    "stale": "magenta",
    "not_started": "dim",
}


def status_json(
    objectives: Sequence[ObjectiveProgress], types: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``syncd status --format json`` document: every KR, then every objective, in the
    shapes ``/api/v1`` uses (:mod:`syncd.documents`); ``types`` maps source name to type."""
    return {
        "key_results": [
            key_result_document(kr, types or {})
            for objective in objectives
            for kr in objective.key_results
        ],
        "objectives": [objective_document(objective) for objective in objectives],
    }


def progress_bar(share: float | None, expected: float, cells: int = BAR_CELLS) -> str:
    """``cells`` cells of █/░ filled to ``share`` (clamped to 0..1), with │ at ``expected``."""
    filled = round(min(max(share or 0.0, 0.0), 1.0) * cells)
    marker = round(min(max(expected, 0.0), 1.0) * cells)
    bar = "█" * filled + "░" * (cells - filled)
    return bar[:marker] + "│" + bar[marker:]


def status_text(status: Status) -> Text:
    """The status word, coloured."""
    return Text(status_label(status), style=STATUS_STYLES[status])


def _progress_text(kr: KRProgress) -> str:
    if kr.band is not None:
        share = kr.score
        label = "-" if kr.in_band is None else ("in band" if kr.in_band else "out of band")
    else:
        share = kr.attainment
        label = "-" if kr.attainment is None else f"{round(kr.attainment * 100)} %"
    return f"{progress_bar(share, kr.expected)} {label}"


def _forecast_text(kr: KRProgress) -> str:
    if kr.forecast is None:
        return "-"
    text = format_value(kr.forecast, kr.unit)
    return text if kr.forecast_score is None else f"{text} ({kr.forecast_score:.2f})"


def _new_table(title: str) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        caption="progress: attainment, │ marks the expected pace; forecast: value (score)",
        caption_justify="left",
    )
    table.add_column("Objective / key result", ratio=1, min_width=24)
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Baseline → target", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Forecast", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    return table


def objective_bar(objective: ObjectiveProgress) -> str:
    """The objective's score as a bar, │ at the pace its commitment expects by now."""
    if objective.score is None:
        return "-"
    pace = (objective.expected or 0.0) * success_score(objective.commitment)
    return f"{progress_bar(objective.score, pace)} {round(objective.score * 100)} %"


def _add_objective(table: Table, objective: ObjectiveProgress, now: datetime) -> None:
    table.add_row(
        Text(objective.title, style="bold"),
        "",
        "",
        objective_bar(objective),
        Text(format_score(objective.score), style="bold"),
        status_text(objective.status),
        "",
        "",
    )
    for kr in objective.key_results:
        table.add_row(
            f"  {kr.title}",
            format_value(kr.value, kr.unit),
            format_range(kr.band, kr.unit, kr.baseline, kr.target),
            _progress_text(kr),
            format_score(kr.score),
            status_text(kr.status),
            _forecast_text(kr),
            format_ago(kr.collected_at, now),
        )


def status_table(
    objectives: Sequence[ObjectiveProgress], console: Console, *, now: datetime
) -> None:
    """Print the KRs by commitment (committed first), grouped by cycle and team.

    On a terminal of at least :data:`WIDE_TABLE` columns: one table per commitment, each group
    opening with a ``cycle · team`` row, objectives as bold rows with their rolled-up score,
    their KRs indented below. Narrower, or piped: the same stacked, one KR title per line with
    its numbers on the lines below, never cut and never wrapped mid-word.
    """
    wide = console.is_terminal and console.width >= WIDE_TABLE
    shown = 0
    for commitment in ("committed", "aspirational"):
        chosen = [o for o in objectives if o.commitment == commitment]
        if not chosen:
            continue
        if shown and not wide:
            console.print()
        shown += 1
        ordered = sorted(chosen, key=lambda o: (o.cycle, o.team))
        groups = [(key, list(members)) for key, members in groupby(ordered, key=_group)]
        if wide:
            _wide_table(COMMITMENT_TITLES[commitment], groups, console, now)
        else:
            _stacked(COMMITMENT_TITLES[commitment], groups, console, now)
    if not objectives:
        console.print("No objectives configured.")


def _group(objective: ObjectiveProgress) -> tuple[str, str]:
    return objective.cycle, objective.team


Groups = list[tuple[tuple[str, str], list[ObjectiveProgress]]]


def _wide_table(title: str, groups: Groups, console: Console, now: datetime) -> None:
    table = _new_table(title)
    for index, ((cycle, team), members) in enumerate(groups):
        if index:
            table.add_section()
        table.add_row(Text(f"{cycle} · {team}", style="bold cyan"), *[""] * 7)
        for objective in members:
            _add_objective(table, objective, now)
    console.print(table)


Field = tuple[str, str]
"""A piece of a stacked line: its text and its rich style (``""`` for none)."""


def _stacked(title: str, groups: Groups, console: Console, now: datetime) -> None:
    width = max(console.width, 40)
    lines: list[list[Field]] = []
    line = lines.append

    line([(title, "bold")])
    line([("progress: attainment, │ marks the expected pace; forecast: value (score)", "dim")])
    for (cycle, team), members in groups:
        line([])
        line([(f"{cycle} · {team}", "bold cyan")])
        for objective in members:
            score = (f"score {format_score(objective.score)}", "bold")
            status = (status_label(objective.status), STATUS_STYLES[objective.status])
            lines.extend(_pack_fields([(objective.title, "bold"), score, status], width, ""))
            for kr in objective.key_results:
                line([(f"  {kr.title}", "")])
                numbers, progress = _kr_fields(kr, now)
                lines.extend(_pack_fields(numbers, width, INDENT))
                lines.extend(_pack_fields(progress, width, INDENT))
    _print_lines(lines, console)


def _print_lines(lines: list[list[Field]], console: Console) -> None:
    """Print ``lines`` as they are (never wrapped). Without colours, and when no text needs
    rich's care (control codes, tabs), the text is written at once: rich's pipeline over tens
    of thousands of lines is most of the time of a status of thousands of KRs."""
    plain = "\n".join("".join(text for text, _ in pieces) for pieces in lines)
    if (
        console.color_system is None
        and not console.record
        and not console.is_jupyter
        and plain.replace("\n", "").isprintable()
    ):
        console.file.write(plain + "\n")
        console.file.flush()
        return
    rendered = Text("\n").join(
        Text.assemble(*[(text, style) if style else text for text, style in pieces])
        for pieces in lines
    )
    console.print(rendered, soft_wrap=True)


def _kr_fields(kr: KRProgress, now: datetime) -> tuple[list[Field], list[Field]]:
    """The numbers (value, range, score, status) and the progress (bar, forecast, freshness)."""
    value = format_value(kr.value, kr.unit)
    numbers = [
        (f"{value} ({format_range(kr.band, kr.unit, kr.baseline, kr.target)})", ""),
        (f"score {format_score(kr.score)}", ""),
        (status_label(kr.status), STATUS_STYLES[kr.status]),
        (f"updated {format_ago(kr.collected_at, now)}", "dim"),
    ]
    progress = [(_progress_text(kr), ""), (f"forecast {_forecast_text(kr)}", "")]
    return numbers, progress


def _pack_fields(
    fields: list[Field], width: int, indent: str, gap: str = "   "
) -> list[list[Field]]:
    """:func:`_pack` over plain fields: joined by ``gap`` on as few lines of ``width`` cells as
    they fit on; a field is never split (one longer than a line gets a line of its own)."""
    lines: list[list[Field]] = []
    current: list[Field] = [(indent, "")]
    used = len(indent)
    for field in fields:
        size = len(field[0]) if field[0].isascii() else cell_len(field[0])
        empty = used == len(indent)
        if not empty and used + len(gap) + size > width:
            lines.append(current)
            current = [(indent, "")]
            used = len(indent)
            empty = True
        if not empty:
            current.append((gap, ""))
            used += len(gap)
        current.append(field)
        used += size
    lines.append(current)
    return lines


def _pack(fields: list[Text], width: int, indent: str, gap: str = "   ") -> list[Text]:
    """Fields joined by ``gap`` on as few lines of ``width`` cells as they fit on; a field is
    never split (one longer than a line gets a line of its own)."""
    lines: list[Text] = []
    current = Text(indent)
    for field in fields:
        empty = current.cell_len == len(indent)
        if not empty and current.cell_len + len(gap) + field.cell_len > width:
            lines.append(current)
            current = Text(indent)
            empty = True
        if not empty:
            current.append(gap)
        current.append_text(field)
    lines.append(current)
    return lines


def _window_text(start: datetime, end: datetime, tz: ZoneInfo | None) -> str:
    def show(moment: datetime) -> str:
        local = moment.astimezone(tz) if tz is not None else moment
        return local.strftime("%Y-%m-%d %H:%M")

    if start == end:
        return f"snapshot {show(end)}"
    return f"{show(start)} → {show(end)}"


def history_table(
    kr: KeyResult,
    measurements: Sequence[Measurement],
    console: Console,
    *,
    tz: ZoneInfo | None = None,
    earlier: Mapping[int, Sequence[float]] | None = None,
    checkins: Sequence[CheckIn] = (),
) -> None:
    """Print a KR's measurements: window, value, attainment, collected_at, source, revision
    (with the values the window had before, from ``earlier`` by measurement id) and note;
    then the KR's check-ins (confidence and note) when it has any.

    Times are shown in ``tz`` when given, else as stored. ``maintain`` KRs show in/out of band
    instead of an attainment. A table on a terminal of at least :data:`HISTORY_TABLE` columns;
    narrower, each measurement's fields packed on as few lines as fit; piped, one line each.
    """
    rows = [_history_row(kr, row, tz, earlier or {}) for row in measurements]
    said = [_checkin_row(kr, checkin, tz) for checkin in checkins]
    if console.is_terminal and console.width >= HISTORY_TABLE:
        table = Table(title=f"{kr.title} ({kr.id})", title_justify="left")
        table.add_column("Window", no_wrap=True)
        table.add_column("Value", justify="right", no_wrap=True)
        table.add_column("Attainment", justify="right", no_wrap=True)
        table.add_column("Collected at", no_wrap=True)
        table.add_column("Source", no_wrap=True)
        table.add_column("Revision", justify="right")
        table.add_column("Note")
        for row in rows:
            table.add_row(*row)
        if not rows:
            table.caption = "no measurements yet"
        console.print(table)
        if said:
            people = Table(title="Check-ins", title_justify="left")
            people.add_column("At", no_wrap=True)
            people.add_column("Value", justify="right", no_wrap=True)
            people.add_column("Confidence", no_wrap=True)
            people.add_column("Note")
            for checkin in said:
                people.add_row(*checkin)
            console.print(people)
        return
    console.print(Text(f"{kr.title} ({kr.id})", style="bold"), soft_wrap=True)
    width = console.width if console.is_terminal else 10_000
    for window, value, reached, collected, source, revision, note in rows:
        texts = [window, value, reached, f"from {source}", f"rev {revision}", collected]
        fields = [Text(text) for text in texts] + ([Text(note, style="italic")] if note else [])
        for packed in _pack(fields, width, "  ", gap="  "):
            console.print(packed, soft_wrap=True)
    if not rows:
        console.print("  no measurements yet")
    if said:
        console.print(Text("Check-ins", style="bold"), soft_wrap=True)
        for at, value, confidence, note in said:
            fields = [Text(at), Text(value), confidence, Text(note, style="italic")]
            for packed in _pack([f for f in fields if f.plain], width, "  ", gap="  "):
                console.print(packed, soft_wrap=True)


def _history_row(
    kr: KeyResult, row: Measurement, tz: ZoneInfo | None, earlier: Mapping[int, Sequence[float]]
) -> tuple[str, str, str, str, str, str, str]:
    if kr.maintain is not None:
        reached = "in band" if kr.maintain.contains(row.value) else "out of band"
    else:
        assert kr.baseline is not None and kr.target is not None
        reached = f"{round(attainment(row.value, kr.baseline, kr.target) * 100)} %"
    collected = row.collected_at.astimezone(tz) if tz is not None else row.collected_at
    revision = str(row.revision)
    before = earlier.get(row.id or 0, ())
    if before:
        revision += " (was " + ", ".join(format_value(v, kr.unit) for v in before) + ")"
    return (
        _window_text(row.window_start, row.window_end, tz),
        format_value(row.value, kr.unit),
        reached,
        collected.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
        row.source,
        revision,
        row.note or "",
    )


def _checkin_row(
    kr: KeyResult, checkin: CheckIn, tz: ZoneInfo | None
) -> tuple[str, str, Text, str]:
    at = checkin.at.astimezone(tz) if tz is not None else checkin.at
    return (
        at.strftime("%Y-%m-%d %H:%M"),
        format_value(checkin.value, kr.unit) if checkin.value is not None else "",
        status_text(checkin.confidence) if checkin.confidence else Text(""),  # type: ignore[arg-type]
        checkin.note or "",
    )


@contextmanager
def day_progress(console: Console, label: str, days: int) -> Iterator[Callable[[date], None]]:
    """Progress over ``days`` days on ``console`` (stderr): a bar on a terminal, else one line
    per day, so a log or CI output shows it moving. Yields ``advance(day)``."""
    if console.is_terminal:
        # Imported here: only backfill draws a bar, and status should not pay for it.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn(f"{label} {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=days)
            yield lambda day: progress.update(task, advance=1, description=day.isoformat())
        return
    done = 0

    def advance(day: date) -> None:
        nonlocal done
        done += 1
        console.print(f"{label} {day.isoformat()} ({done}/{days})", highlight=False)

    yield advance
