"""The review as JSON, Markdown and a self-contained HTML page (Jinja2 templates).

JSON shape (``schema: "syncd.review/1"``); times are ISO 8601, numbers are raw (not rounded)::

    {
      "schema": "syncd.review/1",
      "cycle": {"id", "start", "end", "timezone", "as_of", "final", "elapsed"},
      "committed" | "aspirational": {
        "score",                      # mean of the objectives' scores, or null
        "kr_count", "scored", "at_ceiling",
        "objectives": [{"id", "title", "team", "level", "score", "status",
                        "key_results": [{"id", "title", "unit", "direction", "baseline",
                                         "target", "band": {"at_least", "at_most"} | null,
                                         "weight", "value", "as_of", "attainment", "score",
                                         "status", "forecast", "forecast_score"}]}]
      },
      "targets_too_safe": {"flag", "threshold", "share_at_ceiling"},
      "initiatives": [{"id", "title", "team", "start", "hypothesis",
                       "moves": [{"key_result", "title", "unit", "expected_by",
                                  "start_at", "start_value", "latest_at", "latest_value",
                                  "change", "share_of_expected", "share_of_range",
                                  "slope_before_per_day", "slope_after_per_day",
                                  "points_before", "points_after"}],
                       "epic": {"key", "status", "done", "resolved", "error"} | null}]
    }
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from syncd import jsonout
from syncd.formatting import (
    COMMITMENT_TITLES,
    format_number,
    format_range,
    format_score,
    format_value,
    is_currency,
)
from syncd.progress import KRProgress
from syncd.reports.model import CommitmentSection, EpicState, Movement, Review
from syncd.status import status_label

SCHEMA = "syncd.review/1"

_POINT_UNITS = ("percent", "%", "pp")


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _kr_json(kr: KRProgress) -> dict[str, Any]:
    return {
        "id": kr.id,
        "title": kr.title,
        "unit": kr.unit,
        "direction": kr.direction,
        "baseline": kr.baseline,
        "target": kr.target,
        "band": kr.band.model_dump() if kr.band is not None else None,
        "weight": kr.weight,
        "value": kr.value,
        "as_of": _iso(kr.as_of),
        "attainment": kr.attainment,
        "score": kr.score,
        "status": kr.status,
        "forecast": kr.forecast,
        "forecast_score": kr.forecast_score,
    }


def _section_json(section: CommitmentSection) -> dict[str, Any]:
    return {
        "score": section.score,
        "kr_count": len(section.key_results),
        "scored": section.scored,
        "at_ceiling": section.at_ceiling,
        "objectives": [
            {
                "id": objective.id,
                "title": objective.title,
                "team": objective.team,
                "level": objective.level,
                "score": objective.score,
                "status": objective.status,
                "key_results": [_kr_json(kr) for kr in objective.key_results],
            }
            for objective in section.objectives
        ],
    }


def _epic_json(epic: EpicState | None) -> dict[str, Any] | None:
    if epic is None:
        return None
    return asdict(epic) | {"resolved": _iso(epic.resolved)}


def _move_json(move: Movement) -> dict[str, Any]:
    fields = asdict(move)
    fields["start_at"] = _iso(move.start_at)
    fields["latest_at"] = _iso(move.latest_at)
    fields["slope_before_per_day"] = fields.pop("slope_before")
    fields["slope_after_per_day"] = fields.pop("slope_after")
    return fields


def review_json(review: Review) -> dict[str, Any]:
    """The review as a JSON-ready document (shape in this module's docstring)."""
    return {
        "schema": SCHEMA,
        "cycle": {
            "id": review.cycle,
            "start": _iso(review.start),
            "end": _iso(review.end),
            "timezone": review.timezone,
            "as_of": _iso(review.as_of),
            "final": review.final,
            "elapsed": review.elapsed,
        },
        "committed": _section_json(review.committed),
        "aspirational": _section_json(review.aspirational),
        "targets_too_safe": {
            "flag": review.targets_too_safe,
            "threshold": review.too_safe_share,
            "share_at_ceiling": review.aspirational.share_at_ceiling,
        },
        "initiatives": [
            {
                "id": initiative.id,
                "title": initiative.title,
                "team": initiative.team,
                "start": _iso(initiative.start),
                "hypothesis": initiative.hypothesis,
                "moves": [_move_json(move) for move in initiative.moves],
                "epic": _epic_json(initiative.epic),
            }
            for initiative in review.initiatives
        ],
    }


def review_json_text(review: Review) -> str:
    """:func:`review_json` serialised, indented, with a trailing newline."""
    return jsonout.dumps(review_json(review), indent=2, ensure_ascii=False) + "\n"


# -- filters shared by the Markdown and HTML templates ----------------------------------------


def _share(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100) + 0} %"


def _signed(value: float | None, unit: str | None, *, fine: bool = False) -> str:
    """A change in the KR's unit, signed; fractions and percents change by percent points.

    ``fine`` keeps two significant digits below 1, so a slow daily slope does not read as 0.
    """
    if value is None:
        return "-"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    magnitude = abs(value) * 100 if unit == "percent" else abs(value)
    number = f"{magnitude:.2g}" if fine and 0 < magnitude < 1 else format_number(magnitude)
    if unit in _POINT_UNITS:
        return f"{sign}{number} pp"
    if is_currency(unit):
        return f"{sign}{unit} {number}"
    return f"{sign}{number} {unit}" if unit else f"{sign}{number}"


def _per_day(value: float | None, unit: str | None) -> str:
    return "-" if value is None else f"{_signed(value, unit, fine=True)}/day"


def _range(kr: KRProgress) -> str:
    return format_range(kr.band, kr.unit, kr.baseline, kr.target)


def _status(status: str) -> str:
    return status_label(status)


def _md(text: object) -> str:
    """Safe inside a Markdown table cell: no pipes, no line breaks."""
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _bar_width(value: float | None) -> str:
    return f"{min(max(value or 0.0, 0.0), 1.0) * 100:.1f}%"


def _environment(*, html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("syncd.reports", "templates"),
        autoescape=select_autoescape(["html.j2"]) if html else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        value=format_value,
        score=format_score,
        share=_share,
        signed=_signed,
        per_day=_per_day,
        range=_range,
        status=_status,
        md=_md,
        bar_width=_bar_width,
    )
    return env


def _context(review: Review) -> dict[str, Any]:
    local = review.as_of.astimezone(ZoneInfo(review.timezone))
    aspirational_krs = len(review.aspirational.key_results)
    return {
        "review": review,
        "as_of": local.strftime("%Y-%m-%d %H:%M %Z"),
        "sections": [
            (COMMITMENT_TITLES[section.commitment], section)
            for section in (review.committed, review.aspirational)
        ],
        "aspirational_krs": aspirational_krs,
    }


def review_markdown(review: Review) -> str:
    """The review as Markdown (GitHub tables)."""
    return _environment(html=False).get_template("review.md.j2").render(_context(review))


def review_html(review: Review) -> str:
    """The review as one self-contained HTML page (inline CSS, no scripts, no external files)."""
    return _environment(html=True).get_template("review.html.j2").render(_context(review))
