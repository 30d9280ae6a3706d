"""Error classes, retries, rate limits and OAuth refresh, through the real client."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.objects.exceptions import ApiException

from connectors.hubspot import HubSpotQuery
from connectors.hubspot.sandbox import (
    CLIENT_ID,
    CLIENT_SECRET,
    HTML_PAGE,
    REFRESH_TOKEN,
    HubSpotSandbox,
)
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.collect import run_connector
from syncd.errors import AuthError, RateLimited, SourceError, TransientSourceError
from tests.connectors.hubspot.conftest import ZURICH, MakeHubSpot, fast_context, within

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
SEARCH = "/crm/v3/objects/tickets/search"
QUERY = HubSpotQuery(object="tickets", date_property="createdate")


def expected_october_tickets(box: HubSpotSandbox) -> int:
    return sum(
        1 for t in box.records["tickets"] if within(t, "createdate", OCTOBER.start, OCTOBER.end)
    )


def collect_one(connector: Any) -> Observation:
    (result,) = connector.collect([MetricRequest("crm", QUERY, OCTOBER)])
    assert isinstance(result, Observation), result
    return result


def error_of(connector: Any) -> SourceError:
    """The error the one request failed with (the runner never raises a source's failure)."""
    (result,) = connector.collect([MetricRequest("crm", QUERY, OCTOBER)])
    assert isinstance(result, RequestFailed), result
    return result.error


@pytest.fixture
def box() -> Any:
    with HubSpotSandbox(search_per_second=None) as fresh:
        yield fresh


def test_429_with_retry_after_is_retried_and_counted(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add(SEARCH, status=429, times=2, retry_after=0.01)
    connector = make_hubspot(box)
    waits: list[float] = []
    connector.context.sleep = waits.append
    outcome = run_connector(connector, [MetricRequest("crm", QUERY, OCTOBER)])
    assert outcome.outcome == "ok"
    (result,) = outcome.results.values()
    assert isinstance(result, Observation) and result.value == expected_october_tickets(box)
    assert (outcome.stats.calls, outcome.stats.retries) == (3, 2)
    assert len(waits) == 2 and all(wait >= 0.01 for wait in waits)
    assert (connector.context.stats.calls, connector.context.stats.retries) == (3, 2)
    assert len(box.calls(SEARCH)) == 3


def test_5xx_and_truncated_bodies_are_transient(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add(SEARCH, status=502)
    box.faults.add(SEARCH, truncate=True)
    connector = make_hubspot(box)
    assert collect_one(connector).value == expected_october_tickets(box)
    assert connector.context.stats.retries == 2
    box.faults.add(SEARCH, status=503, times=5)
    error = error_of(make_hubspot(box))
    assert isinstance(error, TransientSourceError)
    assert str(error).startswith("crm: HubSpot answered 503 to search tickets")


def test_truncated_body_alone_is_a_transient_error(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add(SEARCH, truncate=True, times=5)
    error = error_of(make_hubspot(box))
    assert isinstance(error, TransientSourceError)
    assert "HubSpot search tickets failed (ProtocolError" in str(error)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (HTML_PAGE, "an HTML page instead of JSON (a proxy or a login page?)"),
        ("", "an empty body"),
        ('{"total": 12, "results": [', "a truncated or non-JSON body"),
        ("[1, 2, 3]", "a document without a total"),
        ('{"total": 3, "results": {}}', "a document without a results list"),
        (
            '{"total": 1, "results": [{"id": "7"}]}',
            "a document without an id and properties for each result",
        ),
    ],
)
def test_a_2xx_body_that_is_not_the_search_answer_is_transient(
    box, make_hubspot: MakeHubSpot, body: str, problem: str
) -> None:
    box.faults.add(SEARCH, status=200, body=body, times=5)
    error = error_of(make_hubspot(box))
    assert isinstance(error, TransientSourceError)
    assert str(error) == f"crm: HubSpot search tickets returned {problem}"
    assert len(box.calls(SEARCH)) == 3  # retried like any transient failure


def test_malformed_pipelines_are_transient(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add("/crm/v3/pipelines/tickets", status=200, body='{"results": [{"id": 1}]}')
    connector = make_hubspot(box, context=fast_context(attempts=1))
    query = HubSpotQuery(object="tickets", stages=("New",))
    (result,) = connector.collect([MetricRequest("crm", query, Window(OCTOBER.end, OCTOBER.end))])
    assert isinstance(result, RequestFailed)
    assert str(result.error) == (
        "crm: HubSpot pipelines of tickets returned a document without pipelines with ids, "
        "labels and stages"
    )


def test_rate_limit_past_retries_is_rate_limited(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add(SEARCH, status=429, times=5, retry_after=0.01)
    error = error_of(make_hubspot(box))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 0.01
    assert "(RATE_LIMIT: You have reached your secondly limit. (policy SECONDLY))" in str(error)


def test_daily_limit_stops_at_once(make_hubspot: MakeHubSpot) -> None:
    with HubSpotSandbox(search_per_second=None, daily_limit=1) as box:
        connector = make_hubspot(box)
        assert collect_one(connector).value == expected_october_tickets(box)
        error = error_of(connector)
        assert isinstance(error, RateLimited) and "policy DAILY" in str(error)
        assert error.retry_after is not None and error.retry_after > 0.05
        assert connector.context.stats.calls == 2  # no retry: the wait exceeds max_retry_after


def test_search_rate_limit_body_and_recovery(make_hubspot: MakeHubSpot) -> None:
    with HubSpotSandbox(search_per_second=5) as box:
        api = HubSpot(access_token=box.private_app_token, host=box.url).crm.objects.search_api
        request = PublicObjectSearchRequest(limit=1)
        for _ in range(5):
            api.do_search("tickets", request)
        with pytest.raises(ApiException) as raised:
            api.do_search("tickets", request)
        assert raised.value.status == 429
        body = json.loads(raised.value.body)
        assert (body["status"], body["errorType"], body["policyName"]) == (
            "error",
            "RATE_LIMIT",
            "SECONDLY",
        )
        assert body["message"] == "You have reached your secondly limit."
        # Unpaced, 7 searches within a second: the 6th is refused and retried after 1 s.
        context = fast_context(max_retry_after=2.0)
        connector = make_hubspot(box, context=context)
        requests = [
            MetricRequest(
                "crm", HubSpotQuery(object="tickets", date_property="createdate"), OCTOBER
            )
            for _ in range(7)
        ]
        results = list(connector.collect(requests))
        assert all(isinstance(r, Observation) for r in results)
        assert context.stats.retries >= 1


def test_paced_searches_stay_under_the_limit(make_hubspot: MakeHubSpot) -> None:
    with HubSpotSandbox(search_per_second=5) as box:
        connector = make_hubspot(box, search_requests_per_second=4)
        days = [
            Window(
                datetime(2026, 10, day, tzinfo=ZURICH), datetime(2026, 10, day + 1, tzinfo=ZURICH)
            )
            for day in range(1, 7)
        ]
        requests = [MetricRequest("crm", QUERY, day) for day in days]
        assert all(isinstance(r, Observation) for r in connector.collect(requests))
        assert (connector.context.stats.calls, connector.context.stats.retries) == (6, 0)


def test_bad_private_app_token_is_an_auth_error(box, make_hubspot: MakeHubSpot) -> None:
    error = error_of(make_hubspot(box, token="pat-wrong-token"))
    assert isinstance(error, AuthError) and "INVALID_AUTHENTICATION" in str(error)
    assert "pat-wrong-token" not in str(error)
    assert len(box.calls(SEARCH)) == 1


def oauth(**overrides: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        **overrides,
    }


def test_oauth_refreshes_before_the_first_call_and_after_expiry(
    box, make_hubspot: MakeHubSpot
) -> None:
    connector = make_hubspot(box, oauth=oauth())
    expected = expected_october_tickets(box)
    assert collect_one(connector).value == expected
    (exchange,) = box.calls("/oauth/v1/token")
    assert exchange.body["grant_type"] == ["refresh_token"]
    assert exchange.body["refresh_token"] == [REFRESH_TOKEN]
    box.expire_tokens()
    assert collect_one(connector).value == expected
    assert len(box.calls("/oauth/v1/token")) == 2
    assert connector.tokens.refreshes == 2
    # search, search refused (expired), search again
    assert len(box.calls(SEARCH)) == 3


def test_oauth_with_a_bad_refresh_token_is_an_auth_error(box, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot(box, oauth=oauth(refresh_token="stolen-and-revoked"))
    error = error_of(connector)
    assert isinstance(error, AuthError) and "BAD_REFRESH_TOKEN" in str(error)
    assert "stolen-and-revoked" not in str(error)
    assert box.calls(SEARCH) == []
    assert len(box.calls("/oauth/v1/token")) == 1  # a refused credential is not retried


def test_latency_within_the_timeout_is_fine(box, make_hubspot: MakeHubSpot) -> None:
    box.faults.add(SEARCH, latency=0.3)
    error = error_of(make_hubspot(box, timeout_seconds=0.1, context=fast_context(attempts=1)))
    assert isinstance(error, TransientSourceError) and "ReadTimeoutError" in str(error)
    box.faults.add(SEARCH, latency=0.05)
    assert math.isclose(collect_one(make_hubspot(box)).value, expected_october_tickets(box))
