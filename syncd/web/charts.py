"""A KR's history chart: server-side SVG by pygal, no JavaScript and no network.

The chart spans the whole cycle so the eye sees how much is left: the measured values (a dot
where there is a single one; people's check-ins as their own dots), the expected-pace line, the
target (or the band of a ``maintain`` KR), the forecast from the latest value to the value
projected at the cycle's end, and a vertical line at today. Ticks are even: the first of each
month (weeks for a short cycle) and round values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pygal
from markupsafe import Markup
from pygal.style import Style

from syncd.formatting import format_number, format_value
from syncd.web.data import KRView
from syncd.windows import local_midnight

Size = Literal["small", "large"]

_SIZES: dict[Size, tuple[int, int]] = {"small": (520, 190), "large": (960, 380)}

# One colour per series, in the order they are added; they match the page's palette.
_VALUE, _PACE, _TARGET, _FORECAST = "#2563eb", "#6b7280", "#16a34a", "#7c3aed"
_CHECKIN, _TODAY = "#ea580c", "#0f172a"

Y_TICKS = 4
"""About this many value ticks; the step is a round number (1, 2, 2.5 or 5 × 10ⁿ)."""

_STYLE = {
    "background": "transparent",
    "plot_background": "transparent",
    "foreground": "#374151",
    "foreground_strong": "#111827",
    "foreground_subtle": "#e5e7eb",
    "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "label_font_size": 11,
    "major_label_font_size": 11,
    "guide_stroke_color": "#e5e7eb",
    "guide_stroke_dasharray": "0",
    "major_guide_stroke_color": "#e5e7eb",
    "major_guide_stroke_dasharray": "0",
}


@dataclass(frozen=True)
class _Series:
    title: str
    points: list[tuple[datetime, float]]
    colour: str
    stroke: dict[str, object]
    dots: bool = False
    line: bool = True
    marks: bool = False  # always dots, at every size (people's check-ins)


def history_chart(
    view: KRView, tz: ZoneInfo, size: Size = "small", now: datetime | None = None
) -> Markup:
    """The KR's chart as inline SVG markup (safe to embed in a template); the today line is
    drawn at ``now`` when it falls within the cycle."""
    progress = view.progress
    width, height = _SIZES[size]
    ticks = y_ticks(_value_range(view))
    series = _series(view, now, (ticks[0], ticks[-1]) if ticks else None)
    chart = pygal.DateTimeLine(
        width=width,
        height=height,
        # pygal colours series by position; ours vary (band or target), so set them per chart.
        style=Style(colors=tuple(s.colour for s in series), **_STYLE),
        js=(),  # pygal links its tooltip script from a CDN by default: nothing at run time
        disable_xml_declaration=True,
        explicit_size=False,
        show_legend=False,  # the page explains the colours once, in HTML
        margin=4,
        spacing=6,
        x_label_rotation=0,
        show_minor_x_labels=True,  # our ticks are explicit: every one is labelled
        x_labels=x_ticks(view.cycle_start, view.cycle_end, tz),
        y_labels=ticks or None,
        show_minor_y_labels=True,
        show_y_guides=True,
        show_x_guides=False,
        truncate_label=-1,
        x_value_formatter=lambda moment: _local(moment, tz).strftime("%d %b"),
        value_formatter=lambda value: axis_value(value, progress.unit),
        range=(ticks[0], ticks[-1]) if ticks else None,
        dots_size=2.5,
    )
    chart.add_xml_filter(_without_scripts)
    for one in series:
        # A lone point is a dot (a line needs two); check-ins are always dots.
        single = len(one.points) == 1
        marked = single or one.marks
        chart.add(
            one.title,
            one.points,
            show_dots=one.dots and (size == "large" or marked),
            dots_size=4 if marked else 2.5,
            stroke=one.line and not single,
            stroke_style=one.stroke,
        )
    return Markup(chart.render(is_unicode=True))


def _series(
    view: KRView, now: datetime | None, span_y: tuple[float, float] | None
) -> list[_Series]:
    """Value and check-ins, then pace, target or band lines, the forecast and today."""
    progress = view.progress
    span = (_utc(view.cycle_start), _utc(view.cycle_end))
    fetched = [(_utc(p.window_end), p.value) for p in view.history if p.source != "manual"]
    checked = [(_utc(p.window_end), p.value) for p in view.history if p.source == "manual"]
    series = []
    if fetched or not checked:
        series.append(_Series("value", fetched, _VALUE, {"width": 2.5}, dots=True))
    if checked:
        # Check-ins are dots; a dotted line joins them when nothing fetched is drawn.
        stroke: dict[str, object] = {"width": 1.5, "dasharray": "1, 3"}
        series.append(
            _Series("check-in", checked, _CHECKIN, stroke, dots=True, line=not fetched, marks=True)
        )
    if view.pace:
        series.append(
            _Series(
                "expected pace",
                [(_utc(point.at), point.value) for point in view.pace],
                _PACE,
                {"width": 1.5, "dasharray": "4, 4"},
            )
        )
    if progress.target is not None:
        series.append(
            _Series("target", [(m, progress.target) for m in span], _TARGET, {"width": 1.5})
        )
    elif progress.band is not None:
        for bound in (progress.band.at_least, progress.band.at_most):
            if bound is not None:
                series.append(_Series("band", [(m, bound) for m in span], _TARGET, {"width": 1.5}))
    if progress.forecast is not None and view.history:
        last = view.history[-1]
        series.append(
            _Series(
                "forecast",
                [(_utc(last.window_end), last.value), (span[1], progress.forecast)],
                _FORECAST,
                {"width": 1.5, "dasharray": "2, 3"},
            )
        )
    if now is not None and span_y is not None and span[0] <= _utc(now) <= span[1]:
        today = _utc(now)
        series.append(
            _Series("today", [(today, span_y[0]), (today, span_y[1])], _TODAY, {"width": 1})
        )
    return series


def x_ticks(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The first of each month within ``[start, end]`` (local midnight, as UTC); for a cycle
    shorter than 45 days, each Monday instead."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    ticks = []
    if (end - start).days < 45:
        day = local_start.date() + timedelta(days=(7 - local_start.weekday()) % 7)
        while day <= local_end.date():
            ticks.append(local_midnight(day, tz).astimezone(UTC))
            day += timedelta(days=7)
        return ticks
    year, month = local_start.year, local_start.month
    while True:
        moment = local_midnight(date(year, month, 1), tz).astimezone(UTC)
        if moment > end:
            return ticks
        if moment >= start:
            ticks.append(moment)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def y_ticks(bounds: tuple[float, float] | None) -> list[float]:
    """Evenly spaced round ticks covering ``bounds`` (about ``Y_TICKS`` of them)."""
    if bounds is None:
        return []
    low, high = bounds
    raw = (high - low) / Y_TICKS or abs(high) or 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    count = math.ceil((high - first) / step - 1e-9)
    return [round(first + i * step, 10) for i in range(max(count, 1) + 1)]


def axis_value(value: float, unit: str | None) -> str:
    """A y-axis label: percentages keep their sign, other units are left to the page."""
    if unit in ("percent", "%", "pp"):
        return format_value(value, unit)
    return format_number(value)


def _value_range(view: KRView) -> tuple[float, float] | None:
    """Every series fits, with a little air above and below."""
    progress = view.progress
    values = [point.value for point in view.history]
    values += [v for v in (progress.baseline, progress.target, progress.forecast) if v is not None]
    if progress.band is not None:
        values += [b for b in (progress.band.at_least, progress.band.at_most) if b is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    air = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    return low - air, high + air


def _without_scripts(root: Any) -> Any:
    """Drop pygal's inline tooltip config: it only feeds pygal's JavaScript, which we omit."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "script":
                parent.remove(child)
    return root


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    # pygal hands the formatter naive UTC datetimes (it stores timestamps).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


