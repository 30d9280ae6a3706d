"""What ``syncd status`` and ``syncd history`` print: JSON for machines, rich tables for people.

Numbers and units are formatted by :mod:`syncd.formatting`, in the configured locale
(``format_number``, ``format_value`` and ``format_band`` are re-exported from there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncd.config.models import KeyResult
from syncd.documents import key_result_document, objective_document
from syncd.formatting import format_band, format_number, format_value
from syncd.progress import KRProgress, ObjectiveProgress, Status, attainment, success_score

BAR_CELLS = 20

STATUS_STYLES: dict[str, str] = {
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "achieved": "bold green",
    "stale": "magenta",
    "not_started": "dim",
}

COMMITMENT_TITLES = {
    "committed": "Committed objectives (100 % expected)",
    "aspirational": "Aspirational objectives (60-70 % counts as success)",
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class MeasurementLike(Protocol):
    """What :func:`history_table` reads of a stored measurement."""

    window_start: datetime
    window_end: datetime
    value: float
    collected_at: datetime
    source: str
    revision: int
    id: int | None
    note: str | None


class CheckInLike(Protocol):
    """What :func:`history_table` reads of a stored check-in."""

    at: datetime
    value: float | None
    confidence: str | None
    note: str | None


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


def ago(moment: datetime | None, now: datetime) -> str:
    """``just now``, ``12 min ago``, ``5 h ago``, ``3 days ago``; ``never`` for none."""
    if moment is None:
        return "never"
    seconds = (now.astimezone(UTC) - moment.astimezone(UTC)).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def status_text(status: Status) -> Text:
    """The status word, coloured."""
    return Text(status.replace("_", " "), style=STATUS_STYLES[status])


def _score_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _range_text(kr: KRProgress) -> str:
    if kr.band is not None:
        return format_band(kr.band, kr.unit)
    if kr.unit is not None and _CURRENCY.match(kr.unit) and None not in (kr.baseline, kr.target):
        assert kr.baseline is not None and kr.target is not None
        return f"{kr.unit} {format_number(kr.baseline)} → {format_number(kr.target)}"
    return f"{format_value(kr.baseline, kr.unit)} → {format_value(kr.target, kr.unit)}"


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
        Text(_score_text(objective.score), style="bold"),
        status_text(objective.status),
        "",
        "",
    )
    for kr in objective.key_results:
        table.add_row(
            f"  {kr.title}",
            format_value(kr.value, kr.unit),
            _range_text(kr),
            _progress_text(kr),
            _score_text(kr.score),
            status_text(kr.status),
            _forecast_text(kr),
            ago(kr.collected_at, now),
        )


def status_table(
    objectives: Sequence[ObjectiveProgress], console: Console, *, now: datetime
) -> None:
    """Print one table per commitment (committed first), grouped by cycle and team.

    Each group opens with a ``cycle · team`` row; objectives follow as bold rows with their
    rolled-up score, their KRs indented below.
    """
    for commitment in ("committed", "aspirational"):
        chosen = [o for o in objectives if o.commitment == commitment]
        if not chosen:
            continue
        table = _new_table(COMMITMENT_TITLES[commitment])
        ordered = sorted(chosen, key=lambda o: (o.cycle, o.team))
        groups = groupby(ordered, key=lambda o: (o.cycle, o.team))
        for index, ((cycle, team), members) in enumerate(groups):
            if index:
                table.add_section()
            table.add_row(Text(f"{cycle} · {team}", style="bold cyan"), *[""] * 7)
            for objective in members:
                _add_objective(table, objective, now)
        console.print(table)
    if not objectives:
        console.print("No objectives configured.")


def _window_text(start: datetime, end: datetime, tz: ZoneInfo | None) -> str:
    def show(moment: datetime) -> str:
        local = moment.astimezone(tz) if tz is not None else moment
        return local.strftime("%Y-%m-%d %H:%M")

    if start == end:
        return f"snapshot {show(end)}"
    return f"{show(start)} → {show(end)}"


def history_table(
    kr: KeyResult,
    measurements: Sequence[MeasurementLike],
    console: Console,
    *,
    tz: ZoneInfo | None = None,
    earlier: Mapping[int, Sequence[float]] | None = None,
    checkins: Sequence[CheckInLike] = (),
) -> None:
    """Print a KR's measurements: window, value, attainment, collected_at, source, revision
    (with the values the window had before, from ``earlier`` by measurement id) and note;
    then the KR's check-ins (confidence and note) when it has any.

    Times are shown in ``tz`` when given, else as stored. ``maintain`` KRs show in/out of band
    instead of an attainment.
    """
    earlier = earlier or {}
    table = Table(title=f"{kr.title} ({kr.id})", title_justify="left")
    table.add_column("Window", overflow="fold")
    table.add_column("Value", justify="right")
    table.add_column("Attainment", justify="right")
    table.add_column("Collected at", overflow="fold")
    table.add_column("Source")
    table.add_column("Revision")
    table.add_column("Note")
    for row in measurements:
        if kr.maintain is not None:
            reached = "in band" if kr.maintain.contains(row.value) else "out of band"
        else:
            assert kr.baseline is not None and kr.target is not None
            reached = f"{round(attainment(row.value, kr.baseline, kr.target) * 100)} %"
        collected = row.collected_at.astimezone(tz) if tz is not None else row.collected_at
        before = earlier.get(row.id or 0, ())
        revision = str(row.revision)
        if before:
            revision += " (was " + ", ".join(format_value(v, kr.unit) for v in before) + ")"
        table.add_row(
            _window_text(row.window_start, row.window_end, tz),
            format_value(row.value, kr.unit),
            reached,
            collected.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
            row.source,
            revision,
            row.note or "",
        )
    if not measurements:
        table.caption = "no measurements yet"
    console.print(table)
    if checkins:
        said = Table(title="Check-ins", title_justify="left")
        said.add_column("At", no_wrap=True)
        said.add_column("Value", justify="right", no_wrap=True)
        said.add_column("Confidence", no_wrap=True)
        said.add_column("Note")
        for checkin in checkins:
            at = checkin.at.astimezone(tz) if tz is not None else checkin.at
            said.add_row(
                at.strftime("%Y-%m-%d %H:%M"),
                format_value(checkin.value, kr.unit) if checkin.value is not None else "",
                status_text(checkin.confidence) if checkin.confidence else "",  # type: ignore[arg-type]
                checkin.note or "",
            )
        console.print(said)
