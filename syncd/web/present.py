"""The words and numbers the HTML shows for a KR, an objective and a source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from syncd.progress import KRProgress, ObjectiveProgress
from syncd.render import ago, format_band, format_number, format_value
from syncd.web.data import KRView, SourceHealth

STATUS_LABELS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "achieved": "achieved",
    "stale": "stale",
    "not_started": "not started",
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Bar:
    """A progress bar: ``fill`` and ``marker`` (the expected pace) in percent of its width."""

    fill: float
    marker: float
    label: str


@dataclass(frozen=True)
class KRCard:
    """A KR as the dashboard prints it."""

    id: str
    title: str
    value: str
    range: str
    bar: Bar
    score: str
    status: str
    status_label: str
    forecast: str
    freshness: str
    points: int


def percent(share: float) -> float:
    """A share as a CSS percentage, clamped to the bar and rounded to two decimals."""
    return round(min(max(share, 0.0), 1.0) * 100, 2)


def bar(progress: KRProgress) -> Bar:
    """Attainment (or, for ``maintain`` KRs, the share of measurements in band) against pace."""
    if progress.band is not None:
        share = progress.score
        label = (
            "-" if progress.in_band is None else ("in band" if progress.in_band else "out of band")
        )
    else:
        share = progress.attainment
        label = "-" if share is None else f"{round(share * 100)} %"
    return Bar(fill=percent(share or 0.0), marker=percent(progress.expected), label=label)


def range_text(progress: KRProgress) -> str:
    """``40 % → 70 %``, ``CHF 86,000 → 107,500``, or the band (``≤ 150 tickets``)."""
    if progress.band is not None:
        return format_band(progress.band, progress.unit)
    unit, baseline, target = progress.unit, progress.baseline, progress.target
    if unit is not None and _CURRENCY.match(unit) and baseline is not None and target is not None:
        return f"{unit} {format_number(baseline)} → {format_number(target)}"
    return f"{format_value(baseline, unit)} → {format_value(target, unit)}"


def forecast_text(progress: KRProgress) -> str:
    """``CHF 104,172.6 (score 0.84)`` or ``-`` without a forecast."""
    if progress.forecast is None:
        return "-"
    text = format_value(progress.forecast, progress.unit)
    if progress.forecast_score is None:
        return text
    return f"{text} (score {progress.forecast_score:.2f})"


def freshness(view: KRView, now: datetime) -> str:
    """``updated 12 min ago from web (ga4)``, or ``no data yet``."""
    collected = view.progress.collected_at
    if collected is None:
        return "no data yet"
    names = (view.source or "").split("+")
    origin = " + ".join(
        f"{name} ({kind})" if kind != name else name
        for name, kind in zip(names, view.source_types, strict=False)
    )
    return (
        f"updated {ago(collected, now)} from {origin}"
        if origin
        else f"updated {ago(collected, now)}"
    )


def score_text(value: float | None) -> str:
    """Two decimals, or ``-``."""
    return "-" if value is None else f"{value:.2f}"


def kr_card(view: KRView, now: datetime) -> KRCard:
    """Everything the HTML prints for one KR."""
    progress = view.progress
    return KRCard(
        id=progress.id,
        title=progress.title,
        value=format_value(progress.value, progress.unit),
        range=range_text(progress),
        bar=bar(progress),
        score=score_text(progress.score),
        status=progress.status,
        status_label=STATUS_LABELS[progress.status],
        forecast=forecast_text(progress),
        freshness=freshness(view, now),
        points=len(view.history),
    )


def objective_label(objective: ObjectiveProgress) -> str:
    """``committed · team level``."""
    return f"{objective.commitment} · {objective.level} level"


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """``2026-11-21 10:30`` in the config's zone, or ``never``."""
    return "never" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def source_summary(source: SourceHealth, now: datetime) -> str:
    """``ok 5 min ago``, ``failing since …`` or ``no runs yet``."""
    if source.last_run_at is None:
        return "no runs yet"
    if source.failing:
        return f"{source.last_outcome} {ago(source.last_run_at, now)}"
    return f"ok {ago(source.last_success_at, now)}"
