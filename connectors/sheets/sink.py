"""The ``sheets`` sink: each KR's latest value in its row of a Google spreadsheet.

One row per KR (:mod:`connectors.spreadsheet.kr_rows`): a delivery reads the sheet's key
column and the KR rows (``values.get``), then updates the KR's row (``values.update``,
``RAW``) or, for a new key, appends it once (``values.append``, ``INSERT_ROWS``). Reading
first keeps it idempotent: a row already holding the value for the day, or a later day, is
left alone. The receipt names the row's A1 range; rows are always found again by key, since
people sort and insert rows.

An append is the one write that is not idempotent by itself, so a retried append first reads
the key column again: an append whose answer was lost is not made twice.

Same client and sign-in as the ``sheets`` source (``connectors.sheets.client``), with the
write scope ``https://www.googleapis.com/auth/spreadsheets``. What was verified against
Google's documents and what is assumed: see ``connectors.sheets.wire``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.sheets import wire
from connectors.sheets.client import SheetsSession
from connectors.sheets.config import SheetsSinkConfig
from connectors.sheets.errors import VENDOR, classify
from connectors.spreadsheet.a1 import column_letters, column_number, quote_sheet
from connectors.spreadsheet.cells import SHEETS_EPOCH, Cell
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
from syncd.abc import ConnectorContext, Delivery, RateLimit, Reading, Receipt, Sink
from syncd.errors import QueryError, SourceError
from syncd.http import bad_body


class SheetsSink(Sink[SheetsSinkConfig, RowTarget]):
    """Writes each KR's value, day, status and note into its row of one spreadsheet."""

    config_model = SheetsSinkConfig
    target_model = RowTarget
    keeps_history = False  # one row per KR
    default_rate_limit = RateLimit(requests=60, per_seconds=60)
    """Google's write (and read) quota: 60 requests per minute per user per project."""

    def __init__(self, config: SheetsSinkConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._session = SheetsSession(
            auth=config.effective_auth,
            scopes=[wire.WRITE_SCOPE],
            endpoint=config.endpoint,
            timeout=config.timeout_seconds,
            source=context.source,
        )
        self._first = column_number(config.key_column)
        self._last = self._first + WIDTH - 1

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source)

    # ---- ranges ----------------------------------------------------------------------------

    def _sheet(self, target: RowTarget) -> str:
        return target.sheet or self.config.sheet

    def _table(self, sheet: str) -> str:
        """The KR rows: from below the header row, key column to ``updated``, open-ended."""
        first_row = self.config.header_row + 1
        return (
            f"{quote_sheet(sheet)}!{column_letters(self._first)}{first_row}:"
            f"{column_letters(self._last)}"
        )

    def _row(self, sheet: str, number: int) -> str:
        return (
            f"{quote_sheet(sheet)}!{column_letters(self._first)}{number}:"
            f"{column_letters(self._last)}{number}"
        )

    def _where(self, sheet: str) -> str:
        return f"sheet {sheet!r} of spreadsheet {self.config.spreadsheet}"

    # ---- calls -------------------------------------------------------------------------------

    def _execute(self, make: Callable[[Any, Any], Any], *, what: str) -> Any:
        return self.call(lambda: self._session.execute(make, what=what), what=what)

    def _find_once(self, target: RowTarget) -> KrRow | None:
        """One ``values.get`` of the KR rows (made inside the caller's ``call``)."""
        sheet = self._sheet(target)
        table = self._table(sheet)
        body = self._session.execute(
            lambda _, values: wire.values_get(values, self.config.spreadsheet, table),
            what=f"values.get {table}",
        )
        rows = body.get(wire.VALUES, []) if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what="values.get",
                problem="no ValueRange",
            )
        return find_row(
            [[_cell(value) for value in row] for row in rows],
            first_row=self.config.header_row + 1,
            key=target.row_key,
            epoch=SHEETS_EPOCH,
            where=self._where(sheet),
            source=self.context.source,
        )

    def _find(self, target: RowTarget) -> KrRow | None:
        return self.call(lambda: self._find_once(target), what=f"values.get {target.row_key}")

    # ---- the sink ------------------------------------------------------------------------------

    def deliver(self, delivery: Delivery[RowTarget], previous: Receipt | None) -> Receipt:
        """Update the KR's row (append it once for a new key); nothing when the row already
        holds this value for this day, or a later day."""
        sheet = self._sheet(delivery.target)
        found = self._find(delivery.target)
        action = plan(found, delivery)
        row = _encode(RowValues.of(delivery))
        if found is not None and action in (Action.SAME, Action.NEWER):
            detail = unchanged_detail(action, found, self._where(sheet))
            return Receipt(sent=False, remote_id=self._row(sheet, found.number), detail=detail)
        if found is not None:
            return self._update(sheet, found.number, row)
        return self._append(delivery, sheet, row)

    def _update(self, sheet: str, number: int, row: list[Any]) -> Receipt:
        a1 = self._row(sheet, number)
        body = self._execute(
            lambda _, values: wire.values_update(values, self.config.spreadsheet, a1, row),
            what=f"values.update {a1}",
        )
        updated = body.get(wire.UPDATED_RANGE) if isinstance(body, dict) else None
        return Receipt(
            sent=True,
            remote_id=str(updated or a1),
            detail=f"updated row {number} of {self._where(sheet)}",
        )

    def _append(self, delivery: Delivery[RowTarget], sheet: str, row: list[Any]) -> Receipt:
        table = self._table(sheet)
        tries = 0

        def attempt() -> Receipt:
            nonlocal tries
            tries += 1
            if tries > 1:
                # The previous attempt may have landed before its answer was lost.
                found = self._find_once(delivery.target)
                if found is not None and plan(found, delivery) is Action.SAME:
                    return Receipt(
                        sent=True,
                        remote_id=self._row(sheet, found.number),
                        detail=f"appended row {found.number} of {self._where(sheet)}",
                    )
                if found is not None:
                    a1 = self._row(sheet, found.number)
                    self._session.execute(
                        lambda _, values: wire.values_update(
                            values, self.config.spreadsheet, a1, row
                        ),
                        what=f"values.update {a1}",
                    )
                    return Receipt(sent=True, remote_id=a1, detail=f"updated {a1}")
            body = self._session.execute(
                lambda _, values: wire.values_append(values, self.config.spreadsheet, table, row),
                what=f"values.append {table}",
            )
            updates = body.get(wire.UPDATES) if isinstance(body, dict) else None
            updated = updates.get(wire.UPDATED_RANGE) if isinstance(updates, dict) else None
            if not isinstance(updated, str) or not updated:
                raise bad_body(
                    source=self.context.source,
                    vendor=VENDOR,
                    what="values.append",
                    problem="no updates.updatedRange",
                )
            return Receipt(
                sent=True, remote_id=updated, detail=f"appended {updated} ({self._where(sheet)})"
            )

        return self.call(attempt, what=f"values.append {table}")

    def read(self, target: RowTarget) -> Reading:
        """The KR's row: its value and day; a :class:`QueryError` when no row has its key."""
        sheet = self._sheet(target)
        found = self._find(target)
        if found is None:
            raise QueryError(
                f"{self.context.source}: no row of {self._where(sheet)} has the key "
                f"{target.row_key!r} in column {self.config.key_column}",
                source=self.context.source,
            )
        return Reading(
            title=target.row_key,
            value=found.value,
            day=found.day,
            detail=f"row {found.number} of {self._where(sheet)}",
        )

    def check(self) -> str:
        """The spreadsheet's title (``spreadsheets.get``) and the sheet's header row."""
        body = self._execute(
            lambda spreadsheets, _: wire.metadata_get(spreadsheets, self.config.spreadsheet),
            what="spreadsheets.get",
        )
        properties = body.get(wire.PROPERTIES) if isinstance(body, dict) else None
        title = properties.get(wire.TITLE, "") if isinstance(properties, dict) else ""
        sheet = self.config.sheet
        said = f"spreadsheet {title!r} ({self.config.spreadsheet}), sheet {sheet!r}"
        if self.config.header_row:
            header = self._row(sheet, self.config.header_row)
            cells = self._execute(
                lambda _, values: wire.values_get(values, self.config.spreadsheet, header),
                what=f"values.get {header}",
            )
            rows = cells.get(wire.VALUES, []) if isinstance(cells, dict) else []
            names = [str(cell).strip().lower() for cell in (rows[0] if rows else [])]
            if names[: len(HEADERS)] != list(HEADERS):
                said += f"; row {self.config.header_row} should read {' | '.join(HEADERS)}"
        who = getattr(self._session.credentials, "service_account_email", None)
        return f"reached {said}" + (f", as {who}" if who else "")

    def close(self) -> None:
        """Close the HTTP connections (idempotent)."""
        self._session.close()


def _encode(values: RowValues) -> list[Any]:
    """The row as Sheets stores it with ``RAW``: the value a number, the rest text."""
    return [
        values.key,
        values.value,
        values.day.isoformat(),
        values.status,
        values.note,
        values.updated,
    ]


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