SPARK_WIDTH, SPARK_HEIGHT = 520, 64
"""The sparkline's drawing box (scaled to the card's width like the full chart)."""


def sparkline(view: KRView, now: datetime | None = None) -> Markup:
    """The KR's history as a compact inline SVG: the measured values, the expected pace, the
    target (or the band's bounds) and today, as a few paths over the cycle without axes or
    labels (the KR's page has the full chart). For a dashboard of many KRs, where a full
    chart each would weigh megabytes and take seconds to draw."""
    start, end = _utc(view.cycle_start), _utc(view.cycle_end)
    values = [(_utc(point.window_end), point.value) for point in view.history]
    pace = [(_utc(point.at), point.value) for point in view.pace]
    progress = view.progress
    levels = [progress.target] if progress.target is not None else []
    if view.progress.band is not None:
        band = view.progress.band
        levels += [bound for bound in (band.at_least, band.at_most) if bound is not None]
    seen = [value for _, value in values + pace] + [level for level in levels if level is not None]
    low, high = (min(seen), max(seen)) if seen else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    span = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return round((moment - start).total_seconds() / span * SPARK_WIDTH, 1)

    def y(value: float) -> float:
        return round(SPARK_HEIGHT - 2 - (value - low) / (high - low) * (SPARK_HEIGHT - 4), 1)

    def path(points: list[tuple[datetime, float]], colour: str, extra: str = "") -> str:
        drawn = _without_collinear([(x(at), y(value)) for at, value in points])
        if not drawn:
            return ""
        if len(drawn) == 1:
            (cx, cy) = drawn[0]
            return f'<circle cx="{cx:g}" cy="{cy:g}" r="3" fill="{colour}"/>'
        d = "M" + " L".join(f"{px:g} {py:g}" for px, py in drawn)
        return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"{extra}/>'

    parts = [path(pace, _PACE, ' stroke-dasharray="4 4"')]
    parts += [path([(start, level), (end, level)], _TARGET, ' stroke-dasharray="2 3"')
              for level in levels if level is not None]  # fmt: skip
    parts.append(path(values, _VALUE))
    if now is not None and start <= _utc(now) <= end:
        at = x(_utc(now))
        parts.append(f'<path d="M{at:g} 0 V{SPARK_HEIGHT}" stroke="{_TODAY}" stroke-width="1"/>')
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


_STRAIGHT = 0.15
"""How far (in drawing units) a point may be off the line and still count as on it: the
coordinates are rounded to tenths."""


def _without_collinear(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points without those on the straight line between their neighbours (a linear pace
    is two points, not ninety)."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and kept[-1] == point:
            continue
        if len(kept) >= 2:
            (ax, ay), (bx, by) = kept[-2], kept[-1]
            cross = (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)
            if abs(cross) <= _STRAIGHT * math.hypot(point[0] - ax, point[1] - ay):
                kept[-1] = point
                continue
        kept.append(point)
    return kept
