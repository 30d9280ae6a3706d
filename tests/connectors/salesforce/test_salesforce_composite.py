"""Composite batch: up to 25 SOQL queries per call, the same values as a query each.

Expected values come from the sandbox's raw records with plain Python.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, timedelta
from typing import Any

import requests as http
from sf_support import local, password_config
from test_salesforce_connector import LEADS_CREATED, NEWCOMER_REVENUE, request

from connectors.salesforce.sandbox import SalesforceSandbox
from syncd import cost
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.collect import run_connector

BROKEN = "SELECT COUNT() FROM Nowhere WHERE CreatedDate >= {window_start:datetime}"


def windows(n: int) -> list[Window]:
    """``n`` distinct windows ending on 21 November 2026, one day longer each."""
    end = local(2026, 11, 21)
    return [Window(end - timedelta(days=3 + i), end) for i in range(n)]


def leads_created(records: dict[str, Any], window: Window) -> int:
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    return sum(1 for lead in records["Lead"] if start <= lead["CreatedDate"] < end)


def newcomer_revenue(records: dict[str, Any], first: date, end: date) -> float:
    return math.fsum(
        o["Amount"]
        for o in records["Opportunity"]
        if o["IsWon"] and o["Segment__c"] == "Newcomer" and first <= o["CloseDate"] < end
    )


def asked(n_leads: int, n_revenue: int) -> list[MetricRequest[Any]]:
    leads = [request(w, soql=LEADS_CREATED) for w in windows(n_leads)]
    revenue = [request(w, soql=NEWCOMER_REVENUE, if_null=0) for w in windows(n_revenue)]
    return [*leads, *revenue, request(windows(1)[0], soql=BROKEN)]


def values(outcome: Any, requests: list[MetricRequest[Any]]) -> list[float | str]:
    out: list[float | str] = []
    for result in outcome.results_in_order(requests):
        out.append(result.value if isinstance(result, Observation) else type(result).__name__)
    return out


def test_thirty_queries_take_two_composite_calls_with_each_value_right(
    sandbox: SalesforceSandbox, connect: Any
) -> None:
    requests = asked(20, 10)  # 31 requests
    connector = connect(password_config(sandbox))
    sandbox.requests.clear()
    outcome = run_connector(connector, requests)
    posts = [r for r in sandbox.requests if r.path.endswith("/composite/batch")]
    # The first query goes alone (it reports the org's API usage), then 24 + 6 in batches.
    assert [len(json.loads(r.body)["batchRequests"]) for r in posts] == [24, 6]
    assert len([r for r in sandbox.requests if "/query" in r.path]) == 1
    results = outcome.results_in_order(requests)
    for req, result in zip(requests[:20], results[:20], strict=True):
        assert isinstance(result, Observation)
        assert result.value == leads_created(sandbox.records, req.window)
    for req, result in zip(requests[20:30], results[20:30], strict=True):
        assert isinstance(result, Observation) and req.days is not None
        assert math.isclose(
            result.value, newcomer_revenue(sandbox.records, req.days.first, req.days.end)
        )
    assert isinstance(results[30], RequestFailed)  # refused by Salesforce: that request only
    assert "Nowhere" in str(results[30].error)


def test_composite_and_a_query_each_give_identical_values(
    sandbox: SalesforceSandbox, connect: Any
) -> None:
    requests = asked(7, 5)
    batched = run_connector(connect(password_config(sandbox)), requests)
    sandbox.requests.clear()
    each = run_connector(connect(password_config(sandbox)), requests, choose=cost.plain)
    assert len([r for r in sandbox.requests if "/query" in r.path]) == len(requests)
    assert values(batched, requests) == values(each, requests)
    assert values(each, requests)[-1] == "RequestFailed"


def test_a_single_query_is_not_wrapped_in_a_batch(sandbox: SalesforceSandbox, connect: Any) -> None:
    connector = connect(password_config(sandbox))
    plan = cost.plan(connector, [request(windows(1)[0], soql=LEADS_CREATED)])
    assert [choice.chosen.name for choice in plan.choices] == ["query each"]
    assert plan.calls == 1


def test_the_sandbox_refuses_more_than_25_subrequests(
    sandbox: SalesforceSandbox, connect: Any
) -> None:
    connector = connect(password_config(sandbox))
    client = connector._client_now()
    url = f"https://{client.sf_instance}/services/data/v59.0/composite/batch"
    sub = {"method": "GET", "url": "v59.0/query/?q=SELECT+COUNT()+FROM+Lead"}
    answer = http.post(
        url,
        json={"batchRequests": [sub] * 26},
        headers={"Authorization": f"Bearer {client.session_id}"},
        verify=sandbox.ca_file,
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "INVALID_BATCH_REQUEST"
    fine = http.post(
        url,
        json={"batchRequests": [sub] * 2},
        headers={"Authorization": f"Bearer {client.session_id}"},
        verify=sandbox.ca_file,
        timeout=10,
    ).json()
    assert fine["hasErrors"] is False
    assert [r["result"]["totalSize"] for r in fine["results"]] == [len(sandbox.records["Lead"])] * 2
