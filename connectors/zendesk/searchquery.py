"""The subset of the Zendesk search language the sandbox understands, evaluated on tickets.

Supported terms (space separated; values may be "quoted"; ``-term`` negates):

- ``type:ticket`` (required: the sandbox only holds tickets);
- ``status:open`` and comparisons along new < open < pending < hold < solved < closed
  (``status<solved`` is every unsolved ticket);
- ``tags:onboarding`` (``tag:`` too), ``priority:high`` (and comparisons), ``group:`` and
  ``brand:`` by id or by name;
- ``created``/``updated``/``solved`` with ``:``, ``<``, ``>``, ``<=``, ``>=`` and a date
  (``2026-10-01``, compared by UTC day) or an ISO 8601 instant (``2026-10-01T00:00:00Z``).

As in Zendesk, equality terms on the same field are alternatives (``tags:a tags:b`` is either
tag); everything else must hold together. Anything else is rejected, so a test can never pass
on a term the sandbox silently ignored.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from connectors.zendesk.data import BRANDS, GROUPS, PRIORITIES, TicketRecord

STATUS_ORDER = ("new", "open", "pending", "hold", "solved", "closed")
_TERM = re.compile(r"^(-?)([a-z_]+)(<=|>=|:|<|>)(.+)$")
_DATE_FIELDS = ("created", "updated", "solved")
_Ordered = TypeVar("_Ordered", int, date)


class SearchSyntaxError(ValueError):
    """The query uses syntax or a field the sandbox does not support."""


@dataclass(frozen=True)
class Term:
    negated: bool
    field: str
    op: str
    value: str


def _compare(op: str, left: _Ordered, right: _Ordered) -> bool:
    if op == ":":
        return left == right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _moment(value: str) -> datetime | date:
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise SearchSyntaxError(f"{value!r}: give the time zone (Z or ±hh:mm)")
            return moment.astimezone(UTC)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise SearchSyntaxError(f"{value!r} is not a date or ISO 8601 time") from exc


def _by_id_or_name(value: str, names: dict[int, str], what: str) -> int:
    if value.isdigit():
        return int(value)
    for key, name in names.items():
        if name.lower() == value.lower():
            return key
    raise SearchSyntaxError(f"no {what} named {value!r}")


def _ordinal(value: str, order: tuple[str, ...], what: str) -> int:
    if value not in order:
        raise SearchSyntaxError(f"unknown {what} {value!r} (one of {', '.join(order)})")
    return order.index(value)


Predicate = Callable[[TicketRecord, datetime], bool]


def _predicate(term: Term) -> Predicate:
    field, op, value = term.field, term.op, term.value
    if field == "status":
        wanted = _ordinal(value, STATUS_ORDER, "status")
        return lambda t, now: _compare(op, STATUS_ORDER.index(t.status_at(now)), wanted)
    if field == "priority":
        rank = _ordinal(value, PRIORITIES, "priority")
        return lambda t, now: _compare(op, PRIORITIES.index(t.priority), rank)
    if field in ("tags", "tag"):
        if op != ":":
            raise SearchSyntaxError("tags only supports ':'")
        return lambda t, now: value in t.tags
    if field in ("group", "brand"):
        if op != ":":
            raise SearchSyntaxError(f"{field} only supports ':'")
        key = _by_id_or_name(value, GROUPS if field == "group" else BRANDS, field)
        attribute = "group_id" if field == "group" else "brand_id"
        return lambda t, now: getattr(t, attribute) == key
    if field in _DATE_FIELDS:
        bound = _moment(value)

        def at(t: TicketRecord, now: datetime) -> datetime | None:
            if field == "created":
                return t.created_at
            if field == "updated":
                return t.updated_at(now)
            return t.solved_at if t.solved_at <= now else None

        def check(t: TicketRecord, now: datetime) -> bool:
            moment = at(t, now)
            if moment is None:
                return False
            left: datetime | date = moment if isinstance(bound, datetime) else moment.date()
            return _compare(op, left, bound)

        return check
    raise SearchSyntaxError(f"the sandbox does not support the search field {field!r}")


def _negate(predicate: Predicate) -> Predicate:
    return lambda t, now: not predicate(t, now)


@dataclass(frozen=True)
class TicketQuery:
    """A parsed query: call :meth:`matches` per ticket."""

    groups: tuple[tuple[Predicate, ...], ...]
    """Each group must hold; inside a group any predicate may (same-field equalities)."""

    def matches(self, ticket: TicketRecord, now: datetime) -> bool:
        return all(any(p(ticket, now) for p in group) for group in self.groups)


def parse(query: str) -> TicketQuery:
    """Parse ``query``; raises :class:`SearchSyntaxError` for anything unsupported."""
    try:
        words = shlex.split(query)
    except ValueError as exc:
        raise SearchSyntaxError(str(exc)) from exc
    terms: list[Term] = []
    for word in words:
        match = _TERM.match(word)
        if not match:
            raise SearchSyntaxError(
                f"{word!r}: the sandbox supports only field:value terms, not free text"
            )
        negated, field, op, value = match.groups()
        terms.append(Term(bool(negated), field, op, value))
    types = [term for term in terms if term.field == "type"]
    if [(term.op, term.value, term.negated) for term in types] != [(":", "ticket", False)]:
        raise SearchSyntaxError("give exactly one type:ticket (the sandbox holds only tickets)")
    alternatives: dict[str, list[Predicate]] = {}
    groups: list[tuple[Predicate, ...]] = []
    for term in terms:
        if term.field == "type":
            continue
        predicate = _predicate(term)
        if term.negated:
            groups.append((_negate(predicate),))
        elif term.op == ":" and term.field not in _DATE_FIELDS:
            alternatives.setdefault(term.field, []).append(predicate)
        else:
            groups.append((predicate,))
    groups.extend(tuple(predicates) for predicates in alternatives.values())
    return TicketQuery(tuple(groups))
