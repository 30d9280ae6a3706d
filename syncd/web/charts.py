"""A KR's history chart: server-side SVG by pygal, no JavaScript and no network.

The chart spans the whole cycle so the eye sees how much is left: the measured values, the
expected-pace line, the target (or the band of a ``maintain`` KR) and the forecast from the
latest value to the value projected at the cycle's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pygal
from markupsafe import Markup
from pygal.style import Style

from syncd.render import format_number, format_value
from syncd.web.data import KRView

Size = Literal["small", "large"]

_SIZES: dict[Size, tuple[int, int]] = {"small": (520, 190), "large": (960, 380)}

# One colour per series, in the order they are added; they match the page's palette.
_VALUE, _PACE, _TARGET, _FORECAST = "#2563eb", "#6b7280", "#16a34a", "#7c3aed"

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


def history_chart(view: KRView, tz: ZoneInfo, size: Size = "small") -> Markup:
    """The KR's chart as inline SVG markup (safe to embed in a template)."""
    progress = view.progress
    width, height = _SIZES[size]
    series = _series(view)
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
        show_minor_x_labels=False,
        x_labels_major_count=4 if size == "small" else 7,
        y_labels_major_count=4,
        show_minor_y_labels=False,
        show_y_guides=True,
        show_x_guides=False,
        truncate_label=-1,
        x_value_formatter=lambda moment: _local(moment, tz).strftime("%d %b"),
        value_formatter=lambda value: axis_value(value, progress.unit),
        range=_value_range(view),
        dots_size=2.5,
    )
    chart.add_xml_filter(_without_scripts)
    for one in series:
        chart.add(
            one.title,
            one.points,
            show_dots=one.dots and size == "large",
            stroke_style=one.stroke,
        )
    return Markup(chart.render(is_unicode=True))


def _series(view: KRView) -> list[_Series]:
    """Value, then pace, target or band lines, then the forecast: what is present."""
    progress = view.progress
    span = (_utc(view.cycle_start), _utc(view.cycle_end))
    series = [
        _Series(
            "value",
            [(_utc(point.window_end), point.value) for point in view.history],
            _VALUE,
            {"width": 2.5},
            dots=True,
        )
    ]
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
    return series


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
