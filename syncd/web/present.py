"""The words and numbers the HTML shows for a KR, an objective and a source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from syncd.formatting import (
    format_ago,
    format_range,
    format_score,
    format_value,
)
from syncd.progress import KRProgress, ObjectiveProgress, success_score
from syncd.status import STATUS_LABELS
from syncd.web.data import KRView, SourceHealth


@dataclass(frozen=True)
class Bar:
    """A progress bar: ``fill`` and ``marker`` (the expected pace; ``None`` where a pace means
    nothing, as for ``maintain`` KRs) in percent of its width."""

    fill: float
    marker: float | None
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
    owner: str | None = None
    confidence: str | None = None
    confidence_label: str | None = None
    note: str | None = None
    checked_in: str | None = None
    week: str | None = None


def percent(share: float) -> float:
    """A share as a CSS percentage, clamped to the bar and rounded to two decimals."""
    return round(min(max(share, 0.0), 1.0) * 100, 2)


def bar(progress: KRProgress) -> Bar:
    """Attainment against pace; for ``maintain`` KRs the share of measurements in band (no
    pace: staying in band has none)."""
    if progress.band is not None:
        share = progress.score
        label = (
            "-" if progress.in_band is None else ("in band" if progress.in_band else "out of band")
        )
        return Bar(fill=percent(share or 0.0), marker=None, label=label)
    share = progress.attainment
    label = "-" if share is None else f"{round(share * 100)} %"
    return Bar(fill=percent(share or 0.0), marker=percent(progress.expected), label=label)


def range_text(progress: KRProgress) -> str:
    """``40 % → 70 %``, ``CHF 86,000 → 107,500``, or the band (``≤ 150 tickets``)."""
    return format_range(progress.band, progress.unit, progress.baseline, progress.target)


def forecast_text(progress: KRProgress) -> str:
    """``CHF 104,172.6 (score 0.84)`` or ``-`` without a forecast."""
    if progress.forecast is None:
        return "-"
    text = format_value(progress.forecast, progress.unit)
    if progress.forecast_score is None:
        return text
    return f"{text} (score {progress.forecast_score:.2f})"


def freshness(view: KRView, now: datetime) -> str:
    """``updated 12 min ago from web (ga4)``, ``checked in by hand 2 days ago``, or ``no data
    yet``."""
    collected = view.progress.collected_at
    if collected is None:
        return "no data yet"
    if view.source == "manual" or view.source_types == ("manual",):
        return f"checked in by hand {format_ago(collected, now)}"
    names = (view.source or "").split("+")
    origin = " + ".join(
        f"{name} ({kind})" if kind != name else name
        for name, kind in zip(names, view.source_types, strict=False)
    )
    return (
        f"updated {format_ago(collected, now)} from {origin}"
        if origin
        else f"updated {format_ago(collected, now)}"
    )


def week_change(view: KRView) -> str | None:
    """``this week: 52 % → 55 %``; ``new this week`` for a first value; ``None`` without one."""
    now_value = view.progress.value
    if now_value is None:
        return None
    before = view.week_ago.value if view.week_ago is not None else None
    if before is None:
        return "new this week"
    unit = view.progress.unit
    if format_value(before, unit) == format_value(now_value, unit):
        return f"this week: unchanged at {format_value(now_value, unit)}"
    return f"this week: {format_value(before, unit)} → {format_value(now_value, unit)}"


def kr_card(view: KRView, now: datetime) -> KRCard:
    """Everything the HTML prints for one KR."""
    progress = view.progress
    confidence = progress.confidence
    return KRCard(
        id=progress.id,
        title=progress.title,
        value=format_value(progress.value, progress.unit),
        range=range_text(progress),
        bar=bar(progress),
        score=format_score(progress.score),
        status=progress.status,
        status_label=STATUS_LABELS[progress.status],
        forecast=forecast_text(progress),
        freshness=freshness(view, now),
        points=len(view.history),
        owner=progress.owner,
        confidence=confidence,
        confidence_label=STATUS_LABELS.get(confidence or ""),
        note=progress.note,
        checked_in=format_ago(progress.checked_in_at, now) if progress.checked_in_at else None,
        week=week_change(view),
    )


def objective_bar(objective: ObjectiveProgress) -> Bar:
    """The objective's score against the pace its commitment expects (aspirational: 0.6 of
    the plain pace, the bottom of its success band)."""
    score = objective.score
    pace = (objective.expected or 0.0) * success_score(objective.commitment)
    label = "-" if score is None else f"{round(score * 100)} %"
    return Bar(fill=percent(score or 0.0), marker=percent(pace), label=label)


def objective_label(objective: ObjectiveProgress) -> str:
    """``committed · team level · owner Lea Meier``; aspirational ones say what success is."""
    words = [objective.commitment]
    if objective.commitment == "aspirational":
        words = ["aspirational (60-70 % is success)"]
    words.append(f"{objective.level} level")
    if objective.owner:
        words.append(f"owner {objective.owner}")
    return " · ".join(words)


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """``2026-11-21 10:30`` in the config's zone, or ``never``."""
    return "never" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def source_summary(source: SourceHealth, now: datetime) -> str:
    """``ok 5 min ago``, ``failing since …``, ``no runs yet``; ``values by check-in`` for a
    check-in source."""
    if source.checkin:
        return "values by check-in"
    if source.last_run_at is None:
        return "no runs yet"
    if source.failing:
        return f"{source.last_outcome} {format_ago(source.last_run_at, now)}"
    return f"ok {format_ago(source.last_success_at, now)}"
