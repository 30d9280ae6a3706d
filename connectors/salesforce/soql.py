"""A SOQL subset: tokenizer, recursive-descent parser and evaluator over in-memory records.

The sandbox answers ``/query`` with it. Supported::

    SELECT field, … | COUNT() | COUNT(f) | COUNT_DISTINCT(f) | SUM|AVG|MIN|MAX(f) [alias], …
    FROM Object
    [WHERE cond]       cond: AND / OR (not mixed without parentheses, as in SOQL), NOT, ( … ),
                       = != <> < <= > >=, [NOT] IN (…), LIKE; string, number, true/false, null,
                       date and datetime literals, TODAY, LAST_N_DAYS:n, THIS_QUARTER, …
    [GROUP BY field, …]
    [LIMIT n]

Anything else fails with the error code Salesforce uses (``MALFORMED_QUERY``, ``INVALID_FIELD``,
``INVALID_TYPE``, ``INVALID_QUERY_FILTER_OPERATOR``) and its ``ERROR at Row:…:Column:…`` message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

FieldType = Literal["id", "string", "picklist", "boolean", "double", "currency", "date", "datetime"]
Schema = Mapping[str, Mapping[str, FieldType]]
Record = Mapping[str, Any]
Value = str | float | int | bool | date | datetime | None

AGGREGATES = ("COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX")
_NUMERIC: tuple[FieldType, ...] = ("double", "currency")
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "GROUP", "BY", "LIMIT",
    "ORDER", "TRUE", "FALSE", "NULL",
}  # fmt: skip


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` and ``message`` as it reports them."""

    def __init__(self, error_code: str, message: str) -> None:
        self.error_code = error_code
        self.message = message
        super().__init__(f"{error_code}: {message}")


# ---- tokens -------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<dateliteral>[A-Za-z_]+:-?\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int  # 1-based, as Salesforce reports it


def tokenize(soql: str) -> list[Token]:
    """Split ``soql`` into tokens; an unknown character is a ``MALFORMED_QUERY``."""
    tokens: list[Token] = []
    position = 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None:
            raise _malformed(soql, position + 1, f"unexpected token: '{soql[position]}'")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(soql) + 1))
    return tokens


