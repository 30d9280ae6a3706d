"""The ``sheets`` connector: KR numbers people keep in a Google spreadsheet.

Each read is one ``spreadsheets.values.get`` (unformatted values, dates as serial numbers)
through google-api-python-client; requests that read the same cells (a cell, a named range,
the columns of a sheet of dated rows, e.g. every day of a backfill) share that one call. What
the cells mean is the shared spreadsheet semantics (``connectors.spreadsheet``), the same as
for Excel workbooks. The first read of dated rows also reads the spreadsheet's time zone once
(``spreadsheets.get`` with a field mask): dated rows are refused while it differs from the
zone the source declares, since the planner chose the window's days in the declared zone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.sheets import wire
from connectors.sheets.client import SheetsSession
from connectors.sheets.config import SheetsSourceConfig
from connectors.sheets.errors import VENDOR, classify
from connectors.spreadsheet import SpreadsheetQuery, answer, read_of, spreadsheet_traits
from connectors.spreadsheet.a1 import CellRef, parse_range
from connectors.spreadsheet.cells import (
    SHEETS_EPOCH,
    Cell,
    CellRead,
    ColumnsRead,
    Grid,
    GridRead,
    NamedRead,
)
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RateLimit,
    RawValue,
    RequestKey,
)
from syncd.errors import QueryError, SourceError
from syncd.http import bad_body

Request = MetricRequest[SpreadsheetQuery]


class SheetsConnector(Connector[SheetsSourceConfig, SpreadsheetQuery]):
    """Answers cells, named ranges and dated rows of one Google spreadsheet."""

    sdk_modules = ("httplib2", "google_auth_httplib2", "googleapiclient.discovery")
    config_model = SheetsSourceConfig
    query_model = SpreadsheetQuery
    default_rate_limit = RateLimit(requests=60, per_seconds=60)
    """Google's read quota: 60 requests per minute per user per project (300 per project)."""
    default_concurrency = 2

    def __init__(self, config: SheetsSourceConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._lock = threading.Lock()
        self._session = SheetsSession(
            auth=config.effective_auth,
            scopes=[wire.SCOPE],
            endpoint=config.endpoint,
            timeout=config.timeout_seconds,
            source=context.source,
        )
        self._zone_checked = False
        self._zone_error: QueryError | None = None

    @classmethod
    def traits(
        cls, config: SheetsSourceConfig, query: SpreadsheetQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Cells and named ranges hold the present value; dated rows count whole days of the
        spreadsheet's declared zone (see ``connectors.spreadsheet``)."""
        return spreadsheet_traits(query, config.zone(timezone))

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source)

    def _execute(self, make: Callable[[Any, Any], Any], *, what: str) -> Any:
        """One API call through the framework (limiter, counting, retries); ``make`` gets the
        ``spreadsheets`` and ``values`` resources and returns the client's request."""
        return self.call(lambda: self._session.execute(make, what=what), what=what)

    # ---- fetching ------------------------------------------------------------------------

    def batches(self, requests: Sequence[Request]) -> list[list[Request]]:
        """Requests reading the same cells go together: one ``values.get`` serves them (dated
        rows of one sheet share one read of all the columns they need)."""
        groups: dict[object, list[Request]] = {}
        for request in requests:
            read = read_of(request.query)
            key = (read.sheet, read.first_row) if isinstance(read, ColumnsRead) else read
            groups.setdefault(key, []).append(request)
        return list(groups.values())

    def fetch_batch(self, batch: Sequence[Request]) -> Mapping[RequestKey, RawValue | QueryError]:
        read = merged([read_of(request.query) for request in batch])
        if isinstance(read, ColumnsRead) and (problem := self._zone_problem()) is not None:
            return {request.key: problem for request in batch}
        grid = self._grid(read)
        answers: dict[RequestKey, RawValue | QueryError] = {}
        for request in batch:
            try:
                answers[request.key] = answer(
                    request.query,
                    grid,
                    request.days,
                    epoch=SHEETS_EPOCH,
                    source=self.context.source,
                )
            except QueryError as error:
                answers[request.key] = error
        return answers

    def _grid(self, read: GridRead) -> Grid:
        target = read.name if isinstance(read, NamedRead) else str(read)
        body = self._execute(
            lambda _, values: wire.values_get(values, self.config.spreadsheet, target),
            what=f"values.get {target}",
        )
        return self._grid_of(body, read)

    def _grid_of(self, body: Any, read: GridRead) -> Grid:
        """The cells of a ValueRange, placed where its ``range`` says they are."""
        source = self.context.source
        rows = body.get(wire.VALUES, []) if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_body(source=source, vendor=VENDOR, what="values.get", problem="no ValueRange")
        try:
            start, end = parse_range(str(body.get(wire.RANGE, "")))
        except ValueError:
            if isinstance(read, NamedRead):
                raise bad_body(
                    source=source, vendor=VENDOR, what="values.get", problem="no range"
                ) from None
            start = end = (
                read.cell
                if isinstance(read, CellRead)
                else CellRef(read.sheet, read.first_column, read.first_row)
            )
        return Grid(
            sheet=start.sheet,
            top=start.row,
            left=start.column,
            rows=[[_cell(value) for value in row] for row in rows],
            height=max(1, end.row - start.row + 1),
            width=max(1, end.column - start.column + 1),
        )

    def _zone_problem(self) -> QueryError | None:
        """Whether the spreadsheet's time zone differs from the declared one (asked once)."""
        with self._lock:
            if self._zone_checked:
                return self._zone_error
        title, zone = self._metadata()
        return self._note_zone(title, zone)

    def _note_zone(self, title: str, zone: str) -> QueryError | None:
        declared = self.config.zone(self.context.timezone)
        problem = None
        if not same_zone(declared, zone):
            said = (
                f"declares {self.config.timezone}"
                if self.config.timezone
                else f"declares none, so the config's {declared.key} applies"
            )
            problem = QueryError(
                f"{self.context.source}: the spreadsheet {title!r} is in time zone {zone}, but "
                f"the source {said}; set timezone: {zone} on the source so dated rows count "
                "its days",
                source=self.context.source,
            )
        with self._lock:
            self._zone_checked, self._zone_error = True, problem
        return problem

    def _metadata(self) -> tuple[str, str]:
        body = self._execute(
            lambda spreadsheets, _: wire.metadata_get(spreadsheets, self.config.spreadsheet),
            what="spreadsheets.get",
        )
        properties = body.get(wire.PROPERTIES) if isinstance(body, dict) else None
        if not isinstance(properties, dict) or not properties.get(wire.TIME_ZONE):
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what="spreadsheets.get",
                problem="no properties.timeZone",
            )
        return str(properties.get(wire.TITLE, "")), str(properties[wire.TIME_ZONE])

    def check(self) -> str:
        """The spreadsheet's title and time zone (``spreadsheets.get``); a zone other than
        the declared one is an error, since dated rows would count other days."""
        title, zone = self._metadata()
        problem = self._note_zone(title, zone)
        if problem is not None:
            raise problem
        who = getattr(self._session.credentials, "service_account_email", None)
        return f"read spreadsheet {title!r} ({self.config.spreadsheet}), time zone {zone}" + (
            f", as {who}" if who else ""
        )

    def describe(self, request: Request) -> str:
        """The ``values.get`` behind a request, and how the number is picked."""
        read = read_of(request.query)
        target = read.name if isinstance(read, NamedRead) else str(read)
        where = f"values.get {target!r} of spreadsheet {self.config.spreadsheet}"
        rows = request.query.rows
        if rows is None:
            return where
        days = f"days {request.days}" if request.days else "no days (a snapshot)"
        zone = self.config.timezone or self.context.timezone.key
        return (
            f"{where}: {rows.pick} of column {rows.values} by column {rows.dates}, {days} ({zone})"
        )

    def close(self) -> None:
        """Close the HTTP connections (idempotent)."""
        self._session.close()


