"""Reports keyed by the union of metrics: fewer calls, the values of exact metric sets."""

from __future__ import annotations

from datetime import date, timedelta

from ga4_helpers import facts_between, request, window

from syncd import cost
from syncd.abc import Observation
from syncd.collect import run_connector

END = date(2026, 11, 21)
SPANS = [(END - timedelta(days=days), END) for days in (7, 28, 51, 90)]
# Each window asks a different metric set: exact sets need a report per window.
ASKED = {
    SPANS[0]: ["sessions", "newUsers"],
    SPANS[1]: ["sessions", "totalUsers"],
    SPANS[2]: ["engagedSessions"],
    SPANS[3]: ["sessions", "keyEvents:sign_up", "screenPageViews"],
}


def requests() -> list:  # type: ignore[type-arg]
    return [
        request(metric, window(first, end), filter=scope)
        for scope in (None, {"deviceCategory": "mobile"})
        for (first, end), metrics in ASKED.items()
        for metric in metrics
    ]


def test_union_and_exact_metric_sets_give_identical_values(sandbox, make_connector) -> None:
    asked = requests()
    union = run_connector(make_connector(), asked)
    union_calls = len(sandbox.calls())
    exact = run_connector(make_connector(), asked, choose=cost.named("exact metric sets"))
    exact_calls = len(sandbox.calls()) - union_calls
    got = [r.value for r in union.results_in_order(asked) if isinstance(r, Observation)]
    assert len(got) == len(asked)
    assert got == [r.value for r in exact.results_in_order(asked)]  # type: ignore[union-attr]
    # Exact: 4 reports per filter = 8 reports, 2 calls; union: 1 report per filter, 1 call.
    assert (union_calls, exact_calls) == (1, 2)
    (call,) = sandbox.calls()[:1]
    assert sorted(len(r["dateRanges"]) for r in call.body["requests"]) == [4, 4]


def test_union_values_match_the_raw_facts(sandbox, make_connector) -> None:
    asked = requests()[:8]  # no filter
    results = run_connector(make_connector(), asked).results_in_order(asked)
    for req, result in zip(asked, results, strict=True):
        assert isinstance(result, Observation)
        first, last = req.days.first, req.days.last
        facts = facts_between(sandbox, first, last)
        if req.query.metric == "sessions":
            assert result.value == sum(f.sessions for f in facts)
        if req.query.metric == "engagedSessions":
            assert result.value == sum(f.engaged_sessions for f in facts)


def test_the_cheaper_packing_is_chosen(make_connector) -> None:
    plan = cost.plan(make_connector(), requests())
    (choice,) = plan.choices
    assert choice.chosen.name == "union of metrics"
    assert [a.calls for a in choice.alternatives] == [2, 1]
