"""The wire: requests as Amplitude documents them (MockTransport), limits, errors, the kit."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import connectors.amplitude
from connectors.amplitude import AmplitudeConnector, AmplitudeQuery, AmplitudeSourceConfig
from connectors.amplitude.budget import CostBudget
from connectors.amplitude.client import AmplitudeClient, limit_hit, segmentation_cost
from connectors.amplitude.data import SHARED
from connectors.amplitude.sandbox import AmplitudeSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, ValueKind, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.evaluate import DayRule
from syncd.http import mock_transport
from syncd.testing import ConnectorConformance
from tests.connectors.amplitude.conftest import (
    API_KEY,
    NOW,
    SECRET_KEY,
    ZURICH,
    config_for,
    connector_for,
    events_between,
    fast_context,
    make_sandbox,
    of_type,
    uniques,
)

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
SEGMENTATION = "/api/2/events/segmentation"
ANSWER = {
    "data": {
        "series": [[3, 4]],
        "seriesLabels": [0],
        "seriesCollapsed": [[{"setId": "", "value": 6}]],
        "xValues": ["2026-10-01", "2026-10-02"],
    }
}


def mocked(
    handler: Any, *, region: str = "us", **context: Any
) -> tuple[AmplitudeConnector, list[httpx.Request]]:
    """A connector whose calls go to ``handler`` (status, body) and the requests it made."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body, headers = handler(request)
        text = body if isinstance(body, str) else json.dumps(body)
        return httpx.Response(status, text=text, headers=headers)

    config = AmplitudeSourceConfig(
        type="amplitude",
        api_key=API_KEY,
        secret_key=SECRET_KEY,
        timezone="Europe/Zurich",
        region=region,
    )
    connector = AmplitudeConnector(config, fast_context(**context))
    connector._client = AmplitudeClient(
        config,
        source="product",
        call=connector.call,
        budget=connector.budget,
        transport=mock_transport(answer),
    )
    return connector, seen


def collect_one(connector: AmplitudeConnector, query: AmplitudeQuery) -> Any:
    request = MetricRequest("product", query, OCTOBER, DayRule(ZURICH).span(OCTOBER))
    (result,) = connector.collect([request])
    return result


# ---- the request on the wire ------------------------------------------------------------------


def test_segmentation_request_as_documented() -> None:
    connector, seen = mocked(lambda r: (200, ANSWER, {}), region="eu")
    query = AmplitudeQuery.model_validate(
        {
            "event": "Purchase Completed",
            "measure": "sums",
            "property": "amount",
            "where": [{"property": "plan", "op": "is not", "values": ["basic"]}],
            "segment": [{"property": "country", "op": "is", "values": ["CH", "DE"]}],
        }
    )
    result = collect_one(connector, query)
    assert isinstance(result, Observation) and result.value == 7  # 3 + 4: sums add the days
    (request,) = seen
    assert str(request.url).startswith("https://analytics.eu.amplitude.com/api/2/events/")
    params = dict(request.url.params)
    assert json.loads(params["e"]) == {
        "event_type": "Purchase Completed",
        "filters": [
            {
                "subprop_type": "event",
                "subprop_key": "plan",
                "subprop_op": "is not",
                "subprop_value": ["basic"],
            }
        ],
        "group_by": [{"type": "event", "value": "amount"}],
    }
    assert json.loads(params["s"]) == [{"prop": "country", "op": "is", "values": ["CH", "DE"]}]
    assert (params["m"], params["start"], params["end"], params["i"]) == (
        "sums",
        "20261001",
        "20261031",
        "1",
    )
    expected = base64.b64encode(f"{API_KEY}:{SECRET_KEY}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_formula_sends_both_events_and_reads_the_collapsed_value() -> None:
    connector, seen = mocked(lambda r: (200, ANSWER, {}))
    query = AmplitudeQuery(
        event=SHARED, measure="formula", formula="UNIQUES(A)/UNIQUES(B)", second_event="_active"
    )
    result = collect_one(connector, query)
    assert isinstance(result, Observation) and result.value == 6
    params = dict(seen[0].url.params)
    assert str(seen[0].url).startswith("https://amplitude.com/api/2/events/segmentation?")
    assert json.loads(params["e2"]) == {"event_type": "_active"}
    assert params["formula"] == "UNIQUES(A)/UNIQUES(B)" and params["m"] == "formula"


def test_chart_path() -> None:
    connector, seen = mocked(lambda r: (200, ANSWER, {}))
    (result,) = connector.collect(
        [MetricRequest("product", AmplitudeQuery(chart="k3x9q2w", series=0), Window(NOW, NOW))]
    )
    assert isinstance(result, Observation) and result.value == 6
    assert seen[0].url.path == "/api/3/chart/k3x9q2w/query"


def test_daily_totals_keep_float_sums_exact_and_quote_a_bad_day() -> None:
    body = json.loads(json.dumps(ANSWER))
    body["data"]["series"] = [[0.1, 0.2, 3]]
    connector, _ = mocked(lambda r: (200, body, {}))
    totals = AmplitudeQuery(event=SHARED, measure="sums", property="x")
    result = collect_one(connector, totals)
    assert isinstance(result, Observation) and result.value == pytest.approx(3.3)
    text = json.dumps(ANSWER).replace("[[3, 4]]", '[[3, "n/a"]]')
    connector, _ = mocked(lambda r: (200, text, {}))
    failed = collect_one(connector, totals)
    assert isinstance(failed, RequestFailed) and "'n/a'" in str(failed.error)


# ---- errors and limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "limit", "wait"),
    [
        ("Exceeded concurrent limit: at most 5 concurrent requests", "concurrent", 5.0),
        (
            "Exceeded rate limit with query of cost 31: 1000 cost per 5 minutes",
            "five_minutes",
            60.0,
        ),
        ("Exceeded rate limit: the budget is 108000 cost per hour", "hourly", 900.0),
        ("Too many requests", "five_minutes", 60.0),
    ],
)
def test_a_429_waits_as_its_body_says(words: str, limit: str, wait: float) -> None:
    assert limit_hit(words) == limit
    connector, seen = mocked(lambda r: (429, {"error": words}, {}), max_retry_after=1000.0)
    slept: list[float] = []
    connector.context.sleep = slept.append
    result = collect_one(connector, AmplitudeQuery(event=SHARED))
    assert isinstance(result, RequestFailed) and isinstance(result.error, RateLimited)
    assert result.error.retry_after == wait
    assert f"[{limit.replace('_', '-')} limit]" in str(result.error)
    assert slept and min(slept) >= wait  # never sooner than the body says
    assert len(seen) == 3  # attempts=3


