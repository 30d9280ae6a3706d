"""Settings of an ``excel`` source: one workbook file the daemon can read."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from connectors.spreadsheet.a1 import check_column
from syncd.abc import SinkConfig, SourceConfig


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


class ExcelSinkConfig(SinkConfig):
    """An ``.xlsx`` workbook on a path or a mounted share that syncd writes KR values to, one
    row per KR in ``sheet`` (see :mod:`connectors.spreadsheet.kr_rows` for the columns).

    Each write holds a lock file next to the workbook (``.~syncd-<name>.lock``, ``fcntl``), so
    two syncd instances never interleave, and replaces the workbook atomically with a copy
    saved beside it. While Excel has the workbook open (its owner file ``~$<name>`` is there)
    syncd waits: Excel would save its own copy over syncd's. openpyxl keeps cells, formulas,
    styles, defined names and the other sheets, but not charts, images or pivot tables: keep
    those in another workbook.
    """

    type: Literal["excel"]
    path: Path = Field(description="the workbook's path, e.g. /srv/share/okr/krs.xlsx")
    sheet: str = Field(min_length=1, description="the sheet holding one row per KR")
    key_column: str = Field("A", description="the column of the KRs' keys; the others follow it")
    header_row: int = Field(
        1, ge=0, description="the row naming the columns (0: none); KR rows start below it"
    )
    lock_timeout_seconds: float = Field(
        30.0, ge=0, description="how long to wait for another writer's lock"
    )

    @field_validator("path")
    @classmethod
    def _workbook(cls, value: Path) -> Path:
        if value.suffix.lower() != ".xlsx":
            raise ValueError(
                f"{value} is not an .xlsx workbook (syncd writes .xlsx only: macros of an .xlsm "
                "would be lost)"
            )
        return value

    @field_validator("key_column")
    @classmethod
    def _column(cls, value: str) -> str:
        return check_column(value)