def _malformed(soql: str, column: int, message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", _located(soql, column, message))


def _located(soql: str, column: int, message: str) -> str:
    line = " ".join(soql.split("\n"))
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n{message}"


# ---- syntax tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldItem:
    name: str
    column: int


@dataclass(frozen=True)
class AggregateItem:
    function: str
    field: str | None
    alias: str | None
    column: int


SelectItem = FieldItem | AggregateItem


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str  # = != < <= > >= IN NOT IN LIKE
    values: tuple[Value | DateRange, ...]
    column: int


@dataclass(frozen=True)
class BoolOp:
    operator: Literal["AND", "OR"]
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class DateRange:
    """A relative date literal (``THIS_QUARTER``): the local dates ``[start, end)``."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Query:
    select: tuple[SelectItem, ...]
    sobject: str
    where: Condition | None
    group_by: tuple[str, ...]
    limit: int | None

    @property
    def is_aggregate(self) -> bool:
        return any(isinstance(item, AggregateItem) for item in self.select) or bool(self.group_by)

    @property
    def is_count_only(self) -> bool:
        """``SELECT COUNT() FROM …``: the answer is ``totalSize``, with no records."""
        return (
            len(self.select) == 1
            and isinstance(self.select[0], AggregateItem)
            and self.select[0].function == "COUNT"
            and self.select[0].field is None
        )


# ---- relative date literals ---------------------------------------------------------------------


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def relative_date(name: str, today: date) -> tuple[date, date] | None:
    """The local dates ``[start, end)`` a SOQL date literal names, or None if unknown."""
    upper = name.upper()
    week = today - timedelta(days=(today.weekday() + 1) % 7)  # Salesforce weeks start Sunday
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    year = date(today.year, 1, 1)
    fixed: dict[str, tuple[date, date]] = {
        "YESTERDAY": (today - timedelta(days=1), today),
        "TODAY": (today, today + timedelta(days=1)),
        "TOMORROW": (today + timedelta(days=1), today + timedelta(days=2)),
        "LAST_WEEK": (week - timedelta(days=7), week),
        "THIS_WEEK": (week, week + timedelta(days=7)),
        "NEXT_WEEK": (week + timedelta(days=7), week + timedelta(days=14)),
        "LAST_MONTH": (_add_months(month, -1), month),
        "THIS_MONTH": (month, _add_months(month, 1)),
        "NEXT_MONTH": (_add_months(month, 1), _add_months(month, 2)),
        "LAST_90_DAYS": (today - timedelta(days=90), today + timedelta(days=1)),
        "NEXT_90_DAYS": (today + timedelta(days=1), today + timedelta(days=91)),
        "LAST_QUARTER": (_add_months(quarter, -3), quarter),
        "THIS_QUARTER": (quarter, _add_months(quarter, 3)),
        "NEXT_QUARTER": (_add_months(quarter, 3), _add_months(quarter, 6)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), year),
        "THIS_YEAR": (year, date(today.year + 1, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
    }
    if upper in fixed:
        return fixed[upper]
    match = re.fullmatch(r"([A-Z_]+):(\d+)", upper)
    if match is None:
        return None
    kind, n = match.group(1), int(match.group(2))
    if kind == "LAST_N_DAYS":  # today and the n-1 days before it
        return today - timedelta(days=n - 1), today + timedelta(days=1)
    if kind == "NEXT_N_DAYS":
        return today + timedelta(days=1), today + timedelta(days=n + 1)
    if kind == "N_DAYS_AGO":
        return today - timedelta(days=n), today - timedelta(days=n - 1)
    if kind == "LAST_N_MONTHS":
        return _add_months(month, -n), month
    if kind == "NEXT_N_MONTHS":
        return _add_months(month, 1), _add_months(month, n + 1)
    if kind == "LAST_N_QUARTERS":
        return _add_months(quarter, -3 * n), quarter
    if kind == "NEXT_N_QUARTERS":
        return _add_months(quarter, 3), _add_months(quarter, 3 * n + 3)
    return None


# ---- parser -------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, soql: str, today: date) -> None:
        self.soql = soql
        self.today = today
        self.tokens = tokenize(soql)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def error(self, token: Token | None = None) -> SoqlError:
        token = token or self.token
        shown = token.text or "<EOF>"
        return _malformed(self.soql, token.column, f"unexpected token: '{shown}'")

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def is_keyword(self, *words: str) -> bool:
        return self.token.kind == "name" and self.token.text.upper() in words

    def expect_keyword(self, word: str) -> Token:
        if not self.is_keyword(word):
            raise self.error()
        return self.advance()

    def expect(self, text: str) -> Token:
        if self.token.text != text:
            raise self.error()
        return self.advance()

    def identifier(self) -> Token:
        if self.token.kind != "name" or self.token.text.upper() in _KEYWORDS:
            raise self.error()
        return self.advance()

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        select = [self.select_item()]
        while self.token.text == ",":
            self.advance()
            select.append(self.select_item())
        self.expect_keyword("FROM")
        sobject = self.identifier().text
        where = None
        if self.is_keyword("WHERE"):
            self.advance()
            where = self.condition()
        group_by: list[str] = []
        if self.is_keyword("GROUP"):
            self.advance()
            self.expect_keyword("BY")
            group_by.append(self.identifier().text)
            while self.token.text == ",":
                self.advance()
                group_by.append(self.identifier().text)
        limit = None
        if self.is_keyword("LIMIT"):
            self.advance()
            if self.token.kind != "number" or not self.token.text.isdigit():
                raise self.error()
            limit = int(self.advance().text)
        if self.token.kind != "end":
            raise self.error()
        return Query(tuple(select), sobject, where, tuple(group_by), limit)

    def select_item(self) -> SelectItem:
        start = self.identifier()
        if start.text.upper() not in AGGREGATES or self.token.text != "(":
            return FieldItem(start.text, start.column)
        function = start.text.upper()
        self.expect("(")
        field = None
        if self.token.text != ")":
            field = self.identifier().text
        elif function != "COUNT":
            raise self.error()
        self.expect(")")
        alias = None
        if self.token.kind == "name" and self.token.text.upper() not in _KEYWORDS:
            alias = self.advance().text
        return AggregateItem(function, field, alias, start.column)

    # condition := term (AND term)* | term (OR term)*   -- no mixing without parentheses
    def condition(self) -> Condition:
        operands = [self.term()]
        operator: Literal["AND", "OR"] | None = None
        while self.is_keyword("AND", "OR"):
            word: Literal["AND", "OR"] = "AND" if self.token.text.upper() == "AND" else "OR"
            if operator is not None and word != operator:
                raise self.error()
            operator = word
            self.advance()
            operands.append(self.term())
        if operator is None:
            return operands[0]
        return BoolOp(operator, tuple(operands))

    def term(self) -> Condition:
        if self.is_keyword("NOT"):
            self.advance()
            return Not(self.term())
        if self.token.text == "(":
            self.advance()
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.identifier()
        if self.token.kind == "op":
            operator = self.advance().text
            operator = "!=" if operator == "<>" else operator
            return Comparison(field.text, operator, (self.value(),), field.column)
        if self.is_keyword("LIKE"):
            self.advance()
            if self.token.kind != "string":
                raise self.error()
            return Comparison(field.text, "LIKE", (self.value(),), field.column)
        negated = False
        if self.is_keyword("NOT"):
            self.advance()
            negated = True
        if self.is_keyword("IN"):
            self.advance()
            self.expect("(")
            values = [self.value()]
            while self.token.text == ",":
                self.advance()
                values.append(self.value())
            self.expect(")")
            return Comparison(
                field.text, "NOT IN" if negated else "IN", tuple(values), field.column
            )
        raise self.error()

    def value(self) -> Value | DateRange:
        token = self.advance()
        if token.kind == "string":
            body = token.text[1:-1]
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "date":
            try:
                return date.fromisoformat(token.text)
            except ValueError:
                raise self.error(token) from None
        if token.kind == "datetime":
            try:
                return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
            except ValueError:
                raise self.error(token) from None
        if token.kind in ("name", "dateliteral"):
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            if upper == "NULL":
                return None
            span = relative_date(token.text, self.today)
            if span is not None:
                return DateRange(upper, *span)
        raise self.error(token)


def parse(soql: str, today: date | None = None) -> Query:
    """Parse ``soql``; relative date literals resolve against ``today`` (UTC today by default)."""
    return _Parser(soql, today or datetime.now(UTC).date()).query()


# ---- evaluation ---------------------------------------------------------------------------------


def _field_type(schema: Schema, sobject: str, field: str, soql: str, column: int) -> FieldType:
    fields = schema[sobject]
    for name, kind in fields.items():
        if name.lower() == field.lower():
            return kind
    raise SoqlError(
        "INVALID_FIELD",
        _located(
            soql,
            column,
            f"No such column '{field}' on entity '{sobject}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
        ),
    )


def _canonical(schema: Schema, sobject: str, field: str) -> str:
    return next(name for name in schema[sobject] if name.lower() == field.lower())


def _check_value(
    kind: FieldType, value: Value | DateRange, field: str, soql: str, col: int
) -> None:
    def refuse(expected: str) -> SoqlError:
        quoted = " and should not be enclosed in quotes" if isinstance(value, str) else ""
        return SoqlError(
            "INVALID_QUERY_FILTER_OPERATOR",
            _located(
                soql,
                col,
                f"value of filter criterion for field '{field}' must be of type {expected}{quoted}",
            ),
        )

    if value is None:
        return
    if kind == "date" and not (isinstance(value, DateRange) or type(value) is date):
        raise refuse("date")
    if kind == "datetime" and not isinstance(value, DateRange | datetime):
        raise refuse("dateTime")
    if kind in _NUMERIC and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise refuse("double")
    if kind == "boolean" and not isinstance(value, bool):
        raise refuse("boolean")
    if kind in ("id", "string", "picklist") and not isinstance(value, str):
        raise refuse("string")


def _like(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


def _compare(
    actual: Any, operator: str, expected: Value | DateRange, tz_day: Callable[[Any], date]
) -> bool:
    if isinstance(expected, DateRange):
        if actual is None:
            return operator == "!="
        day = tz_day(actual)
        if operator == "=":
            return expected.start <= day < expected.end
        if operator == "!=":
            return not (expected.start <= day < expected.end)
        if operator == "<":
            return day < expected.start
        if operator == "<=":
            return day < expected.end
        if operator == ">":
            return day >= expected.end
        return day >= expected.start  # >=
    if operator == "=":
        return _equal(actual, expected)
    if operator == "!=":
        return not _equal(actual, expected)
    if actual is None or expected is None:
        return False
    if operator == "<":
        return bool(actual < expected)
    if operator == "<=":
        return bool(actual <= expected)
    if operator == ">":
        return bool(actual > expected)
    return bool(actual >= expected)


def _equal(actual: Any, expected: Value) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()  # SOQL string comparison ignores case
    return bool(actual == expected)


class Evaluator:
    """Runs parsed queries over ``records`` (object name → rows) typed by ``schema``."""

    def __init__(self, schema: Schema, records: Mapping[str, Sequence[Record]]) -> None:
        self.schema = schema
        self.records = records
        # A condition is tested on every row: its field's spelling is looked up once.
        self._names: dict[tuple[str, str], str] = {}

    def _field(self, sobject: str, field: str) -> str:
        name = self._names.get((sobject, field))
        if name is None:
            name = self._names[(sobject, field)] = _canonical(self.schema, sobject, field)
        return name

    def run(self, soql: str, today: date | None = None) -> tuple[list[dict[str, Any]], int]:
        """The result rows (each with ``attributes``) and ``totalSize`` of ``soql``."""
        query = parse(soql, today)
        sobject = next(
            (name for name in self.schema if name.lower() == query.sobject.lower()), None
        )
        if sobject is None:
            column = soql.upper().find(query.sobject.upper()) + 1
            raise SoqlError(
                "INVALID_TYPE",
                _located(
                    soql,
                    column,
                    f"sObject type '{query.sobject}' is not supported. If you are attempting to "
                    "use a custom object, be sure to append the '__c' after the entity name. "
                    "Please reference your WSDL or the describe call for the appropriate names.",
                ),
            )
        if query.where is not None:
            self._check(query.where, sobject, soql)
        rows = list(self.records[sobject])
        if query.where is not None:
            test = self._predicate(query.where, sobject)
            rows = [row for row in rows if test(row)]
        if query.is_count_only:
            return [], len(rows)
        if query.is_aggregate:
            result = self._aggregate(query, sobject, rows, soql)
        else:
            result = [self._project(query, sobject, row, soql) for row in rows]
        if query.limit is not None:
            result = result[: query.limit]
        return result, len(result)

    def _check(self, condition: Condition, sobject: str, soql: str) -> None:
        if isinstance(condition, BoolOp):
            for operand in condition.operands:
                self._check(operand, sobject, soql)
        elif isinstance(condition, Not):
            self._check(condition.operand, sobject, soql)
        else:
            kind = _field_type(self.schema, sobject, condition.field, soql, condition.column)
            if condition.operator == "LIKE" and kind not in ("string", "picklist"):
                raise SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    _located(soql, condition.column, f"invalid operator on {kind} field"),
                )
            for value in condition.values:
                _check_value(kind, value, condition.field, soql, condition.column)

    def _predicate(self, condition: Condition, sobject: str) -> Callable[[Record], bool]:
        """``condition`` as a test of one row, its fields and patterns resolved once."""
        if isinstance(condition, Not):
            inner = self._predicate(condition.operand, sobject)
            return lambda row: not inner(row)
        if isinstance(condition, BoolOp):
            parts = [self._predicate(op, sobject) for op in condition.operands]
            if condition.operator == "AND":
                return lambda row: all(part(row) for part in parts)
            return lambda row: any(part(row) for part in parts)
        name = self._field(sobject, condition.field)
        operator, values = condition.operator, condition.values
        if operator == "LIKE":
            pattern = _like(str(values[0]))
            return lambda row: (
                isinstance(actual := row.get(name), str) and bool(pattern.match(actual))
            )
        if operator in ("IN", "NOT IN"):
            wanted = operator == "IN"
            return lambda row: (
                wanted == any(_compare(row.get(name), "=", value, _day) for value in values)
            )
        expected = values[0]
        return lambda row: _compare(row.get(name), operator, expected, _day)

    def _project(self, query: Query, sobject: str, row: Record, soql: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {
                "type": sobject,
                "url": f"/services/data/vXX.X/sobjects/{sobject}/{row['Id']}",
            }
        }
        for item in query.select:
            assert isinstance(item, FieldItem)
            _field_type(self.schema, sobject, item.name, soql, item.column)
            name = _canonical(self.schema, sobject, item.name)
            out[name] = _json(row.get(name))
        return out

    def _aggregate(
        self, query: Query, sobject: str, rows: list[Record], soql: str
    ) -> list[dict[str, Any]]:
        grouping = [_canonical_checked(self, sobject, field, soql) for field in query.group_by]
        for item in query.select:
            if isinstance(item, FieldItem):
                name = _canonical_checked(self, sobject, item.name, soql, item.column)
                if name not in grouping:
                    raise SoqlError(
                        "MALFORMED_QUERY",
                        _located(
                            soql,
                            item.column,
                            f"Field must be grouped or aggregated: {item.name}",
                        ),
                    )
            elif item.field is not None:
                kind = _field_type(self.schema, sobject, item.field, soql, item.column)
                if item.function in ("SUM", "AVG") and kind not in _NUMERIC:
                    raise SoqlError(
                        "MALFORMED_QUERY",
                        _located(
                            soql,
                            item.column,
                            f"field {item.field} does not support aggregate operator "
                            f"{item.function}",
                        ),
                    )
        groups: dict[tuple[Any, ...], list[Record]] = {}
        if not grouping:
            groups[()] = rows
        for row in rows if grouping else []:
            groups.setdefault(tuple(row.get(name) for name in grouping), []).append(row)
        result = []
        for key, members in groups.items():
            out: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            expr = 0
            for item in query.select:
                if isinstance(item, FieldItem):
                    name = _canonical(self.schema, sobject, item.name)
                    out[name] = _json(key[grouping.index(name)])
                    continue
                label = item.alias or f"expr{expr}"
                if item.alias is None:
                    expr += 1
                field = _canonical(self.schema, sobject, item.field) if item.field else None
                out[label] = _json(_apply(item.function, field, members))
            result.append(out)
        return result


def _canonical_checked(
    evaluator: Evaluator, sobject: str, field: str, soql: str, column: int | None = None
) -> str:
    where = column if column is not None else max(1, soql.find(field) + 1)
    _field_type(evaluator.schema, sobject, field, soql, where)
    return _canonical(evaluator.schema, sobject, field)


def _apply(function: str, field: str | None, rows: list[Record]) -> Any:
    if field is None:  # COUNT() alongside other items counts rows
        return len(rows)
    values: list[Any] = [row[field] for row in rows if row.get(field) is not None]
    if function == "COUNT":
        return len(values)
    if function == "COUNT_DISTINCT":
        return len(set(values))
    if not values:
        return None
    if function == "SUM":
        return sum(values)
    if function == "AVG":
        return sum(values) / len(values)
    return min(values) if function == "MIN" else max(values)


def _day(value: Any) -> date:
    """The date a date or datetime value falls on; datetimes are read in UTC (the org's
    default time zone in the sandbox)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    assert isinstance(value, date)
    return value


def _json(value: Any) -> Any:
    """A value as the REST API serializes it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if isinstance(value, date):
        return value.isoformat()
    return value
