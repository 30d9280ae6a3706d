"""Settings of an ``excel`` source: one workbook file the daemon can read."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from syncd.abc import SourceConfig


class ExcelSourceConfig(SourceConfig):
    """An Excel workbook (``.xlsx``/``.xlsm``) on a path or a mounted share, read with
    openpyxl. Formulas count with the values Excel saved with them (a workbook written by a
    program that does not calculate has none: open and save it in Excel once).

    A workbook knows no time zone: ``timezone`` says whose days its dates are (default: the
    config's zone).
    """

    type: Literal["excel"]
    path: Path = Field(description="the workbook's path, e.g. /srv/share/finance/okr.xlsx")
    timezone: str | None = Field(
        None, description="the zone whose days the workbook's dates mean (default: the config's)"
    )

    @field_validator("path")
    @classmethod
    def _workbook(cls, value: Path) -> Path:
        if value.suffix.lower() not in (".xlsx", ".xlsm"):
            raise ValueError(
                f"{value} is not an .xlsx or .xlsm workbook (save older .xls files as .xlsx)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The declared zone, else ``default`` (the config's)."""
        return ZoneInfo(self.timezone) if self.timezone else default
