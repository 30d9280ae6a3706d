"""Errors, retries, rate limits and paging through the real jira client, and the kit."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest

from connectors.jira import JiraQuery
from connectors.jira.sandbox import JiraSandbox
from syncd.abc import DaySpan, MetricRequest, Observation, RequestFailed, Window
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.testing import ConnectorConformance, first_failure
from tests.connectors.jira.conftest import (
    API_TOKEN,
    EMAIL,
    OCTOBER,
    OCTOBER_DAYS,
    PAT,
    ZURICH,
    connector_for,
    in_october,
    make_sandbox,
    request,
    source_config,
    visible,
)

ESCAPED = {"jql": "project = ABC AND labels = escaped", "by": "created"}
SEARCH_JQL = "/rest/api/3/search/jql"


def one(connector: Any, query: dict[str, Any] = ESCAPED) -> Observation | RequestFailed:
    (result,) = connector.collect([request(query)])
    return result  # type: ignore[no-any-return]


def expected_escaped(sandbox: JiraSandbox) -> int:
    return sum(
        i.project == "ABC" and "escaped" in i.labels and in_october(i.created_at)
        for i in visible(sandbox)
    )


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_by_the_runner_not_the_client(
    fresh_cloud: JiraSandbox, status: int
) -> None:
    fresh_cloud.faults.add(SEARCH_JQL, status=status, times=2, retry_after=0.05)
    with connector_for(fresh_cloud) as connector:
        result = one(connector)
        stats = connector.context.stats
    assert isinstance(result, Observation)
    assert result.value == expected_escaped(fresh_cloud)
    # serverInfo, field, then search/jql three times: every HTTP request is a counted call.
    assert (stats.calls, stats.retries) == (5, 2)
    assert len(fresh_cloud.requests_to(SEARCH_JQL)) == 3
    assert len(fresh_cloud.requests) == stats.calls


def test_exact_count_follows_next_page_tokens() -> None:
    with make_sandbox("Cloud", id_page_limit=4) as sandbox, connector_for(sandbox) as connector:
        result = one(connector)
        pages = sandbox.requests_to(SEARCH_JQL)
    expected = expected_escaped(sandbox)
    assert isinstance(result, Observation) and result.value == expected
    assert len(pages) == math.ceil(expected / 4)
    assert "nextPageToken" not in pages[0].params
    assert all("nextPageToken" in page.params for page in pages[1:])


def test_data_center_counts_from_total_and_pages_fields_by_start_at() -> None:
    with make_sandbox("Server") as sandbox, connector_for(sandbox, page_size=10) as connector:
        assert one(connector).value == expected_escaped(sandbox)  # type: ignore[union-attr]
        (search,) = sandbox.requests_to("/rest/api/2/search")
        assert search.params["maxResults"] == ["1"]
        query = {
            "jql": "project = ABC",
            "by": "resolved",
            "measure": "sum",
            "field": "Story Points",
        }
        assert isinstance(one(connector, query), Observation)
        starts = [r.params["startAt"] for r in sandbox.requests_to("/rest/api/2/search")[1:]]
    assert starts[:3] == [["0"], ["10"], ["20"]]
    assert not sandbox.requests_to("/rest/api/3/")


def test_lasting_5xx_is_transient_and_never_retried_by_the_client(fresh_dc: JiraSandbox) -> None:
    fresh_dc.faults.add("/rest/api/2/search", status=500, times=5)
    with connector_for(fresh_dc) as connector, pytest.raises(TransientSourceError) as raised:
        first_failure([one(connector)])
    assert len(fresh_dc.requests_to("/rest/api/2/search")) == 3  # RetryPolicy(attempts=3)
    assert "Authorization" not in str(raised.value) and PAT not in str(raised.value)


def test_an_html_page_is_retried(fresh_cloud: JiraSandbox) -> None:
    fresh_cloud.faults.add(SEARCH_JQL, status=200, body="<html><body>Log in</body></html>")
    with connector_for(fresh_cloud) as connector:
        result = one(connector)
    assert isinstance(result, Observation)
    assert len(fresh_cloud.requests_to(SEARCH_JQL)) == 2


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_wrong_credentials_are_an_auth_error_without_them(deployment: str) -> None:
    with make_sandbox(deployment) as sandbox:
        wrong = {"api_token": "wrong-token"} if sandbox.cloud else {"token": "wrong-pat"}
        with connector_for(sandbox, **wrong) as connector, pytest.raises(AuthError) as raised:
            first_failure([one(connector)])
    assert "401" in str(raised.value) and "wrong-" not in str(raised.value)


def test_credentials_of_the_other_deployment_are_named(
    cloud_sandbox: JiraSandbox, dc_sandbox: JiraSandbox
) -> None:
    cloud_auth = {"type": "jira", "url": dc_sandbox.url, "email": EMAIL, "api_token": API_TOKEN}
    from connectors.jira import JiraConnector, JiraSourceConfig
    from tests.connectors.jira.conftest import fast_context

    connector = JiraConnector(JiraSourceConfig.model_validate(cloud_auth), fast_context())
    with connector, pytest.raises(AuthError, match="personal access token"):
        first_failure([one(connector)])
    pat_on_cloud = connector_for(cloud_sandbox, token=PAT, email=None, api_token=None)
    with pat_on_cloud, pytest.raises(AuthError, match="email \\+ api_token"):
        first_failure([one(pat_on_cloud)])


def test_check_names_the_account(sandbox: JiraSandbox) -> None:
    with connector_for(sandbox) as connector:
        said = connector.check()
    assert ("delivery@acme.example" if sandbox.cloud else "Delivery bot") in said


def _kit_requests(sandbox: JiraSandbox) -> list[tuple[MetricRequest[JiraQuery], float]]:
    november = Window(OCTOBER.end, datetime(2026, 11, 15, tzinfo=ZURICH))
    first = JiraQuery.model_validate(ESCAPED | {"exact": False})
    second = JiraQuery.model_validate(ESCAPED)
    november_count = sum(
        i.project == "ABC"
        and "escaped" in i.labels
        and november.start <= i.created_at < november.end
        for i in visible(sandbox)
    )
    return [
        (MetricRequest("conformance", first, OCTOBER, OCTOBER_DAYS), expected_escaped(sandbox)),
        (
            MetricRequest(
                "conformance", second, november, DaySpan(date(2026, 11, 1), date(2026, 11, 15))
            ),
            float(november_count),
        ),
    ]


class _JiraKit(ConnectorConformance):
    connector_name = "jira"
    secret_values = (API_TOKEN, PAT)
    deployment = "Cloud"
    count_path = "/search/approximate-count"

    @pytest.fixture
    def kit_sandbox(self) -> Any:
        with make_sandbox(self.deployment) as sandbox:
            yield sandbox

    @pytest.fixture
    def source_config(self, kit_sandbox: JiraSandbox) -> dict[str, Any]:
        return source_config(kit_sandbox)

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return dict(ESCAPED)

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
    def windowed_requests(self, kit_sandbox: JiraSandbox) -> list[tuple[MetricRequest, float]]:
        return _kit_requests(kit_sandbox)  # type: ignore[return-value]

    @pytest.fixture
    def arm_fault(self, kit_sandbox: JiraSandbox) -> Any:
        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            kit_sandbox.faults.clear()
            if times == 0:
                return
            if html:
                body = "<!DOCTYPE html><html><body>Log in to Atlassian</body></html>"
                kit_sandbox.faults.add(self.count_path, status=200, body=body, times=times)
            elif truncate:
                kit_sandbox.faults.add(self.count_path, status=200, truncate=True, times=times)
            else:
                kit_sandbox.faults.add(
                    self.count_path, status=status, retry_after=retry_after, times=times
                )

        yield arm
        kit_sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, kit_sandbox: JiraSandbox) -> Any:
        def arm(raw: str) -> None:
            kit_sandbox.raw_values[:] = [raw]

        yield arm
        kit_sandbox.raw_values.clear()

    @pytest.fixture
    def failure_cases(self, make_connector: Any, kit_sandbox: JiraSandbox) -> Any:
        def collect(connector: Any, query: dict[str, Any] = ESCAPED) -> Any:
            return connector.collect([request(query)])

        limited = make_sandbox(self.deployment, requests_per_window=2, rate_window=600)
        limited.start()
        broken = make_sandbox(self.deployment)
        broken.start()
        broken.faults.add("/search", status=502, times=10)
        wrong = {"api_token": "nope-nope"} if self.deployment == "Cloud" else {"token": "nope-nope"}
        yield {
            AuthError: lambda: collect(make_connector(**wrong)),
            QueryError: lambda: collect(make_connector(), {"jql": "project = = ABC"}),
            RateLimited: lambda: collect(make_connector(url=limited.url)),
            TransientSourceError: lambda: collect(make_connector(url=broken.url)),
        }
        limited.stop()
        broken.stop()


class TestJiraCloudConformance(_JiraKit):
    deployment = "Cloud"
    count_path = "/search/approximate-count"


class TestJiraDataCenterConformance(_JiraKit):
    deployment = "Server"
    count_path = "/rest/api/2/search"
