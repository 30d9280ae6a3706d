"""Numbers, currencies and dates per configured locale (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.numbers import get_group_symbol

from syncd.config import load_config
from syncd.errors import ConfigError
from syncd.formatting import (
    current_locale,
    format_day,
    format_number,
    format_share,
    format_value,
    using_locale,
)


@pytest.mark.parametrize(
    ("locale", "value", "unit", "text"),
    [
        ("en", 1253.19, "CHF", "CHF 1,253.19"),
        ("en", 412500.0, "CHF", "CHF 412,500"),
        ("en", -2000.0, "CHF", "-CHF 2,000"),
        ("en", 1234567.891, "EUR", "EUR 1,234,567.89"),
        ("en", 0.55, "percent", "55 %"),
        ("en", 12000.0, None, "12,000"),
        ("de_DE", 1253.19, "EUR", "1.253,19 EUR"),
        ("de_DE", 4.5, "stars", "4,5 stars"),
        ("de_DE", 0.032, "percent", "3,2 %"),
        ("fr_CH", 1234567.891, None, "1'234'567,89"),
    ],
)
def test_values_read_as_the_locale_writes_them(locale, value, unit, text):
    with using_locale(locale):
        assert format_value(value, unit) == text


def test_de_ch_money_is_grouped_with_the_swiss_apostrophe_even_above_a_million():
    group = get_group_symbol("de_CH")  # CLDR's Swiss group mark, an apostrophe
    assert group in ("'", "’")
    with using_locale("de_CH"):
        assert format_value(1253.19, "CHF") == f"CHF 1{group}253.19"
        assert format_value(1234567.5, "CHF") == f"CHF 1{group}234{group}567.5"
        assert format_value(-2000.0, "CHF") == f"CHF -2{group}000"
        assert format_number(-0.001) == "0"
        assert format_share(0.214) == "21 %"
        assert format_day(date(2026, 11, 23)) == "Mo. 23 Nov. 2026"
    assert current_locale() == "en"
    assert format_day(date(2026, 11, 23)) == "Mon 23 Nov 2026"


def test_an_unknown_locale_is_a_config_error_naming_the_key(tmp_path: Path):
    config = tmp_path / "syncd.yaml"
    config.write_text("timezone: UTC\nlocale: xx_QQ\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    [issue] = caught.value.issues
    assert "locale" in issue.render() and "de_CH" in issue.render()
    assert "syncd.yaml:2" in issue.render()
    config.write_text("timezone: UTC\nlocale: de_CH\n")
    assert load_config(config).config.locale == "de_CH"
