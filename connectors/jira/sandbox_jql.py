"""The JQL the Jira sandbox understands: enough of the language for syncd's queries.

Clauses ``field op value`` joined by ``AND``/``OR`` (AND binds tighter), ``NOT`` and
parentheses; operators ``= != < <= > >= in, not in, is EMPTY, is not EMPTY``; values are bare
words, quoted strings or lists ``(a, b)``. Date values (``"2026-10-01"`` or
``"2026-10-01 14:30"``) are read in the querying user's zone, as Jira does. A field the
sandbox does not know is the error Jira gives for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|=|<|>|~)'
    r"|(?P<punct>[(),])|(?P<word>[^\s(),=!<>~\"']+))"
)
_DATE = re.compile(r"^(\d{4})[-/](\d{2})[-/](\d{2})(?: (\d{2}):(\d{2}))?$")

Issue = Mapping[str, Any]
"""An issue as the sandbox evaluates it: JQL field name → value (a list for labels)."""
Predicate = Callable[[Issue], bool]


class JqlError(ValueError):
    """The query is not valid JQL (for the sandbox): Jira answers 400."""


@dataclass
class _Parser:
    tokens: list[str]
    zone: ZoneInfo
    fields: Mapping[str, str]
    """Clause name (lower case) → the sandbox's field key."""
    position: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: The query ended unexpectedly.")
        self.position += 1
        return token

    def expect(self, word: str) -> None:
        token = self.take()
        if token.lower() != word:
            raise JqlError(f"Error in the JQL Query: Expecting '{word}' but got '{token}'.")

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while (self.peek() or "").lower() == "or":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else lambda issue: any(p(issue) for p in parts)

    def parse_and(self) -> Predicate:
        parts = [self.parse_not()]
        while (self.peek() or "").lower() == "and":
            self.take()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else lambda issue: all(p(issue) for p in parts)

    def parse_not(self) -> Predicate:
        if (self.peek() or "").lower() == "not":
            self.take()
            inner = self.parse_not()
            return lambda issue: not inner(issue)
        if self.peek() == "(":
            self.take()
            inner = self.parse_or()
            self.expect(")")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        name = _unquote(self.take())
        key = self.fields.get(name.lower())
        if key is None:
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            )
        op = self.take().lower()
        if op == "is":
            negate = (self.peek() or "").lower() == "not"
            if negate:
                self.take()
            if self.take().lower() not in ("empty", "null"):
                raise JqlError("Error in the JQL Query: Expecting EMPTY or NULL after IS.")
            return lambda issue: _empty(issue.get(key)) != negate
        if op == "not":
            self.expect("in")
            values = self.values()
            return lambda issue: not _any(issue.get(key), lambda v: _in(v, values, self.zone))
        if op == "in":
            values = self.values()
            return lambda issue: _any(issue.get(key), lambda v: _in(v, values, self.zone))
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported.")
        value = _unquote(self.take())
        if op == "!=":
            return lambda issue: not _any(issue.get(key), lambda v: _equal(v, value, self.zone))
        if op == "=":
            return lambda issue: _any(issue.get(key), lambda v: _equal(v, value, self.zone))
        compare = _COMPARE[op]
        return lambda issue: _any(issue.get(key), lambda v: _ordered(v, value, self.zone, compare))

    def values(self) -> list[str]:
        self.expect("(")
        values = [_unquote(self.take())]
        while self.peek() == ",":
            self.take()
            values.append(_unquote(self.take()))
        self.expect(")")
        return values


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _unquote(token: str) -> str:
    if token[:1] in "\"'" and token[-1:] == token[:1] and len(token) >= 2:
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def _any(value: Any, test: Callable[[Any], bool]) -> bool:
    if isinstance(value, list | tuple):
        return any(test(item) for item in value)
    return value is not None and test(value)


def _as_moment(text: str, zone: ZoneInfo) -> datetime:
    match = _DATE.match(text)
    if match is None:
        raise JqlError(
            f"Date value '{text}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'."
        )
    year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def _as_comparable(value: Any, text: str, zone: ZoneInfo) -> tuple[Any, Any]:
    if isinstance(value, datetime):
        return value, _as_moment(text, zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone), _as_moment(text, zone)
    if isinstance(value, int | float):
        try:
            return value, float(text)
        except ValueError:
            raise JqlError(f"'{text}' is not a valid number.") from None
    return str(value).lower(), text.lower()


def _equal(value: Any, text: str, zone: ZoneInfo) -> bool:
    left, right = _as_comparable(value, text, zone)
    return bool(left == right)


def _in(value: Any, texts: list[str], zone: ZoneInfo) -> bool:
    return any(_equal(value, text, zone) for text in texts)


def _ordered(value: Any, text: str, zone: ZoneInfo, compare: Callable[[Any, Any], bool]) -> bool:
    left, right = _as_comparable(value, text, zone)
    return compare(left, right)


def parse(jql: str, zone: ZoneInfo, fields: Mapping[str, str]) -> Predicate:
    """``jql`` as a predicate over issues; :class:`JqlError` when Jira would refuse it."""
    tokens: list[str] = []
    position = 0
    text = jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: The character at {position} is unexpected.")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    if not tokens:
        return lambda issue: True
    parser = _Parser(tokens, zone, fields)
    predicate = parser.parse_or()
    if parser.peek() is not None:
        raise JqlError(f"Error in the JQL Query: Expecting operator but got '{parser.peek()}'.")
    return predicate
