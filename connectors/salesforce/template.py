"""SOQL templates: ``{window_start}``-style placeholders validated up front, rendered as literals.

SOQL has no bind parameters over REST, so values go into the text; this module makes that safe.
A template is split once into text and placeholders; a placeholder may only stand where a value
stands (outside string literals), names a known value, and renders as a SOQL literal of its
type: a date (``2026-10-01``), a datetime in UTC (``2026-09-30T22:00:00Z``), a quoted and escaped
string, a number or a boolean. User text is never spliced in raw.

Window placeholders: ``{window_start}``/``{window_end}`` render the whole days the planner
decided (``request.days``: the first day and the day after the last, for date fields such as
``CloseDate``); ``{window_start:datetime}``/``{window_end:datetime}`` render the exact instants
(for ``CreatedDate``, ``ClosedDate``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from syncd.abc import DaySpan, Window

WINDOW_NAMES = ("window_start", "window_end")
ParamValue = str | int | float | bool | date
Format = Literal["date", "datetime", "value"]

_PLACEHOLDER = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<spec>[a-z]+))?\}")
_STRING_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


@dataclass(frozen=True)
class Placeholder:
    name: str
    format: Format


@dataclass(frozen=True)
class SoqlTemplate:
    """A parsed template: literal SOQL text and placeholders, in order."""

    parts: tuple[str | Placeholder, ...]

    @property
    def names(self) -> list[str]:
        """The placeholder names used, in order of first use."""
        seen: list[str] = []
        for part in self.parts:
            if isinstance(part, Placeholder) and part.name not in seen:
                seen.append(part.name)
        return seen

    @property
    def window_formats(self) -> set[Format]:
        """How the window is read: ``date`` (whole days), ``datetime`` (instants), both, none."""
        return {p.format for p in self.parts if isinstance(p, Placeholder) and p.format != "value"}

    def render(
        self,
        window: Window,
        days: DaySpan | None,
        tz: ZoneInfo,
        params: dict[str, ParamValue],
    ) -> str:
        """The SOQL for ``window``, its ``days`` (date placeholders) and ``params``.

        Without ``days`` (a snapshot has none) a date placeholder is the bound's date in ``tz``.
        """
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part.name in WINDOW_NAMES:
                start = part.name == "window_start"
                bound = window.start if start else window.end
                if part.format == "datetime":
                    out.append(datetime_literal(bound))
                elif days is not None:
                    out.append((days.first if start else days.end).isoformat())
                else:
                    out.append(bound.astimezone(tz).date().isoformat())
            else:
                out.append(literal(params[part.name]))
        return "".join(out)


def parse_template(soql: str, params: dict[str, ParamValue]) -> SoqlTemplate:
    """Split ``soql`` into text and placeholders; raise ``ValueError`` naming what is wrong."""
    parts: list[str | Placeholder] = []
    text: list[str] = []
    index = 0
    in_string = False
    while index < len(soql):
        char = soql[index]
        if in_string:
            text.append(char)
            if char == "\\" and index + 1 < len(soql):
                text.append(soql[index + 1])
                index += 2
                continue
            if char == "'":
                in_string = False
            elif _PLACEHOLDER.match(soql, index):
                raise ValueError(
                    f"placeholder {_PLACEHOLDER.match(soql, index).group()} "  # type: ignore[union-attr]
                    "is inside a quoted string; write it without quotes, syncd renders the "
                    "literal (strings quoted and escaped)"
                )
            index += 1
            continue
        if char == "'":
            in_string = True
            text.append(char)
            index += 1
            continue
        if char in "{}":
            match = _PLACEHOLDER.match(soql, index) if char == "{" else None
            if match is None:
                raise ValueError(
                    f"unexpected {char!r} at position {index + 1}; placeholders look like "
                    "{window_start}, {window_end:datetime} or {name} for a key of 'params'"
                )
            parts.append("".join(text))
            text = []
            parts.append(_placeholder(match.group("name"), match.group("spec"), params))
            index = match.end()
            continue
        text.append(char)
        index += 1
    if in_string:
        raise ValueError("a quoted string is not closed")
    parts.append("".join(text))
    return SoqlTemplate(tuple(part for part in parts if part != ""))


def _placeholder(name: str, spec: str | None, params: dict[str, ParamValue]) -> Placeholder:
    if name in WINDOW_NAMES:
        if spec not in (None, "date", "datetime"):
            raise ValueError(f"{{{name}:{spec}}}: the format is 'date' (the default) or 'datetime'")
        return Placeholder(name, "datetime" if spec == "datetime" else "date")
    if name not in params:
        available = ", ".join([*WINDOW_NAMES, *params])
        raise ValueError(
            f"unknown placeholder {{{name}}}; available: {available} (add it under 'params')"
        )
    if spec is not None:
        raise ValueError(f"{{{name}:{spec}}}: only window placeholders take a format")
    return Placeholder(name, "value")


def datetime_literal(moment: datetime) -> str:
    """A SOQL datetime literal in UTC, e.g. ``2026-09-30T22:00:00Z``."""
    utc = moment.astimezone(UTC)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def literal(value: ParamValue) -> str:
    """``value`` as a SOQL literal; strings are quoted with every special character escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return repr(value)
    return "'" + "".join(_STRING_ESCAPES.get(char, char) for char in value) + "'"
