"""Local evaluation of search filters (the shared scan), case by case, values written out."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.hubspot import scan

OCT_1_MS = "1790812800000"  # 2026-10-01T00:00:00Z
NOV_1_MS = "1793491200000"  # 2026-11-01T00:00:00Z
DEAL = {
    "closedate": "2026-10-15T09:30:00.000Z",
    "amount": "1884.53",
    "deal_segment": "Newcomer",
    "dealstage": "closedwon",
    "hs_is_closed": "true",
    "notes": "",
}


def f(prop: str, op: str, **operands: Any) -> dict[str, Any]:
    return {"propertyName": prop, "operator": op, **operands}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([[f("closedate", "GTE", value=OCT_1_MS), f("closedate", "LT", value=NOV_1_MS)]], True),
        ([[f("closedate", "GTE", value=NOV_1_MS)]], False),
        ([[f("closedate", "LT", value="1792058400000")]], True),  # 15 Oct 10:00 Z
        ([[f("closedate", "LT", value="1792054800000")]], False),  # 15 Oct 09:00 Z
        ([[f("deal_segment", "EQ", value="newcomer")]], True),  # text ignores case
        ([[f("deal_segment", "NEQ", value="NEWCOMER")]], False),
        ([[f("amount", "GT", value="1000")]], True),  # numbers compare as numbers
        ([[f("amount", "LT", value="200")]], False),  # "1884.53" < "200" as text, not as numbers
        ([[f("amount", "BETWEEN", value="1000", highValue="1884.53")]], True),
        ([[f("dealstage", "IN", values=["closedlost", "closedwon"])]], True),
        ([[f("dealstage", "NOT_IN", values=["closedwon"])]], False),
        ([[f("hs_is_closed", "EQ", value="true")]], True),
        ([[f("notes", "HAS_PROPERTY")]], False),  # empty is absent
        ([[f("missing", "NOT_HAS_PROPERTY")]], True),
        ([[f("missing", "NEQ", value="x")]], True),  # absent: only the negative operators hold
        ([[f("missing", "EQ", value="x")]], False),
        ([[f("amount", "LT", value="200")], [f("dealstage", "EQ", value="closedwon")]], True),
        ([], True),
    ],
)
def test_a_filter_group_holds_as_hubspot_evaluates_it(
    groups: list[list[dict[str, Any]]], expected: bool
) -> None:
    assert scan.matches(groups, DEAL) is expected


def test_the_properties_a_scan_must_read() -> None:
    assert "CONTAINS_TOKEN" not in scan.LOCAL_OPERATORS
    assert scan.properties_of([[f("a", "EQ", value="1")], [f("b", "HAS_PROPERTY")]]) == {"a", "b"}