def test_the_hourly_budget_fails_fast_under_the_default_cap() -> None:
    words = "Exceeded rate limit: 108000 cost per hour"
    connector, seen = mocked(lambda r: (429, {"error": words}, {}), max_retry_after=120.0)
    result = collect_one(connector, AmplitudeQuery(event=SHARED))
    assert isinstance(result, RequestFailed) and isinstance(result.error, RateLimited)
    assert len(seen) == 1  # 900 s is beyond what a sync waits: no retry


def test_retry_after_header_wins_over_the_body() -> None:
    words = "Exceeded concurrent limit"
    connector, _ = mocked(lambda r: (429, {"error": words}, {"Retry-After": "7"}), attempts=1)
    result = collect_one(connector, AmplitudeQuery(event=SHARED))
    assert isinstance(result.error, RateLimited) and result.error.retry_after == 7.0


def test_bad_keys_and_bad_requests() -> None:
    connector, _ = mocked(lambda r: (401, {"error": "Invalid API key"}, {}))
    denied = collect_one(connector, AmplitudeQuery(event=SHARED))
    assert isinstance(denied.error, AuthError)
    assert SECRET_KEY not in str(denied.error) and API_KEY not in str(denied.error)
    connector, _ = mocked(lambda r: (400, {"error": "Invalid formula 'X'"}, {}))
    refused = collect_one(connector, AmplitudeQuery(event=SHARED))
    assert isinstance(refused.error, QueryError) and "Invalid formula" in str(refused.error)


# ---- the cost budget -------------------------------------------------------------------------


def test_costs_follow_the_documented_formula() -> None:
    assert segmentation_cost(AmplitudeQuery(event=SHARED), 31) == 31
    segment = [
        {"property": "country", "values": ["CH"]},
        {"property": "platform", "values": ["iOS"]},
    ]
    assert segmentation_cost(AmplitudeQuery(event=SHARED, segment=segment), 10) == 30
    sums = AmplitudeQuery(event="Purchase Completed", measure="sums", property="amount")
    assert segmentation_cost(sums, 7) == 35  # 1 event + 4 for the group by
    formula = AmplitudeQuery(
        event=SHARED, measure="formula", formula="UNIQUES(A)/UNIQUES(B)", second_event="_active"
    )
    assert segmentation_cost(formula, 28) == 56


def test_budget_waits_for_the_window_then_refuses_long_waits() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    budget = CostBudget(
        [(300.0, 100), (3600.0, 150)],
        max_wait=400.0,
        source="product",
        clock=lambda: clock[0],
        sleep=sleep,
    )
    assert budget.spend(60) == 0.0
    clock[0] = 100.0
    assert budget.spend(30) == 0.0
    assert budget.spend(50) == 200.0  # the first 60 leave the five minutes at t=300
    assert slept == [200.0]
    with pytest.raises(RateLimited) as raised:
        budget.spend(40)  # the hour holds 140 of 150 until t=3600: too long to wait
    assert raised.value.retry_after == pytest.approx(3300.0)


