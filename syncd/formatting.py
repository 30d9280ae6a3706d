"""Numbers, currencies and dates as the configured ``locale`` writes them (Babel, CLDR data).

The one place the CLI, the dashboard, the report and the digest format a number, a KR's range
and score, and how long ago something happened; none of them formats through another's
renderer. Units:
``percent`` means the value is a fraction (0.4 is shown as 40 %); ``%`` (or ``pp``) means it
already is in percent points (3.2 is shown as 3.2 %); a three-letter upper-case code (CHF,
EUR, USD) is a currency, placed and grouped as the locale writes money (``de_CH``:
``CHF 1'253.19``, ``de_DE``: ``1.253,19 EUR``); any other unit follows the number. At most two
decimals, trailing zeros dropped.

A process reads one configuration, so the locale is process-wide: :func:`set_locale` is called
when the configuration is loaded (``en`` until then).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import (
    NumberPattern,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)

from syncd.config.models import Band

DEFAULT_LOCALE = "en"
COMMITMENT_TITLES = {
    "committed": "Committed objectives (100 % expected)",
    "aspirational": "Aspirational objectives (60-70 % counts as success)",
}
"""The heading of each commitment's section (CLI status, review report)."""
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CODE_GLUED = re.compile(r"([A-Z]{3})(?=[-\d])")

_locale = DEFAULT_LOCALE


def set_locale(name: str) -> None:
    """Format as ``name`` (``de_CH``, ``en``, …) from now on, in this process."""
    global _locale
    _parsed(name)  # fail here, not at the first number
    _locale = name


def current_locale() -> str:
    """The locale numbers are formatted in."""
    return _locale


@contextmanager
def using_locale(name: str) -> Iterator[None]:
    """Format as ``name`` inside the block (tests, previews)."""
    before = _locale
    set_locale(name)
    try:
        yield
    finally:
        set_locale(before)


@cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _money(name: str) -> NumberPattern:
    """The locale's currency pattern, with the ISO code where a symbol would go."""
    return parse_pattern(_parsed(name).currency_formats["standard"].pattern.replace("¤", "¤¤"))


def _tidy(text: str) -> str:
    # Plain spaces (tables and e-mails measure them), and a code never glued to its digits.
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    # Searched first: a substitution expands its template on every call, a search does not.
    return _CODE_GLUED.sub(r"\1 ", text) if _CODE_GLUED.search(text) else text


def _digits(number: float) -> str:
    """``abs(number)`` grouped by thousands with the locale's symbols, at most two decimals.

    Grouped here rather than by Babel's pattern: Babel 2.19 leaves numbers of a million and
    more ungrouped when the group symbol is an apostrophe (de_CH, fr_CH)."""
    plain = f"{abs(number):,.2f}".rstrip("0").rstrip(".")
    group, decimal, _ = _symbols(_locale)
    if group == "," and decimal == ".":
        return plain
    return plain.replace(",", "\0").replace(".", decimal).replace("\0", group)


@cache
def _symbols(name: str) -> tuple[str, str, str]:
    """The locale's group, decimal and minus symbols (looked up once: a status of thousands of
    KRs formats tens of thousands of numbers)."""
    locale = _parsed(name)
    return get_group_symbol(locale), get_decimal_symbol(locale), get_minus_sign_symbol(locale)


def format_number(number: float) -> str:
    """Grouped per locale, at most two decimals, trailing zeros dropped (en: ``1,234.5``)."""
    digits = _digits(number)
    negative = round(number, 2) < 0
    return _tidy(f"{_symbols(_locale)[2]}{digits}" if negative else digits)


def format_currency(number: float, code: str) -> str:
    """``CHF 412,500`` (en), ``CHF 1'253.19`` (de_CH), ``1.253,19 EUR`` (de_DE)."""
    pattern = _money(_locale)
    side = 1 if round(number, 2) < 0 else 0
    prefix = pattern.prefix[side].replace("¤¤", code)
    suffix = pattern.suffix[side].replace("¤¤", code)
    if side and "-" not in prefix + suffix:
        prefix = "-" + prefix
    return _tidy(f"{prefix}{_digits(number)}{suffix}".replace("-", _symbols(_locale)[2]))


def format_value(value: float | None, unit: str | None) -> str:
    """A value in its unit: ``40 %``, ``3.2 %``, ``CHF 412,500``, ``4.5 stars``; ``-`` if none."""
    if value is None:
        return "-"
    if unit == "percent":
        return f"{format_number(value * 100)} %"
    if unit in ("%", "pp"):
        return f"{format_number(value)} %"
    if unit is not None and _CURRENCY.match(unit):
        return format_currency(value, unit)
    return f"{format_number(value)} {unit}" if unit else format_number(value)


def format_band(band: Band, unit: str | None) -> str:
    """``≥ 4.5``, ``≤ 2 h`` or ``4 - 4.5 stars``."""
    if band.at_least is not None and band.at_most is not None:
        return f"{format_value(band.at_least, unit)} - {format_value(band.at_most, unit)}"
    if band.at_least is not None:
        return f"≥ {format_value(band.at_least, unit)}"
    assert band.at_most is not None
    return f"≤ {format_value(band.at_most, unit)}"


def format_share(share: float) -> str:
    """A share as whole percent: ``21 %`` (the locale's digits)."""
    return f"{format_number(round(share * 100))} %"


def format_day(day: date | datetime, tz: ZoneInfo | None = None) -> str:
    """A day with its weekday as the locale writes it (en: ``Mon 23 Nov 2026``)."""
    if isinstance(day, datetime) and tz is not None:
        day = day.astimezone(tz)
    return _tidy(babel_format_date(day, "EEE d MMM y", locale=_parsed(_locale)))


def is_currency(unit: str | None) -> bool:
    """Whether ``unit`` is a three-letter currency code (CHF, EUR, USD)."""
    return unit is not None and _CURRENCY.match(unit) is not None


def format_range(
    band: Band | None, unit: str | None, baseline: float | None, target: float | None
) -> str:
    """A KR's range: ``40 % → 70 %``, ``CHF 86,000 → 107,500`` (the code once), or its band
    (``≤ 150 tickets``)."""
    if band is not None:
        return format_band(band, unit)
    if is_currency(unit) and baseline is not None and target is not None:
        return f"{unit} {format_number(baseline)} → {format_number(target)}"
    return f"{format_value(baseline, unit)} → {format_value(target, unit)}"


def format_score(value: float | None) -> str:
    """A score with two decimals (never ``-0.00``), or ``-``."""
    return "-" if value is None else f"{value + 0.0:.2f}"


def format_ago(moment: datetime | None, now: datetime) -> str:
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
