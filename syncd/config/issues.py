"""Turning pydantic validation errors into located, friendly :class:`ConfigIssue` s.

Pydantic reports locations that mix data keys with union-branch tags (``str``, ``QueryLeaf``,
``literal[...]``); here they are mapped back onto the data so each issue names the real key
path, its file and line, and one message per problem (not one per union branch).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from syncd.config.secrets import SECRET_SECTIONS
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue

SENSITIVE_SECTIONS = SECRET_SECTIONS

_EXPECTED = {
    "string_type": "a string",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "is_instance_of": "a mapping",
}


@dataclass(frozen=True)
class _Located:
    error: ErrorDetails
    path: KeyPath  # the data path, union tags removed
    union_at: int | None  # length of the path where the first union branch was taken


def validation_issues(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    data: Any,
    prefix: KeyPath,
    positions: SourceMap,
) -> list[ConfigIssue]:
    """One issue per problem in ``exc``, raised validating ``data`` (at ``prefix``) as ``model``."""
    located = [_locate(error, data) for error in exc.errors()]
    issues = []
    for item in _collapse_unions(located):
        if isinstance(item, list):
            issues.append(_union_issue(item, prefix, positions))
        else:
            issues.append(_issue(item, model, prefix, positions))
    return issues


def _locate(error: ErrorDetails, data: Any) -> _Located:
    node = data
    path: list[str | int] = []
    union_at = None
    loc = error["loc"]
    for index, part in enumerate(loc):
        if part == "[key]":
            break  # the error is about the key itself: its path is where it is written
        if _has(node, part):
            path.append(part)
            node = node[part]
        elif index == len(loc) - 1 and error["type"] == "missing":
            path.append(part)
        elif union_at is None:
            union_at = len(path)
    return _Located(error, tuple(path), union_at)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _collapse_unions(located: list[_Located]) -> list[_Located | list[_Located]]:
    """Keep the branch that explains the input; merge 'wrong type for every branch' into one."""
    groups: dict[KeyPath, list[_Located]] = {}
    for item in located:
        if item.union_at is not None:
            groups.setdefault(item.path[: item.union_at], []).append(item)
    out: list[_Located | list[_Located]] = []
    done: set[KeyPath] = set()
    for item in located:
        if item.union_at is None:
            out.append(item)
            continue
        point = item.path[: item.union_at]
        if point in done:
            continue
        done.add(point)
        group = groups[point]
        deep = [g for g in group if len(g.path) > len(point)]
        if deep:
            out.extend(deep)
            continue
        checks = [g for g in group if g.error["type"] in ("value_error", "assertion_error")]
        if checks:
            out.extend(checks)
        else:
            out.append(group)
    return out


def _issue(
    item: _Located, model: type[BaseModel], prefix: KeyPath, positions: SourceMap
) -> ConfigIssue:
    error = item.error
    path = prefix + item.path
    kind = error["type"]
    hint = None
    if kind == "extra_forbidden":
        key = str(path[-1])
        message = f"unknown key {key!r}"
        hint = _suggest(key, _field_names(model, error["loc"][:-1]), "allowed keys")
    elif kind == "missing":
        key = str(path[-1])
        message = f"missing key {key!r}"
        description = _field_description(model, error["loc"])
        hint = f"add '{key}: …' here" + (f" ({description})" if description else "")
    elif kind in ("value_error", "assertion_error"):
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        message = f"invalid value{_shown(error['input'], path)}: expected {expected}"
        options = [part.strip(" '\"") for part in expected.replace(" or ", ",").split(",")]
        if isinstance(error["input"], str):
            hint = _suggest(error["input"], [o for o in options if o], None)
    elif kind == "string_pattern_mismatch":
        message = f"invalid name{_shown(error['input'], path)}"
        description = _field_description(model, error["loc"]) or (
            "lower-case letters, digits, '-', '_' and '.'"
            if "[key]" in error["loc"]
            else str(error["msg"])
        )
        hint = f"use {description}"
    elif kind in ("too_short", "too_long"):
        ctx = error.get("ctx", {})
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        count = ctx.get("actual_length")
        message = (
            f"needs {'at least' if kind == 'too_short' else 'at most'} {bound} "
            f"item{'s' if bound != 1 else ''}, has {count}"
        )
    elif kind in _EXPECTED:
        message = f"invalid value{_shown(error['input'], path)}: expected {_EXPECTED[kind]}"
    else:
        text = str(error["msg"])
        message = text[:1].lower() + text[1:] + _shown(error["input"], path, prefix=", got")
    return positions.issue(message, path, hint, at=path[:-1] if kind == "missing" else path)


def _union_issue(group: list[_Located], prefix: KeyPath, positions: SourceMap) -> ConfigIssue:
    first = group[0]
    path = prefix + first.path
    wanted: list[str] = []
    for item in group:
        kind = item.error["type"]
        if kind == "literal_error":
            text = str(item.error.get("ctx", {}).get("expected", item.error["msg"]))
        else:
            text = _EXPECTED.get(kind, str(item.error["msg"]))
        if text not in wanted:
            wanted.append(text)
    return positions.issue(
        f"invalid value{_shown(first.error['input'], path)}: expected " + ", or ".join(wanted), path
    )


def _shown(value: Any, path: KeyPath, prefix: str = "") -> str:
    """`` 'x'`` to quote a bad value, or nothing: values under store/sources are never echoed."""
    if path and path[0] in SENSITIVE_SECTIONS:
        return ""
    if isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, list):
        text = "a list"
    else:
        text = repr(value)
        if len(text) > 60:
            text = text[:57] + "..."
    return f"{prefix} {text}"


def _suggest(word: str, options: Sequence[str], label: str | None) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if label and options:
        return f"{label}: " + ", ".join(options)
    return None


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(m) for m in get_args(tp) if m is not type(None)]
    return [tp]


def _is_model(tp: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _type_at(model: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """Follow a pydantic ``loc`` (with union tags) through the annotations, from ``model``."""
    tp: Any = model
    for part in loc:
        members = _members(_unwrap(tp))
        named = [m for m in members if getattr(m, "__name__", None) == part]
        if named:
            tp = named[0]
            continue
        step = None
        for member in members:
            origin = get_origin(member)
            if _is_model(member) and isinstance(part, str) and part in member.model_fields:
                step = member.model_fields[part].annotation
            elif origin is dict:
                step = get_args(member)[1]
            elif origin is list and isinstance(part, int):
                step = get_args(member)[0]
            if step is not None:
                break
        if step is None:
            return None
        tp = step
    return tp


def _field_names(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    for member in _members(_unwrap(_type_at(model, loc))):
        if _is_model(member):
            return list(member.model_fields)
    return []


def _field_description(model: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    if not loc:
        return None
    for member in _members(_unwrap(_type_at(model, loc[:-1]))):
        if _is_model(member) and loc[-1] in member.model_fields:
            return member.model_fields[str(loc[-1])].description
    return None