def test_connector_paces_below_its_budget_without_asking(fresh_sandbox: AmplitudeSandbox) -> None:
    context = fast_context(max_retry_after=2.0)
    query = AmplitudeQuery(event=SHARED)
    requests = [
        MetricRequest("product", query, window, DayRule(ZURICH).span(window))
        for window in (
            OCTOBER,
            Window(OCTOBER.end, datetime(2026, 11, 15, tzinfo=ZURICH)),
        )
    ]
    with connector_for(fresh_sandbox, context, cost_per_5_minutes=40) as connector:
        first, second = connector.collect(requests)
    assert isinstance(first, Observation)  # costs 31 of 40
    assert isinstance(second, RequestFailed) and isinstance(second.error, RateLimited)
    assert "budget is spent" in str(second.error)
    assert len(fresh_sandbox.requests_to(SEGMENTATION)) == 1  # the second was never sent


def test_sandbox_refuses_over_its_cost_budget() -> None:
    with make_sandbox(cost_per_5_minutes=40) as sandbox:
        context = fast_context(attempts=1)
        requests = [
            MetricRequest(
                "product", AmplitudeQuery(event=SHARED), OCTOBER, DayRule(ZURICH).span(OCTOBER)
            )
        ]
        with connector_for(sandbox, context) as connector:  # its own budget left at 1000
            assert isinstance(connector.collect(requests)[0], Observation)
        with connector_for(sandbox, context) as connector:
            (result,) = connector.collect(requests)
    assert isinstance(result, RequestFailed) and isinstance(result.error, RateLimited)
    assert "per 5 minutes" in str(result.error) and result.error.retry_after == 60.0


def test_concurrency_above_the_limit_is_refused_then_retried() -> None:
    with make_sandbox(concurrent_limit=1) as sandbox:
        # Another client of the project holds its only slot for half a second.
        other = threading.Thread(
            target=httpx.get,
            args=(f"{sandbox.url}/api/2/events/list",),
            kwargs={"auth": (API_KEY, SECRET_KEY)},
        )
        sandbox.faults.add("/api/2/events/list", status=None, latency=0.5, times=1)
        other.start()
        while not sandbox.requests:
            time.sleep(0.01)
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            time.sleep(0.6)

        context = fast_context(max_retry_after=10.0)
        context.sleep = sleep
        day = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 10, 2, tzinfo=ZURICH))
        request = MetricRequest(
            "product", AmplitudeQuery(event=SHARED), day, DayRule(ZURICH).span(day)
        )
        with connector_for(sandbox, context) as connector:
            (result,) = connector.collect([request])
        other.join()
    assert isinstance(result, Observation), result
    expected = events_between(sandbox, date(2026, 10, 1), date(2026, 10, 1), of_type(SHARED))
    assert result.value == uniques(expected)
    assert slept and slept[0] >= 5.0  # the concurrent limit's wait, from the 429's words
    assert len(sandbox.requests_to(SEGMENTATION)) == 2


def test_defaults_stay_below_the_documented_limits() -> None:
    assert AmplitudeConnector.default_concurrency == 4  # of 5, shared with the project's UI
    rate = AmplitudeConnector.default_rate_limit
    assert rate is not None and (rate.requests, rate.per_seconds) == (1000, 300)