def merged(reads: Sequence[GridRead]) -> GridRead:
    """One read serving ``reads``: the first, widened to every column the others need."""
    first = reads[0]
    if not isinstance(first, ColumnsRead):
        return first
    columns = [read for read in reads if isinstance(read, ColumnsRead)]
    return ColumnsRead(
        first.sheet,
        min(read.first_column for read in columns),
        max(read.last_column for read in columns),
        first.first_row,
    )


def _cell(value: Any) -> Cell:
    """A JSON cell value as a :data:`Cell` (numbers keep their upstream text)."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)


def _fixed_or_named(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Sheets may report a custom zone as "GMT-07:00".
    if name.startswith("GMT") and len(name) == 9 and name[3] in "+-" and name[6] == ":":
        try:
            hours, minutes = int(name[4:6]), int(name[7:9])
        except ValueError:
            return None
        sign = -1 if name[3] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return None


def same_zone(declared: ZoneInfo, reported: str) -> bool:
    """Whether the zone a spreadsheet reports keeps the same clock as ``declared`` (aliases
    such as Asia/Calcutta and Asia/Kolkata are the same zone), over this year and the next."""
    if declared.key == reported:
        return True
    other = _fixed_or_named(reported)
    if other is None:
        return False
    start = datetime(datetime.now(UTC).year, 1, 1, 12, tzinfo=UTC)
    return all(
        (moment := start + timedelta(days=day)).astimezone(declared).utcoffset()
        == moment.astimezone(other).utcoffset()
        for day in range(0, 731)
    )
