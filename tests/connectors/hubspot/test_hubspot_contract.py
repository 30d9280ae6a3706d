"""The conformance kit, the config and query models, the sample config and the sandbox's
wire shapes as the SDK's own models read them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.objects.exceptions import ApiException
from pydantic import ValidationError

import connectors.hubspot
from connectors.hubspot import HubSpotConnector, HubSpotQuery, HubSpotSourceConfig, SearchFilter
from connectors.hubspot.data import PIPELINES
from connectors.hubspot.sandbox import HTML_PAGE, HubSpotSandbox
from syncd.abc import MetricRequest, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.testing import ConnectorConformance
from tests.connectors.hubspot.conftest import ZURICH, within

SECRET = "pat-conformance-s3cr3t"


@pytest.fixture(scope="module")
def box() -> Any:
    """A sandbox whose private-app token is the secret the kit watches for."""
    with HubSpotSandbox(search_per_second=None, private_app_token=SECRET) as sandbox:
        yield sandbox


class TestHubSpotConformance(ConnectorConformance):
    connector_name = "hubspot"
    secret_values = (SECRET, "oauth-client-s3cr3t")

    @pytest.fixture
    def source_config(self, box: HubSpotSandbox) -> dict[str, Any]:
        return {
            "type": "hubspot",
            "token": SECRET,
            "endpoint": box.url,
            "search_requests_per_second": None,
        }

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {
            "object": "deals",
            "aggregate": "sum",
            "property": "amount",
            "date_property": "closedate",
            "stages": ["closedwon"],
        }

    @pytest.fixture
    def make_connector(self, source_config: dict[str, Any], context: Any) -> Any:
        made: list[HubSpotConnector] = []

        def make(**overrides: Any) -> HubSpotConnector:
            config = HubSpotSourceConfig.model_validate({**source_config, **overrides})
            made.append(HubSpotConnector(config, context))
            return made[-1]

        yield make
        for connector in made:
            connector.close()

    @pytest.fixture
    def windowed_requests(
        self, box: HubSpotSandbox, query: dict[str, Any]
    ) -> list[tuple[MetricRequest, float]]:
        out = []
        for month in (10, 11, 12):
            start = datetime(2026, month, 1, tzinfo=ZURICH)
            end = datetime(2026 + month // 12, month % 12 + 1, 1, tzinfo=ZURICH)
            expected = sum(
                float(d.properties["amount"])
                for d in box.records["deals"]
                if d.properties["dealstage"] == "closedwon"
                and d.properties["amount"]
                and within(d, "closedate", start, end)
            )
            out.append(
                (
                    MetricRequest("crm", HubSpotQuery.model_validate(query), Window(start, end)),
                    expected,
                )
            )
        return out

    @pytest.fixture
    def arm_fault(self, box: HubSpotSandbox) -> Any:
        """Faults on the deal searches (the pipelines call before them answers normally)."""

        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            box.faults.clear()
            if times <= 0:
                return
            if html:
                status, body = 200, HTML_PAGE
            else:
                body = None
            box.faults.add(
                "/crm/v3/objects/deals/search",
                status=status,
                retry_after=retry_after,
                truncate=truncate,
                body=body,
                times=times,
            )

        yield arm
        box.faults.clear()

    @pytest.fixture
    def arm_value(self, box: HubSpotSandbox) -> Any:
        yield box.override_value
        box.override_value(None)

    @pytest.fixture
    def failure_cases(
        self, make_connector: Any, box: HubSpotSandbox, windowed_requests: Any
    ) -> dict[type, Any]:
        request = windowed_requests[0][0]
        path = "/crm/v3/objects/deals/search"

        def fault(status: int, **extra: Any) -> Any:
            def trigger() -> Any:
                box.faults.clear()
                box.faults.add(path, status=status, times=9, **extra)
                try:
                    return make_connector().collect([request])
                finally:
                    box.faults.clear()

            return trigger

        bad = MetricRequest(
            "crm", HubSpotQuery(object="deals", date_property="no_such_date"), request.window
        )
        return {
            AuthError: lambda: make_connector(token="pat-wrong").collect([request]),
            RateLimited: fault(429, retry_after=0.01),
            TransientSourceError: fault(500),
            QueryError: lambda: make_connector().collect([bad]),
        }


def test_config_needs_exactly_one_credential() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        HubSpotSourceConfig.model_validate({"type": "hubspot"})
    with pytest.raises(ValidationError, match="exactly one"):
        HubSpotSourceConfig.model_validate(
            {
                "type": "hubspot",
                "token": "t",
                "oauth": {
                    "client_id": "c",
                    "client_secret": "oauth-client-s3cr3t",
                    "refresh_token": "r",
                },
            }
        )
    with pytest.raises(ValidationError) as raised:
        HubSpotSourceConfig.model_validate({"type": "hubspot", "token": "t", "endpoint": "ftp://x"})
    assert "http(s) URL" in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"property": "a", "operator": "BETWEEN", "value": 1}, "takes high_value and value"),
        ({"property": "a", "operator": "IN", "value": 1}, "takes values"),
        ({"property": "a", "operator": "HAS_PROPERTY", "value": 1}, "takes no operand"),
        ({"property": "a", "operator": "IN", "values": []}, "at least one value"),
    ],
)
def test_filter_operands_must_fit_the_operator(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SearchFilter.model_validate(raw)


def test_query_model_checks() -> None:
    with pytest.raises(ValidationError, match="needs 'property'"):
        HubSpotQuery(object="deals", aggregate="sum")
    with pytest.raises(ValidationError, match="no pipelines"):
        HubSpotQuery(object="contacts", stages=("New",))
    many = tuple(SearchFilter(property=f"p{n}", value=n) for n in range(9))
    with pytest.raises(ValidationError, match="allows 10"):
        HubSpotQuery(object="deals", date_property="closedate", filters=many)
    assert SearchFilter(property="x", value=True).to_api()["value"] == "true"
    assert SearchFilter(property="x", value=1000.0).to_api()["value"] == "1000"


def test_sample_config_loads() -> None:
    sample = Path(connectors.hubspot.__file__).with_name("sample.yaml")
    env = {"HUBSPOT_TOKEN": "t", "HUBSPOT_CLIENT_SECRET": "s", "HUBSPOT_REFRESH_TOKEN": "r"}
    config = load_config(sample, environ=env).config
    assert isinstance(config.sources["crm_oauth"], HubSpotSourceConfig)
    revenue = config.metrics["newcomer_revenue"].query
    assert isinstance(revenue, HubSpotQuery)
    assert (revenue.aggregate, revenue.stages) == ("sum", ("Closed Won",))


def test_wire_shapes_read_by_the_sdk_models(sandbox: HubSpotSandbox) -> None:
    client = HubSpot(access_token=sandbox.private_app_token, host=sandbox.url)
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, p.label) for p in pipelines] == [(p.id, p.label) for p in PIPELINES["deals"]]
    assert pipelines[0].stages[3].label == "Closed Won"
    page = client.crm.objects.search_api.do_search(
        "deals", PublicObjectSearchRequest(limit=200, properties=["amount"])
    )
    assert page.total == len(sandbox.records["deals"]) and len(page.results) == 200
    assert page.paging.next.after == "200"
    first = page.results[0]
    assert set(first.properties) == {"amount", "createdate", "hs_lastmodifieddate", "hs_object_id"}
    assert all(isinstance(v, str | None) for v in first.properties.values())
    # the list endpoint pages 100 at a time through every record
    listed = client.crm.objects.basic_api.get_page("companies", limit=100)
    seen = len(listed.results)
    while listed.paging is not None:
        listed = client.crm.objects.basic_api.get_page(
            "companies", limit=100, after=listed.paging.next.after
        )
        seen += len(listed.results)
    assert seen == len(sandbox.records["companies"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"limit": 201}, "less than or equal to 200"), ({"after": "10000"}, "10000")],
)
def test_search_limits_answer_400(
    sandbox: HubSpotSandbox, body: dict[str, Any], fragment: str
) -> None:
    api = HubSpot(access_token=sandbox.private_app_token, host=sandbox.url).crm.objects.search_api
    with pytest.raises(ApiException) as raised:
        api.do_search("contacts", PublicObjectSearchRequest(**body))
    assert raised.value.status == 400
    error = json.loads(raised.value.body)
    assert error["status"] == "error" and error["category"] == "VALIDATION_ERROR"
    assert fragment in error["message"] and error["correlationId"]