# ---- config --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"url": "http://example.com"}, "loopback"),
        ({"url": "https://proxy.example/api"}, "without a path"),
    ],
)
def test_config_refuses(change: dict[str, str], words: str) -> None:
    raw = {"type": "amplitude", "api_key": "k", "secret_key": "s", "timezone": "UTC"}
    with pytest.raises(ValueError, match=words):
        AmplitudeSourceConfig.model_validate(raw | change)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"measure": "totals"}, "give an event"),
        ({"event": "x", "measure": "sums"}, "need a property"),
        ({"event": "x", "property": "amount"}, "need a property"),
        ({"event": "x", "measure": "formula"}, "needs a formula"),
        ({"event": "x", "measure": "formula", "formula": "UNIQUES(A)/UNIQUES(B)"}, "second_event"),
        ({"chart": "abc", "event": "x"}, "chart and series only"),
        ({"chart": "../x"}, "pattern"),
        ({"event": "x", "series": 1}, "series applies"),
    ],
)
def test_query_refuses(query: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        AmplitudeQuery.model_validate(query)


def test_kinds_per_measure() -> None:
    config = AmplitudeSourceConfig(type="amplitude", api_key="k", secret_key="s", timezone="UTC")
    kinds = {
        measure: AmplitudeConnector.traits(
            config,
            AmplitudeQuery.model_validate(
                {"event": "x", "measure": measure}
                | ({"property": "p"} if measure in ("sums", "value_avg") else {})
                | ({"formula": "TOTALS(A)"} if measure == "formula" else {})
            ),
            ZURICH,
        ).kind
        for measure in ("uniques", "totals", "sums", "average", "value_avg", "pct_dau", "formula")
    }
    assert kinds == {
        "uniques": ValueKind.COUNT,
        "totals": ValueKind.COUNT,
        "sums": ValueKind.SUM,
        "average": ValueKind.NUMBER,
        "value_avg": ValueKind.NUMBER,
        "pct_dau": ValueKind.NUMBER,
        "formula": ValueKind.NUMBER,
    }


def test_sample_config_loads() -> None:
    sample = Path(connectors.amplitude.__file__).with_name("sample.yaml")
    environ = {"AMPLITUDE_API_KEY": "k", "AMPLITUDE_SECRET_KEY": "s"}
    config = load_config(sample, environ=environ).config
    assert {source.type for source in config.sources.values()} == {"amplitude"}
    assert len(config.metrics) >= 6


# ---- the conformance kit -------------------------------------------------------------------------


class TestAmplitudeConformance(ConnectorConformance):
    connector_name = "amplitude"
    secret_values = (API_KEY, SECRET_KEY)

    @pytest.fixture
    def source_config(self, amplitude_sandbox: AmplitudeSandbox) -> dict[str, Any]:
        return config_for(amplitude_sandbox).model_dump(mode="json") | {
            "api_key": API_KEY,
            "secret_key": SECRET_KEY,
        }

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"event": SHARED}

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
        self, amplitude_sandbox: AmplitudeSandbox
    ) -> list[tuple[MetricRequest, float]]:
        november = Window(OCTOBER.end, datetime(2026, 11, 15, tzinfo=ZURICH))
        pairs = []
        for window, query in (
            (OCTOBER, AmplitudeQuery(event=SHARED)),
            (november, AmplitudeQuery(event=SHARED)),
            (november, AmplitudeQuery(event=SHARED, measure="totals")),
        ):
            days = DayRule(ZURICH).span(window)
            assert days is not None
            picked = events_between(amplitude_sandbox, days.first, days.last, of_type(SHARED))
            expected = uniques(picked) if query.measure == "uniques" else len(picked)
            pairs.append((MetricRequest("conformance", query, window, days), float(expected)))
        return pairs

    @pytest.fixture
    def arm_fault(self, amplitude_sandbox: AmplitudeSandbox) -> Any:
        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            amplitude_sandbox.faults.clear()
            if times == 0:
                return
            if html:
                body = "<!DOCTYPE html><html><body>Amplitude is down for maintenance</body></html>"
                amplitude_sandbox.faults.add(SEGMENTATION, status=200, body=body, times=times)
            elif truncate:
                amplitude_sandbox.faults.add(SEGMENTATION, status=None, truncate=True, times=times)
            else:
                amplitude_sandbox.faults.add(
                    SEGMENTATION, status=status, retry_after=retry_after, times=times
                )

        yield arm
        amplitude_sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, amplitude_sandbox: AmplitudeSandbox) -> Any:
        def arm(raw: str) -> None:
            amplitude_sandbox.raw_values[:] = [raw]

        yield arm
        amplitude_sandbox.raw_values.clear()

    @pytest.fixture
    def failure_cases(self, make_connector: Any) -> Any:
        def collect(connector: Any, query: AmplitudeQuery, window: Window = OCTOBER) -> Any:
            days = DayRule(ZURICH).span(window)
            return list(connector.collect([MetricRequest("conformance", query, window, days)]))

        limited = make_sandbox()
        limited.start()
        limited.faults.add(
            SEGMENTATION, status=429, times=10, message="Exceeded rate limit per hour"
        )
        broken = make_sandbox()
        broken.start()
        broken.faults.add(SEGMENTATION, status=502, times=10)
        yield {
            AuthError: lambda: collect(
                make_connector(secret_key="wrong-secret"), AmplitudeQuery(event=SHARED)
            ),
            QueryError: lambda: collect(
                make_connector(), AmplitudeQuery(chart="f0nn3l5"), Window(NOW, NOW)
            ),
            RateLimited: lambda: collect(
                make_connector(url=limited.url), AmplitudeQuery(event=SHARED)
            ),
            TransientSourceError: lambda: collect(
                make_connector(url=broken.url), AmplitudeQuery(event=SHARED)
            ),
        }
        limited.stop()
        broken.stop()
