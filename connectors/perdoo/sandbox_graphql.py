"""A small, strict GraphQL reader for the Perdoo sandbox: the subset syncd's documents use.

It reads one document (operations with variable definitions, fields with aliases, arguments
and nested selections; values of every literal kind and ``$variables``) and refuses the rest
(fragments, directives, subscriptions) with a :class:`GraphQLSyntaxError`, as a real server
refuses what it cannot parse. Test and demo code only (the sandbox imports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$():=@\[\]{}|&])
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


class GraphQLSyntaxError(Exception):
    """The document cannot be read (or uses what this reader does not support)."""


@dataclass(frozen=True)
class Variable:
    """A ``$name`` in a value position."""

    name: str


@dataclass(frozen=True)
class EnumValue:
    """A bare name in a value position (``ON_TRACK``)."""

    name: str


@dataclass(frozen=True)
class TypeRef:
    """A variable's declared type: ``Name``, ``Name!``, ``[Name]``…"""

    name: str | None
    of: TypeRef | None = None
    non_null: bool = False

    def __str__(self) -> str:
        inner = f"[{self.of}]" if self.of is not None else str(self.name)
        return inner + ("!" if self.non_null else "")


@dataclass(frozen=True)
class Field:
    """One selected field."""

    name: str
    alias: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    selections: tuple[Field, ...] = ()

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class Operation:
    """One ``query`` or ``mutation``."""

    kind: str
    name: str | None
    variables: dict[str, tuple[TypeRef, Any]]
    selections: tuple[Field, ...]


def parse(document: str) -> list[Operation]:
    """The operations of ``document``."""
    return _Parser(document).document()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise GraphQLSyntaxError(f"Syntax Error: Unexpected character {text[position]!r}.")
            position = match.end()
            kind = match.lastgroup or ""
            if kind != "skip":
                self.tokens.append((kind, match.group()))
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("eof", "<EOF>")

    def take(self, kind: str, text: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (text is not None and got != text):
            raise GraphQLSyntaxError(f"Syntax Error: Expected {text or kind}, found {got}.")
        self.at += 1
        return got

    def taking(self, kind: str, text: str) -> bool:
        if self.peek() == (kind, text):
            self.at += 1
            return True
        return False

    def document(self) -> list[Operation]:
        operations = []
        while self.peek()[0] != "eof":
            operations.append(self.operation())
        if not operations:
            raise GraphQLSyntaxError("Syntax Error: Unexpected <EOF>.")
        return operations

    def operation(self) -> Operation:
        kind, text = self.peek()
        if (kind, text) == ("punct", "{"):
            return Operation("query", None, {}, self.selection_set())
        if kind != "name" or text not in ("query", "mutation"):
            raise GraphQLSyntaxError(f"Syntax Error: Unexpected {text}.")
        self.at += 1
        name = self.take("name") if self.peek()[0] == "name" else None
        variables: dict[str, tuple[TypeRef, Any]] = {}
        if self.taking("punct", "("):
            while not self.taking("punct", ")"):
                self.take("punct", "$")
                variable = self.take("name")
                self.take("punct", ":")
                declared = self.type_ref()
                default = self.value(constant=True) if self.taking("punct", "=") else None
                variables[variable] = (declared, default)
        self.no_directives()
        return Operation(text, name, variables, self.selection_set())

    def type_ref(self) -> TypeRef:
        if self.taking("punct", "["):
            inner = self.type_ref()
            self.take("punct", "]")
            return TypeRef(None, inner, self.taking("punct", "!"))
        return TypeRef(self.take("name"), None, self.taking("punct", "!"))

    def selection_set(self) -> tuple[Field, ...]:
        self.take("punct", "{")
        fields = []
        while not self.taking("punct", "}"):
            if self.peek()[0] == "spread":
                raise GraphQLSyntaxError("Fragments are not supported by this server.")
            fields.append(self.field())
        if not fields:
            raise GraphQLSyntaxError("Syntax Error: Expected Name, found }.")
        return tuple(fields)

    def field(self) -> Field:
        name = self.take("name")
        alias = None
        if self.taking("punct", ":"):
            alias, name = name, self.take("name")
        arguments: dict[str, Any] = {}
        if self.taking("punct", "("):
            while not self.taking("punct", ")"):
                argument = self.take("name")
                self.take("punct", ":")
                arguments[argument] = self.value(constant=False)
        self.no_directives()
        selections = self.selection_set() if self.peek() == ("punct", "{") else ()
        return Field(name, alias, arguments, selections)

    def no_directives(self) -> None:
        if self.peek() == ("punct", "@"):
            raise GraphQLSyntaxError("Directives are not supported by this server.")

    def value(self, *, constant: bool) -> Any:
        kind, text = self.peek()
        if (kind, text) == ("punct", "$") and not constant:
            self.at += 1
            return Variable(self.take("name"))
        if (kind, text) == ("punct", "["):
            self.at += 1
            items = []
            while not self.taking("punct", "]"):
                items.append(self.value(constant=constant))
            return items
        if (kind, text) == ("punct", "{"):
            self.at += 1
            entries: dict[str, Any] = {}
            while not self.taking("punct", "}"):
                key = self.take("name")
                self.take("punct", ":")
                entries[key] = self.value(constant=constant)
            return entries
        self.at += 1
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            return _unquote(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, EnumValue(text))
        raise GraphQLSyntaxError(f"Syntax Error: Unexpected {text}.")


def _unquote(token: str) -> str:
    import json

    try:
        text: str = json.loads(token)
    except ValueError:
        raise GraphQLSyntaxError(f"Syntax Error: Invalid string {token}.") from None
    return text
