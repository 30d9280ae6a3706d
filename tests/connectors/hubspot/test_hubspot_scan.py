"""One shared search per object type, filters evaluated locally: the same values as a search
each, and values matching the raw records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.hubspot import HubSpotQuery, SearchFilter
from connectors.hubspot.sandbox import HubSpotSandbox
from syncd import cost
from syncd.abc import MetricRequest, Observation, Strategy, Window
from syncd.collect import run_connector
from tests.connectors.hubspot.conftest import ZURICH, MakeHubSpot, request, within

END = datetime(2026, 11, 21, tzinfo=ZURICH)
WINDOWS = [Window(END - timedelta(days=days), END) for days in (7, 28, 51, 90)]
SEGMENT = SearchFilter(property="deal_segment", value="newcomer")


def queries() -> list[HubSpotQuery]:
    won = {"pipeline": "Sales Pipeline", "stages": ("Closed Won",)}
    return [
        HubSpotQuery(object="deals", date_property="closedate", **won),
        HubSpotQuery(object="deals", date_property="closedate", filters=(SEGMENT,), **won),
        HubSpotQuery(
            object="deals",
            date_property="closedate",
            pipeline="Sales Pipeline",
            stages=("Closed Won", "Closed Lost"),
        ),
        HubSpotQuery(object="deals", date_property="closedate", aggregate="sum", property="amount"),
        HubSpotQuery(object="deals", date_property="closedate", aggregate="avg", property="amount"),
        HubSpotQuery(object="deals", date_property="closedate", aggregate="max", property="amount"),
        HubSpotQuery(object="deals", date_property="closedate", date_type="date"),
        HubSpotQuery(
            object="deals",
            date_property="createdate",
            any_of=(
                (SearchFilter(property="deal_segment", operator="NEQ", value="NEWCOMER"),),
                (SearchFilter(property="amount", operator="GT", value=5000),),
            ),
        ),
        HubSpotQuery(object="companies", date_property="hs_v2_date_entered_customer"),
        HubSpotQuery(object="companies", date_property="churn_date"),
        HubSpotQuery(
            object="companies",
            date_property="churn_date",
            filters=(
                SearchFilter(
                    property="annualrevenue", operator="BETWEEN", value=500_000, high_value=3e6
                ),
            ),
        ),
        HubSpotQuery(object="contacts", date_property="createdate"),
    ]


def asked() -> list[MetricRequest[Any]]:
    return [request(query, window) for query in queries() for window in WINDOWS]


def scans(alternatives: Sequence[Strategy[Any]]) -> Strategy[Any]:
    """Always the shared scan where one is offered."""
    return next((a for a in alternatives if a.name.startswith("one scan")), alternatives[0])


def outcome_values(outcome: Any, requests: list[MetricRequest[Any]]) -> list[Any]:
    return [
        r.value if isinstance(r, Observation) else f"failed: {r.error}"
        for r in outcome.results_in_order(requests)
    ]


def test_a_scan_and_a_search_each_give_identical_values(
    sandbox: HubSpotSandbox, make_hubspot: MakeHubSpot
) -> None:
    requests = asked()
    scanned = make_hubspot(scan_max_pages=50)
    by_scan = run_connector(scanned, requests, choose=scans)
    each = make_hubspot()
    by_search = run_connector(each, requests, choose=cost.plain)
    assert outcome_values(by_scan, requests) == outcome_values(by_search, requests)
    assert all(isinstance(r, Observation) for r in by_scan.results_in_order(requests))
    # A search each: a call per request or more (sums page), a pipelines call; scans: pages.
    assert by_search.stats.calls > len(requests)
    assert by_scan.stats.calls < len(requests) // 2


def test_scanned_values_match_the_raw_records(
    sandbox: HubSpotSandbox, make_hubspot: MakeHubSpot
) -> None:
    requests = asked()
    results = run_connector(make_hubspot(scan_max_pages=50), requests, choose=scans)
    values = outcome_values(results, requests)
    for index, window in enumerate(WINDOWS):
        won = [
            d
            for d in sandbox.records["deals"]
            if d.properties["pipeline"] == "default"
            and d.properties["dealstage"] == "closedwon"
            and within(d, "closedate", window.start, window.end)
        ]
        assert values[index] == len(won)
        newcomers = [d for d in won if d.properties["deal_segment"] == "newcomer"]
        assert values[len(WINDOWS) + index] == len(newcomers)
        amounts = [
            float(d.properties["amount"])
            for d in sandbox.records["deals"]
            if d.properties["amount"] and within(d, "closedate", window.start, window.end)
        ]
        assert abs(values[3 * len(WINDOWS) + index] - sum(amounts)) < 1e-6
        assert values[5 * len(WINDOWS) + index] == max(amounts)
        churned = [
            c
            for c in sandbox.records["companies"]
            if within(c, "churn_date", window.start, window.end)
        ]
        assert values[9 * len(WINDOWS) + index] == len(churned)


def test_the_cheaper_way_is_chosen(sandbox: HubSpotSandbox, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot()  # scan_max_pages 10: a scan is estimated at 10 calls
    few = [request(queries()[0], window) for window in WINDOWS]
    assert [c.chosen.name for c in cost.plan(connector, few).choices] == ["search each"]
    many = [request(q, w) for q in queries()[:7] for w in WINDOWS]  # 28 deal requests
    (choice,) = cost.plan(connector, many).choices
    assert (choice.chosen.name, choice.chosen.calls) == ("one scan of deals", 10)
    never = make_hubspot(scan_max_pages=0)
    assert [c.chosen.name for c in cost.plan(never, many).choices] == ["search each"]


def test_a_token_search_is_never_scanned(make_hubspot: MakeHubSpot) -> None:
    token = HubSpotQuery(
        object="tickets",
        date_property="createdate",
        filters=(SearchFilter(property="subject", operator="CONTAINS_TOKEN", value="invoice"),),
    )
    plain = HubSpotQuery(object="tickets", date_property="createdate")
    plan = cost.plan(
        make_hubspot(scan_max_pages=1),
        [request(token, WINDOWS[0])] + [request(plain, w) for w in WINDOWS],
    )
    names = sorted(c.chosen.name for c in plan.choices)
    assert names == ["one scan of tickets", "search each"]
    alone = next(c for c in plan.choices if c.chosen.name == "search each")
    assert alone.chosen.batches == [[request(token, WINDOWS[0])]]


def test_a_scan_beyond_its_page_limit_falls_back_to_a_search_each(
    sandbox: HubSpotSandbox, make_hubspot: MakeHubSpot
) -> None:
    requests = [request(queries()[6], window) for window in WINDOWS]
    connector = make_hubspot(scan_max_pages=1)  # deals in 90 days take more than one page
    by_scan = run_connector(connector, requests, choose=scans)
    by_search = run_connector(make_hubspot(), requests, choose=cost.plain)
    assert outcome_values(by_scan, requests) == outcome_values(by_search, requests)
    assert by_scan.stats.calls == 1 + len(requests)  # the first page, then a search each
