"""The ``excel`` sink: each KR's latest value in its row of a workbook on a share.

One row per KR, the same layout and rules as the ``sheets`` sink
(:mod:`connectors.spreadsheet.kr_rows`). A delivery, all under one lock:

1. takes the lock file next to the workbook (``fcntl.flock``; another syncd instance, or
   another thread, waits up to ``lock_timeout_seconds``, then the delivery is retried later);
2. refuses while Excel has the workbook open (its owner file ``~$<name>``): Excel would save
   its own copy over syncd's;
3. opens the workbook, finds the KR's row by key, and stops when the row already holds the
   value for the day, or a later day;
4. writes the row (or appends it below the last KR row), saves the workbook to a temporary
   file in the same directory, flushes it to disk and ``os.replace``-s the workbook with it:
   a reader sees the old workbook or the new one, never half of one.

Errors are syncd's (``connectors.excel.errors``): a missing, corrupt or half-saved workbook is
a ``TransientSourceError``, one syncd may not write an ``AuthError``, a missing sheet or key a
``QueryError``; never a traceback.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from connectors.excel.config import ExcelSinkConfig
from connectors.excel.errors import classify
from connectors.spreadsheet.a1 import column_letters, column_number, quote_sheet
from connectors.spreadsheet.cells import Cell
from connectors.spreadsheet.kr_rows import (
    HEADERS,
    WIDTH,
    Action,
    KrRow,
    RowTarget,
    RowValues,
    find_row,
    plan,
    unchanged_detail,
)
from syncd.abc import ConnectorContext, Delivery, Reading, Receipt, Sink
from syncd.errors import QueryError, SourceError, TransientSourceError

DATE_FORMAT = "yyyy-mm-dd"
"""How the date cells syncd writes show in Excel."""
_POLL = 0.05


class ExcelSink(Sink[ExcelSinkConfig, RowTarget]):
    """Writes each KR's value, day, status and note into its row of one workbook file."""

    config_model = ExcelSinkConfig
    target_model = RowTarget
    keeps_history = False  # one row per KR

    def __init__(self, config: ExcelSinkConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._first = column_number(config.key_column)
        self._last = self._first + WIDTH - 1

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source, path=self.config.path, access="write")

    # ---- the file ------------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        """The lock file every syncd writing this workbook takes."""
        path = self.config.path
        return path.with_name(f".~syncd-{path.name}.lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the workbook's lock file; a :class:`TransientSourceError` after waiting
        ``lock_timeout_seconds`` for another writer."""
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            deadline = time.monotonic() + self.config.lock_timeout_seconds
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TransientSourceError(
                            f"{self.context.source}: another syncd is writing "
                            f"{self.config.path} (lock {self.lock_path.name} held for "
                            f"{self.config.lock_timeout_seconds:g} s)",
                            source=self.context.source,
                        ) from None
                    time.sleep(_POLL)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def _refuse_when_open_in_excel(self) -> None:
        path = self.config.path
        # Office's owner file (the user's display name inside): "~$" + the name, or "~$" over
        # the name's first two characters (both reported; neither documented by Microsoft).
        for owner in (path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])):
            if owner.exists():
                raise TransientSourceError(
                    f"{self.context.source}: {path} is open in Excel ({owner.name} exists); "
                    "syncd writes once it is closed (if nobody has it open, Excel left "
                    f"{owner.name} behind: delete it)",
                    source=self.context.source,
                )

    def _open(self, *, for_writing: bool) -> Any:
        import openpyxl

        if for_writing:
            return openpyxl.load_workbook(self.config.path)
        return openpyxl.load_workbook(self.config.path, read_only=True, data_only=True)

    def _save(self, book: Any) -> None:
        """Save ``book`` over the workbook atomically, keeping its permissions."""
        path = self.config.path
        mode = path.stat().st_mode & 0o7777
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".~syncd-{path.stem}-", suffix=".xlsx", dir=path.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                book.save(handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).chmod(mode)
            Path(temporary).replace(path)  # os.replace: atomic within one file system
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    # ---- rows -----------------------------------------------------------------------------------

    def _worksheet(self, book: Any, target: RowTarget) -> Any:
        title = target.sheet or self.config.sheet
        if title not in book.sheetnames:
            raise QueryError(
                f"{self.context.source}: {self.config.path} has no sheet {title!r} (it has "
                f"{', '.join(book.sheetnames)})",
                source=self.context.source,
            )
        return book[title]

    def _rows(self, sheet: Any) -> list[list[Cell]]:
        # No max_row: a read-only sheet may not know its size until it is read.
        return [
            [_cell(value) for value in row]
            for row in sheet.iter_rows(
                min_row=self.config.header_row + 1,
                min_col=self._first,
                max_col=self._last,
                values_only=True,
            )
        ]

    def _find(self, book: Any, sheet: Any, target: RowTarget) -> tuple[KrRow | None, int]:
        """The KR's row, and the row below the last KR row (where a new key goes)."""
        rows = self._rows(sheet)
        first_row = self.config.header_row + 1
        found = find_row(
            rows,
            first_row=first_row,
            key=target.row_key,
            epoch=book.epoch.date(),
            where=self._where(sheet.title),
            source=self.context.source,
        )
        filled = [index for index, row in enumerate(rows) if any(v is not None for v in row)]
        below = first_row + (filled[-1] + 1 if filled else 0)
        return found, below

    def _where(self, title: str) -> str:
        return f"sheet {title!r} of {self.config.path}"

    def _a1(self, title: str, number: int) -> str:
        return (
            f"{quote_sheet(title)}!{column_letters(self._first)}{number}:"
            f"{column_letters(self._last)}{number}"
        )

    # ---- the sink --------------------------------------------------------------------------------

    def deliver(self, delivery: Delivery[RowTarget], previous: Receipt | None) -> Receipt:
        """Update the KR's row (append it once for a new key) and replace the workbook
        atomically, under the lock; nothing when the row already holds this value for this
        day, or a later day."""
        return self.call(lambda: self._deliver(delivery), what=f"write {self.config.path}")

    def _deliver(self, delivery: Delivery[RowTarget]) -> Receipt:
        with self._locked():
            self._refuse_when_open_in_excel()
            book = self._open(for_writing=True)
            try:
                sheet = self._worksheet(book, delivery.target)
                found, below = self._find(book, sheet, delivery.target)
                action = plan(found, delivery)
                if found is not None and action in (Action.SAME, Action.NEWER):
                    return Receipt(
                        sent=False,
                        remote_id=self._a1(sheet.title, found.number),
                        detail=unchanged_detail(action, found, self._where(sheet.title)),
                    )
                number = found.number if found is not None else below
                self._write_row(sheet, number, RowValues.of(delivery))
                self._save(book)
            finally:
                book.close()
        verb = "updated" if found is not None else "appended"
        return Receipt(
            sent=True,
            remote_id=self._a1(sheet.title, number),
            detail=f"{verb} row {number} of {self._where(sheet.title)}",
        )

    def _write_row(self, sheet: Any, number: int, values: RowValues) -> None:
        cells: list[Any] = [
            values.key,
            values.value,
            values.day,
            values.status or None,
            values.note,
            values.updated,
        ]
        for column, value in enumerate(cells, start=self._first):
            cell = sheet.cell(row=number, column=column)
            cell.value = value
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT

    def read(self, target: RowTarget) -> Reading:
        """The KR's row: its value and day; a :class:`QueryError` when no row has its key."""
        return self.call(lambda: self._read(target), what=f"read {self.config.path}")

    def _read(self, target: RowTarget) -> Reading:
        book = self._open(for_writing=False)
        try:
            sheet = self._worksheet(book, target)
            found, _ = self._find(book, sheet, target)
            title = sheet.title
        finally:
            book.close()
        if found is None:
            raise QueryError(
                f"{self.context.source}: no row of {self._where(title)} has the key "
                f"{target.row_key!r} in column {self.config.key_column}",
                source=self.context.source,
            )
        return Reading(
            title=target.row_key,
            value=found.value,
            day=found.day,
            detail=f"row {found.number} of {self._where(title)}",
        )

    def check(self) -> str:
        """Open the workbook, find the sheet and its header row, and make sure syncd may
        replace the file (its directory is writable)."""
        return self.call(self._check, what=f"check {self.config.path}")

    def _check(self) -> str:
        book = self._open(for_writing=False)
        try:
            sheet = self._worksheet(book, RowTarget(row_key="-"))
            header: list[Any] = []
            if self.config.header_row:
                header = [
                    str(value).strip().lower() if value is not None else ""
                    for row in sheet.iter_rows(
                        min_row=self.config.header_row,
                        max_row=self.config.header_row,
                        min_col=self._first,
                        max_col=self._last,
                        values_only=True,
                    )
                    for value in row
                ]
        finally:
            book.close()
        if not os.access(self.config.path.parent, os.W_OK):
            raise PermissionError(f"cannot write in {self.config.path.parent}")
        said = f"opened {self.config.path}, sheet {self.config.sheet!r}"
        if self.config.header_row and header != list(HEADERS):
            said += f"; row {self.config.header_row} should read {' | '.join(HEADERS)}"
        return said


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, int | float | str | bool | date):
        return value
    return str(value)
