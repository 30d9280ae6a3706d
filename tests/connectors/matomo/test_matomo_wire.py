"""The wire: form bodies, bulk requests, Matomo 4 and 5 error answers, check, conformance."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

import connectors.matomo
from connectors.matomo import MatomoConnector, MatomoQuery, MatomoSourceConfig
from connectors.matomo.client import MatomoClient
from connectors.matomo.connector import label_of
from connectors.matomo.sandbox import ENDPOINT, MatomoSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, ValueKind, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.http import mock_transport
from syncd.testing import ConnectorConformance, first_failure
from tests.connectors.matomo.conftest import (
    OCTOBER,
    SITE_ZONE,
    TOKEN,
    ZURICH,
    config_for,
    connector_for,
    fast_context,
    make_sandbox,
    october,
    request,
)

NOVEMBER = Window(OCTOBER.end, datetime(2026, 11, 15, tzinfo=SITE_ZONE))
VISITS = {"measure": "visits"}


def mocked(handler: Any, **config: Any) -> MatomoConnector:
    """A connector whose HTTP goes to ``handler`` (no network)."""
    raw = {
        "type": "matomo",
        "url": "https://analytics.example",
        "site_id": 7,
        "site_timezone": "America/New_York",
        "token_auth": TOKEN,
    } | config
    settings = MatomoSourceConfig.model_validate(raw)
    context = fast_context()
    connector = MatomoConnector(settings, context)
    connector._client = MatomoClient(
        settings, source="web", call=connector.call, transport=mock_transport(handler)
    )
    return connector


def form_of(sent: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(sent.content.decode()).items()}


# ---- unit: the requests the connector sends -------------------------------------------------


def test_one_request_is_a_form_post_with_the_token_in_the_body() -> None:
    sent: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(req)
        return httpx.Response(200, json={"nb_visits": 1234, "bounce_rate": 0.41})

    with mocked(handler) as connector:
        (result,) = connector.collect([request({**VISITS, "segment": "deviceType==tablet"})])
    assert isinstance(result, Observation) and result.value == 1234
    (post,) = sent
    assert post.method == "POST" and post.url.path == "/index.php"
    assert TOKEN not in str(post.url)
    assert form_of(post) == {
        "module": "API",
        "format": "JSON",
        "method": "VisitsSummary.get",
        "idSite": "7",
        "period": "range",
        "date": "2026-10-01,2026-10-31",
        "format_metrics": "0",
        "segment": "deviceType==tablet",
        "token_auth": TOKEN,
    }


def test_many_requests_travel_in_one_bulk_request_each_call_once() -> None:
    sent: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(req)
        urls = sorted(k for k in form_of(req) if k.startswith("urls["))
        return httpx.Response(
            200, json=[{"nb_visits": 10 + i, "bounce_rate": 0.5} for i in range(len(urls))]
        )

    requests = [
        request(VISITS),
        request({"measure": "bounce_rate"}),  # the same VisitsSummary.get as the first
        request(VISITS, NOVEMBER),
    ]
    with mocked(handler) as connector:
        results = connector.collect(requests)
    assert [r.value for r in results] == [10, 0.5, 11]  # type: ignore[union-attr]
    (post,) = sent
    form = form_of(post)
    assert form["method"] == "API.getBulkRequest" and form["token_auth"] == TOKEN
    inner = [parse_qs(form[f"urls[{i}]"]) for i in range(2)]
    assert "urls[2]" not in form
    assert [q["date"] for q in inner] == [["2026-10-01,2026-10-31"], ["2026-11-01,2026-11-14"]]
    assert all("token_auth" not in q for q in inner)


def test_bulk_size_splits_the_calls() -> None:
    calls: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        urls = [k for k in form_of(req) if k.startswith("urls[")]
        calls.append(len(urls))
        return httpx.Response(
            200, json=[{"nb_visits": 1}] * len(urls) if urls else {"nb_visits": 1}
        )

    windows = [
        Window(datetime(2026, 10, d, tzinfo=SITE_ZONE), datetime(2026, 10, d + 1, tzinfo=SITE_ZONE))
        for d in range(1, 6)
    ]
    with mocked(handler, bulk_size=2) as connector:
        results = connector.collect([request(VISITS, w) for w in windows])
    assert all(isinstance(r, Observation) for r in results)
    assert calls == [2, 2, 0]  # the last batch holds one call: sent without the bulk wrapper


def test_event_labels_are_url_encoded_parts_joined_by_gt() -> None:
    assert label_of(["Video", "Play"]) == "Video>Play"
    assert label_of(["A>B", "x y"]) == "A%3EB>x%20y"
    seen: list[dict[str, str]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(form_of(req))
        return httpx.Response(200, json=[{"label": "Complete", "sum_event_value": 90.5}])

    query = {
        "measure": "events",
        "event": {"category": "Video", "action": "Complete"},
        "event_metric": "sum_event_value",
    }
    with mocked(handler) as connector:
        (result,) = connector.collect([request(query)])
    assert isinstance(result, Observation) and result.value == 90.5
    assert seen[0]["method"] == "Events.getCategory"
    assert seen[0]["secondaryDimension"] == "eventAction"
    assert seen[0]["label"] == "Video>Complete"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # Matomo 4 answers errors with HTTP 200.
        (
            200,
            {"result": "error", "message": "Unable to authenticate with the provided token."},
            AuthError,
        ),
        (200, {"result": "error", "message": "The goal id 9 couldn't be found."}, QueryError),
        # Matomo 5 answers them with 401 and 400.
        (
            401,
            {"result": "error", "message": "Unable to authenticate with the provided token."},
            AuthError,
        ),
        (400, {"result": "error", "message": "Please specify a value for 'date'."}, QueryError),
    ],
)
def test_error_bodies_of_matomo_4_and_5(status: int, body: Any, expected: type) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with mocked(handler) as connector, pytest.raises(expected) as raised:
        first_failure(connector.collect([request({"measure": "conversions", "goal": 9})]))
    assert body["message"][:20] in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_a_bulk_result_that_is_an_error_fails_only_its_request() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[
                {"nb_visits": 42},
                {"result": "error", "message": "The goal id 9 couldn't be found."},
            ],
        )

    with mocked(handler) as connector:
        good, bad = connector.collect(
            [request(VISITS), request({"measure": "conversions", "goal": 9})]
        )
    assert isinstance(good, Observation) and good.value == 42
    assert isinstance(bad, RequestFailed) and isinstance(bad.error, QueryError)
    assert "goal id 9" in str(bad.error)


def test_a_bulk_answer_of_the_wrong_length_is_transient() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"nb_visits": 1}])

    with mocked(handler) as connector, pytest.raises(TransientSourceError) as raised:
        first_failure(connector.collect([request(VISITS), request(VISITS, NOVEMBER)]))
    assert "1 results for 2 bulk calls" in str(raised.value)


def test_snapshots_and_windows_without_a_whole_day_fail_without_a_call() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    now = datetime(2026, 11, 21, 9, tzinfo=SITE_ZONE)
    snapshot = MetricRequest("web", MatomoQuery(), Window(now, now))
    morning = request(VISITS, Window(now.replace(hour=1), now))
    with mocked(handler) as connector:
        results = connector.collect([snapshot, morning])
    assert all(isinstance(r, RequestFailed) for r in results)
    assert "periods, not moments" in str(results[0].error)  # type: ignore[union-attr]
    assert "no whole day in America/New_York" in str(results[1].error)  # type: ignore[union-attr]


# ---- traits and config ------------------------------------------------------------------------

CONFIG = MatomoSourceConfig.model_validate(
    {
        "type": "matomo",
        "url": "https://a.example",
        "site_id": 1,
        "site_timezone": "Asia/Kolkata",
        "token_auth": "x-token",
    }
)


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ({"measure": "visits"}, ValueKind.COUNT),
        ({"measure": "unique_visitors"}, ValueKind.COUNT),
        ({"measure": "actions"}, ValueKind.COUNT),
        ({"measure": "bounce_count"}, ValueKind.COUNT),
        ({"measure": "bounce_rate"}, ValueKind.SHARE),
        ({"measure": "conversions", "goal": 1}, ValueKind.COUNT),
        ({"measure": "revenue"}, ValueKind.SUM),
        ({"measure": "events", "event": {"category": "V"}}, ValueKind.COUNT),
        (
            {"measure": "events", "event": {"name": "V"}, "event_metric": "sum_event_value"},
            ValueKind.SUM,
        ),
        (
            {"measure": "events", "event": {"name": "V"}, "event_metric": "avg_event_value"},
            ValueKind.NUMBER,
        ),
        (
            {"measure": "report", "report": "Actions.get", "column": "nb_pageviews"},
            ValueKind.NUMBER,
        ),
        ({"measure": "report", "report": "A.b", "column": "c", "kind": "share"}, ValueKind.SHARE),
    ],
)
def test_traits_count_the_sites_days(query: dict[str, Any], kind: ValueKind) -> None:
    traits = MatomoConnector.traits(CONFIG, MatomoQuery.model_validate(query), ZURICH)
    assert traits.day_zone == ZoneInfo("Asia/Kolkata")
    assert (traits.kind, traits.past_windows, traits.past_snapshots) == (kind, True, True)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"measure": "events"}, "needs event"),
        ({"measure": "events", "event": {}}, "category, action or name"),
        (
            {"measure": "events", "event": {"category": "a", "action": "b", "name": "c"}},
            "two levels",
        ),
        ({"measure": "visits", "goal": 1}, "goal applies"),
        ({"measure": "report", "report": "Actions.get"}, "needs report"),
        (
            {"measure": "report", "report": "A.b", "column": "c", "params": {"period": "day"}},
            "may not set period",
        ),
        ({"measure": "visits", "label": "x"}, "apply to measure report only"),
        ({"measure": "visits", "kind": "count"}, "kind applies"),
    ],
)
def test_queries_that_cannot_be_asked_are_refused_at_load(
    query: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        MatomoQuery.model_validate(query)
    assert words in str(raised.value)


def test_report_params_round_trip_from_a_mapping() -> None:
    query = MatomoQuery.model_validate(
        {
            "measure": "report",
            "report": "CustomDimensions.getCustomDimension",
            "column": "nb_visits",
            "params": {"idDimension": 3},
        }
    )
    assert query.params == (("idDimension", "3"),)
    assert MatomoQuery.model_validate(query.model_dump()) == query


def test_an_unknown_site_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        MatomoSourceConfig.model_validate(
            {**CONFIG.model_dump(), "token_auth": "t", "site_timezone": "UTC+2"}
        )
    assert "Etc/GMT-2" in str(raised.value)


def test_sample_config_loads() -> None:
    sample = Path(connectors.matomo.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={"MATOMO_TOKEN": "t0ken"}).config
    assert {source.type for source in config.sources.values()} == {"matomo"}
    assert len(config.metrics) >= 8


# ---- against the sandbox ----------------------------------------------------------------------


def test_one_sync_is_one_upstream_call(fresh_sandbox: MatomoSandbox) -> None:
    queries = [
        VISITS,
        {"measure": "bounce_rate"},
        {"measure": "conversions", "goal": 1},
        {"measure": "events", "event": {"category": "Newsletter"}},
        {"measure": "revenue", "goal": 2, "segment": "deviceType==desktop"},
    ]
    with connector_for(fresh_sandbox) as connector:
        results = connector.collect([request(q) for q in queries])
        calls = connector.context.stats.calls
    assert all(isinstance(r, Observation) for r in results)
    assert results[0].value == len(october(fresh_sandbox))  # type: ignore[union-attr]
    assert calls == 1 == len(fresh_sandbox.requests)
    sent = fresh_sandbox.requests[0]
    assert sent.method == "POST" and not sent.token_in_url
    assert sent.params["method"] == "API.getBulkRequest"
    assert sum(key.startswith("urls[") for key in sent.params) == 4  # visits and bounce share


def test_matomo_4_errors_with_200() -> None:
    with make_sandbox(version=4) as old:
        with connector_for(old, token_auth="wrong-token-abc") as connector:
            (result,) = connector.collect([request(VISITS)])
        assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
        assert "wrong-token-abc" not in str(result.error)
        with connector_for(old) as connector:
            bad, good = connector.collect(
                [
                    request({"measure": "report", "report": "Nope.get", "column": "x"}),
                    request(VISITS),
                ]
            )
        assert isinstance(bad, RequestFailed) and isinstance(bad.error, QueryError)
        assert "does not exist" in str(bad.error)
        assert isinstance(good, Observation) and good.value == len(october(old))


def test_matomo_5_no_access_to_the_site_is_an_auth_error(matomo_sandbox: MatomoSandbox) -> None:
    with connector_for(matomo_sandbox, site_id=4) as connector, pytest.raises(AuthError) as raised:
        first_failure(connector.collect([request(VISITS)]))
    assert "401" in str(raised.value) and "website id = 4" in str(raised.value)


def test_a_rate_limiting_proxy_is_waited_for(fresh_sandbox: MatomoSandbox) -> None:
    fresh_sandbox.faults.add(ENDPOINT, status=429, times=2, retry_after=0.05)
    with connector_for(fresh_sandbox) as connector:
        (result,) = connector.collect([request(VISITS)])
        stats = connector.context.stats
    assert isinstance(result, Observation) and result.value == len(october(fresh_sandbox))
    assert (stats.calls, stats.retries) == (3, 2)


def test_check_names_the_site_and_compares_its_time_zone(matomo_sandbox: MatomoSandbox) -> None:
    with connector_for(matomo_sandbox) as connector:
        assert connector.check() == (
            f"Helvetia Health (idSite 3, days in America/New_York) on {matomo_sandbox.url}"
        )
    with (
        connector_for(matomo_sandbox, site_timezone="Europe/Berlin") as connector,
        pytest.raises(QueryError) as raised,
    ):
        connector.check()
    assert "set site_timezone: America/New_York" in str(raised.value)


def test_describe_names_the_call_without_the_token(matomo_sandbox: MatomoSandbox) -> None:
    with connector_for(matomo_sandbox) as connector:
        text = connector.describe(request({"measure": "conversions", "goal": 1}))
    assert text == (
        "Matomo period=range date=2026-10-01,2026-10-31 format_metrics=0 method=Goals.get "
        f"idGoal=1 → nb_conversions (site 3, days in America/New_York) on {matomo_sandbox.url}"
    )


def test_sandbox_bulk_answer_shape(matomo_sandbox: MatomoSandbox) -> None:
    form = {
        "module": "API",
        "method": "API.getBulkRequest",
        "format": "JSON",
        "token_auth": TOKEN,
        "urls[0]": "method=VisitsSummary.get&idSite=3&period=range&date=2026-10-01,2026-10-31",
        "urls[1]": "method=Goals.get&idSite=3&period=range&date=2026-10-01,2026-10-31&idGoal=77",
    }
    answer = httpx.post(f"{matomo_sandbox.url}/index.php", data=form)
    body = json.loads(answer.text)
    assert answer.status_code == 200 and isinstance(body, list) and len(body) == 2
    assert body[0]["nb_visits"] == len(october(matomo_sandbox))
    assert "nb_uniq_visitors" not in body[0]  # Matomo's default for ranges
    assert body[1] == {"result": "error", "message": "The goal id 77 couldn't be found."}
    in_url = httpx.post(
        f"{matomo_sandbox.url}/index.php?token_auth={TOKEN}",
        data={"module": "API", "method": "API.getMatomoVersion"},
    )
    assert in_url.status_code == 401 and "POST parameter" in in_url.json()["message"]


# ---- the conformance kit ----------------------------------------------------------------------


class TestMatomoConformance(ConnectorConformance):
    connector_name = "matomo"
    secret_values = (TOKEN,)

    @pytest.fixture
    def source_config(self, matomo_sandbox: MatomoSandbox) -> dict[str, Any]:
        return config_for(matomo_sandbox).model_dump(mode="json") | {"token_auth": TOKEN}

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"measure": "conversions", "goal": 1, "segment": "deviceType==smartphone"}

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
    def windowed_requests(self, matomo_sandbox: MatomoSandbox) -> list[tuple[MetricRequest, float]]:
        visits = october(matomo_sandbox)
        return [
            (request(VISITS), float(len(visits))),
            (
                request({"measure": "conversions", "goal": 1}),
                float(sum(g == 1 for v in visits for g, _ in v.conversions)),
            ),
            (
                request({"measure": "events", "event": {"category": "Video", "action": "Play"}}),
                float(sum(e.action == "Play" for v in visits for e in v.events)),
            ),
        ]

    @pytest.fixture
    def arm_fault(self, matomo_sandbox: MatomoSandbox) -> Any:
        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            faults = matomo_sandbox.faults
            faults.clear()
            if times == 0:
                return
            if html:
                body = "<!DOCTYPE html><html><body>Sign in to Matomo</body></html>"
                faults.add(ENDPOINT, status=200, body=body, times=times)
            elif truncate:
                faults.add(ENDPOINT, status=200, truncate=True, times=times)
            else:
                faults.add(ENDPOINT, status=status, retry_after=retry_after, times=times)

        yield arm
        matomo_sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, matomo_sandbox: MatomoSandbox) -> Any:
        def arm(raw: str) -> None:
            matomo_sandbox.raw_values[:] = [raw]

        yield arm
        matomo_sandbox.raw_values.clear()

    @pytest.fixture
    def failure_cases(self, make_connector: Any) -> Any:
        def collect(connector: Any, query: dict[str, Any] = VISITS) -> Any:
            return list(connector.collect([request(query)]))

        limited = make_sandbox()
        limited.start()
        limited.faults.add(ENDPOINT, status=429, times=10, retry_after=600)
        broken = make_sandbox()
        broken.start()
        broken.faults.add(ENDPOINT, status=502, times=10)
        yield {
            AuthError: lambda: collect(make_connector(token_auth="nope-token")),
            QueryError: lambda: collect(make_connector(), {"measure": "conversions", "goal": 99}),
            RateLimited: lambda: collect(make_connector(url=limited.url)),
            TransientSourceError: lambda: collect(make_connector(url=broken.url)),
        }
        limited.stop()
        broken.stop()
