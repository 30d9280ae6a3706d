"""Errors, retries, rate limits and the sandbox's own wire shapes, through httpx."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import connectors.zendesk
from connectors.zendesk import ZendeskQuery
from connectors.zendesk.limits import MinuteLimiter
from connectors.zendesk.sandbox import ZendeskSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.testing import ConnectorConformance, first_failure
from tests.connectors.zendesk.conftest import (
    EMAIL,
    OAUTH,
    TOKEN,
    ZURICH,
    connector_for,
    make_sandbox,
    visible,
)

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
COUNT = "/api/v2/search/count.json"
ONBOARDING = ZendeskQuery(search="type:ticket tags:onboarding")


def one(connector: Any, query: ZendeskQuery = ONBOARDING) -> Observation | RequestFailed:
    (result,) = list(connector.collect([MetricRequest("support", query, OCTOBER)]))
    return result


def expected_onboarding(sandbox: ZendeskSandbox) -> int:
    return sum(
        "onboarding" in t.tags and OCTOBER.start <= t.created_at < OCTOBER.end
        for t in visible(sandbox)
    )


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_counted(fresh_sandbox: ZendeskSandbox, status: int) -> None:
    fresh_sandbox.faults.add(COUNT, status=status, times=2, retry_after=0.05)
    with connector_for(fresh_sandbox) as connector:
        result = one(connector)
        stats = connector.context.stats
    assert isinstance(result, Observation)
    assert result.value == expected_onboarding(fresh_sandbox)
    assert (stats.calls, stats.retries) == (3, 2)
    assert len(fresh_sandbox.requests_to(COUNT)) == 3


def test_truncated_body_is_retried(fresh_sandbox: ZendeskSandbox) -> None:
    fresh_sandbox.faults.add(COUNT, status=200, truncate=True)
    with connector_for(fresh_sandbox) as connector:
        result = one(connector)
    assert isinstance(result, Observation)
    assert len(fresh_sandbox.requests_to(COUNT)) == 2


def test_lasting_5xx_is_transient(fresh_sandbox: ZendeskSandbox) -> None:
    fresh_sandbox.faults.add(COUNT, status=500, times=5)
    with connector_for(fresh_sandbox) as connector, pytest.raises(TransientSourceError):
        first_failure([one(connector)])
    assert len(fresh_sandbox.requests_to(COUNT)) == 3  # RetryPolicy(attempts=3)


def test_wrong_token_is_an_auth_error_without_the_token(zendesk_sandbox: ZendeskSandbox) -> None:
    with (
        connector_for(zendesk_sandbox, token="wrong-token") as connector,
        pytest.raises(AuthError) as raised,
    ):
        first_failure([one(connector)])
    assert "401" in str(raised.value) and "wrong-token" not in str(raised.value)


def test_unsupported_search_fails_that_request_only(zendesk_sandbox: ZendeskSandbox) -> None:
    with connector_for(zendesk_sandbox) as connector:
        bad = one(connector, ZendeskQuery(search="type:ticket assignee:me"))
        good = one(connector)
    assert isinstance(bad, RequestFailed) and isinstance(bad.error, QueryError)
    assert "422" in str(bad.error)
    assert isinstance(good, Observation)


def test_export_limit_answers_429_and_the_connector_waits(fresh_sandbox: ZendeskSandbox) -> None:
    sandbox = make_sandbox(export_requests_per_minute=1, rate_window=1.0, export_page_limit=500)
    with sandbox:
        request = MetricRequest("support", ZendeskQuery(measure="tickets"), OCTOBER)
        with connector_for(sandbox) as connector:
            (result,) = list(connector.collect([request]))
            retries = connector.context.stats.retries
    assert isinstance(result, Observation)
    assert result.value == sum(
        OCTOBER.start <= t.created_at < OCTOBER.end for t in visible(sandbox)
    )
    assert retries >= 1


def test_minute_limiter_paces_calls() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = MinuteLimiter(2, clock=lambda: clock[0], sleep=sleep)
    limiter.acquire()
    clock[0] = 10.0
    limiter.acquire()
    assert limiter.acquire() == 50.0  # the first call leaves the window at t=60
    assert slept == [50.0]


def test_search_pages_absolute_urls_from_host_and_the_1000_cap(
    zendesk_sandbox: ZendeskSandbox,
) -> None:
    auth = httpx.BasicAuth(f"{EMAIL}/token", TOKEN)
    port = zendesk_sandbox.url.rsplit(":", 1)[1]
    with httpx.Client(auth=auth, headers={"Host": f"support.example:{port}"}) as http:
        first = http.get(
            f"{zendesk_sandbox.url}/api/v2/search.json", params={"query": "type:ticket"}
        )
        body = first.json()
        assert body["count"] == len(visible(zendesk_sandbox)) > 1000
        assert len(body["results"]) == 100 and body["results"][0]["result_type"] == "ticket"
        assert body["next_page"].startswith(f"http://support.example:{port}/api/v2/search.json?")
        assert first.headers["X-Rate-Limit"] == "100000"
        past = http.get(
            f"{zendesk_sandbox.url}/api/v2/search.json", params={"query": "type:ticket", "page": 11}
        )
    assert past.status_code == 422
    assert past.json()["error"] == "invalid"


def test_ticket_metrics_shape_and_offset_paging(zendesk_sandbox: ZendeskSandbox) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {OAUTH}"}) as http:
        body = http.get(
            f"{zendesk_sandbox.url}/api/v2/ticket_metrics.json", params={"per_page": 2}
        ).json()
    newest = visible(zendesk_sandbox)[-1]
    first = body["ticket_metrics"][0]
    assert first["ticket_id"] == newest.id
    assert set(first["reply_time_in_minutes"]) == {"calendar", "business"}
    assert body["count"] == len(visible(zendesk_sandbox))
    assert "page=2" in body["next_page"]


def test_sample_config_loads() -> None:
    sample = Path(connectors.zendesk.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={"ZENDESK_TOKEN": "t", "ZENDESK_OAUTH": "o"}).config
    assert {source.type for source in config.sources.values()} == {"zendesk"}
    assert len(config.metrics) >= 6


class TestZendeskConformance(ConnectorConformance):
    connector_name = "zendesk"
    secret_values = (TOKEN, OAUTH)

    @pytest.fixture
    def source_config(self, zendesk_sandbox: ZendeskSandbox) -> dict[str, Any]:
        return {"type": "zendesk", "url": zendesk_sandbox.url, "email": EMAIL, "token": TOKEN}

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"search": "type:ticket tags:onboarding"}

    @pytest.fixture
    def make_connector(self, source_config: dict[str, Any], context: Any, connector_class: Any):
        made: list[Any] = []

        def make(**overrides: Any) -> Any:
            config = connector_class.config_model.model_validate(source_config | overrides)
            connector = connector_class(config, context)
            made.append(connector)
            return connector

        yield make
        for connector in made:
            connector.close()

    @pytest.fixture
    def windowed_requests(
        self, zendesk_sandbox: ZendeskSandbox
    ) -> list[tuple[MetricRequest, float]]:
        november = Window(OCTOBER.end, datetime(2026, 11, 15, tzinfo=ZURICH))
        pairs = []
        for window in (OCTOBER, november):
            expected = sum(
                "onboarding" in t.tags and window.start <= t.created_at < window.end
                for t in visible(zendesk_sandbox)
            )
            pairs.append((MetricRequest("support", ONBOARDING, window), float(expected)))
        return pairs

    @pytest.fixture
    def arm_fault(self, zendesk_sandbox: ZendeskSandbox) -> Any:
        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            zendesk_sandbox.faults.clear()
            if times == 0:
                return
            if html:
                body = "<!DOCTYPE html><html><body>Sign in to Zendesk</body></html>"
                zendesk_sandbox.faults.add(COUNT, status=200, body=body, times=times)
            elif truncate:
                zendesk_sandbox.faults.add(COUNT, status=200, truncate=True, times=times)
            else:
                zendesk_sandbox.faults.add(
                    COUNT, status=status, retry_after=retry_after, times=times
                )

        yield arm
        zendesk_sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, zendesk_sandbox: ZendeskSandbox) -> Any:
        def arm(raw: str) -> None:
            zendesk_sandbox.raw_counts[:] = [raw]

        yield arm
        zendesk_sandbox.raw_counts.clear()

    @pytest.fixture
    def failure_cases(self, make_connector: Any) -> dict[type, Any]:
        def collect(connector: Any, query: ZendeskQuery = ONBOARDING) -> Any:
            return list(connector.collect([MetricRequest("support", query, OCTOBER)]))

        limited = make_sandbox()
        limited.start()
        limited.faults.add(COUNT, status=429, times=10, retry_after=600)
        broken = make_sandbox()
        broken.start()
        broken.faults.add(COUNT, status=502, times=10)
        yield {
            AuthError: lambda: collect(make_connector(token="nope")),
            QueryError: lambda: collect(make_connector(), ZendeskQuery(search="type:ticket x")),
            RateLimited: lambda: collect(make_connector(url=limited.url)),
            TransientSourceError: lambda: collect(make_connector(url=broken.url)),
        }
        limited.stop()
        broken.stop()
