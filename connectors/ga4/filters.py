"""The analysts' filter shorthand, turned into a Data API ``FilterExpression`` (REST JSON).

A filter is a mapping. Each key is a dimension with its condition, or ``and``/``or`` (a list
of filters) or ``not`` (a filter); several keys in one mapping must all hold::

    filter:
      sessionDefaultChannelGroup: Organic Search          # exact match
      landingPage: {begins_with: /blog/}
      deviceCategory: {in: [desktop, tablet]}
      not: {landingPage: {regex: "^/blog/drafts/.*"}}

Conditions: a string (exact), a list (in-list), a number (numeric equal), or a mapping with one
of ``exact``, ``in``, ``contains``, ``begins_with``, ``ends_with``, ``regex`` (full match),
``partial_regex``, ``eq``, ``gt``, ``gte``, ``lt``, ``lte``, ``between: [low, high]``,
``empty: true``, plus ``case_sensitive`` for the string ones (GA4's default: insensitive).
"""

from __future__ import annotations

import re
from typing import Any

_STRING_OPS = {
    "exact": "EXACT",
    "contains": "CONTAINS",
    "begins_with": "BEGINS_WITH",
    "ends_with": "ENDS_WITH",
    "regex": "FULL_REGEXP",
    "partial_regex": "PARTIAL_REGEXP",
}
_NUMERIC_OPS = {
    "eq": "EQUAL",
    "gt": "GREATER_THAN",
    "gte": "GREATER_THAN_OR_EQUAL",
    "lt": "LESS_THAN",
    "lte": "LESS_THAN_OR_EQUAL",
}
_GROUPS = ("and", "or")
_OPS = (*_STRING_OPS, *_NUMERIC_OPS, "in", "between", "empty")


def _numeric(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: {value!r} is not a number")
    if isinstance(value, int):
        return {"int64Value": str(value)}
    return {"doubleValue": value}


def _condition(field: str, spec: Any) -> dict[str, Any]:
    where = f"filter on {field!r}"
    if isinstance(spec, str):
        return {"fieldName": field, "stringFilter": {"matchType": "EXACT", "value": spec}}
    if isinstance(spec, list):
        return {"fieldName": field, "inListFilter": {"values": _strings(spec, where)}}
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return {
            "fieldName": field,
            "numericFilter": {"operation": "EQUAL", "value": _numeric(spec, where)},
        }
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a value, a list or a mapping, got {spec!r}")
    case = spec.get("case_sensitive")
    ops = [key for key in spec if key != "case_sensitive"]
    unknown = [key for key in ops if key not in _OPS]
    if unknown or len(ops) != 1:
        raise ValueError(
            f"{where}: give exactly one of {', '.join(_OPS)}"
            + (f" (unknown: {', '.join(map(str, unknown))})" if unknown else "")
        )
    if case is not None and not isinstance(case, bool):
        raise ValueError(f"{where}: case_sensitive must be true or false")
    (op,) = ops
    value = spec[op]
    if case is not None and op not in _STRING_OPS and op != "in":
        raise ValueError(f"{where}: case_sensitive applies to string conditions only")
    if op in _STRING_OPS:
        if not isinstance(value, str):
            raise ValueError(f"{where}: {op} needs a string, got {value!r}")
        if op in ("regex", "partial_regex"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{where}: invalid regular expression {value!r}: {exc}") from None
        string_filter: dict[str, Any] = {"matchType": _STRING_OPS[op], "value": value}
        if case is not None:
            string_filter["caseSensitive"] = case
        return {"fieldName": field, "stringFilter": string_filter}
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where}: in needs a non-empty list")
        in_list: dict[str, Any] = {"values": _strings(value, where)}
        if case is not None:
            in_list["caseSensitive"] = case
        return {"fieldName": field, "inListFilter": in_list}
    if op in _NUMERIC_OPS:
        return {
            "fieldName": field,
            "numericFilter": {"operation": _NUMERIC_OPS[op], "value": _numeric(value, where)},
        }
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(f"{where}: between needs [low, high]")
        return {
            "fieldName": field,
            "betweenFilter": {
                "fromValue": _numeric(value[0], where),
                "toValue": _numeric(value[1], where),
            },
        }
    if value is not True:
        raise ValueError(f"{where}: write empty: true")
    return {"fieldName": field, "emptyFilter": {}}


def _strings(values: list[Any], where: str) -> list[str]:
    if not values or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{where}: a list of values must hold strings")
    return [str(v) for v in values]


def to_filter_expression(spec: Any) -> dict[str, Any]:
    """The ``FilterExpression`` JSON for ``spec``; raises ``ValueError`` naming what is wrong."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"a filter is a non-empty mapping, got {spec!r}")
    parts: list[dict[str, Any]] = []
    for key, value in spec.items():
        if key in _GROUPS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"'{key}' needs a non-empty list of filters")
            expressions = [to_filter_expression(item) for item in value]
            parts.append({f"{key}Group": {"expressions": expressions}})
        elif key == "not":
            parts.append({"notExpression": to_filter_expression(value)})
        else:
            parts.append({"filter": _condition(str(key), value)})
    if len(parts) == 1:
        return parts[0]
    return {"andGroup": {"expressions": parts}}
