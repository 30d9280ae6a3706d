"""Mixpanel on the wire: requests through MockTransport, errors, the project's limits, the
conformance kit, traits and the sample config."""

from __future__ import annotations

import base64
import json
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

import connectors.mixpanel
from connectors.mixpanel import MixpanelConnector, MixpanelQuery, MixpanelSourceConfig
from connectors.mixpanel.connector import total
from connectors.mixpanel.data import SIGNED_UP
from connectors.mixpanel.sandbox import MixpanelSandbox
from syncd.abc import (
    DaySpan,
    MetricRequest,
    Observation,
    RateLimit,
    RequestFailed,
    UpstreamFloat,
    ValueKind,
    Window,
)
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.evaluate import DayRule
from syncd.http import mock_transport
from syncd.testing import ConnectorConformance, first_failure
from tests.connectors.mixpanel.conftest import (
    PROJECT_ID,
    PROJECT_ZONE,
    SECRET,
    USER,
    connector_for,
    fast_context,
    happened,
    make_sandbox,
    source_config,
)

SEGMENTATION = "/api/query/segmentation"
WEEK = Window(
    datetime(2026, 11, 9, tzinfo=PROJECT_ZONE), datetime(2026, 11, 16, tzinfo=PROJECT_ZONE)
)
WEEK_DAYS = DaySpan(date(2026, 11, 9), date(2026, 11, 16))
SIGNUPS = MixpanelQuery(event=SIGNED_UP)


def mocked(
    answer: Any, *, status: int = 200, **overrides: Any
) -> tuple[MixpanelConnector, list[httpx.Request]]:
    """A connector whose every call gets ``answer`` (JSON, or a str sent as it is)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, str):
            return httpx.Response(status, text=answer)
        return httpx.Response(status, json=answer)

    raw = {
        "type": "mixpanel",
        "project_id": PROJECT_ID,
        "username": USER,
        "secret": SECRET,
        "timezone": PROJECT_ZONE.key,
    } | overrides
    config = MixpanelSourceConfig.model_validate(raw)
    return MixpanelConnector(config, fast_context(), transport=mock_transport(handler)), seen


def segmentation(values: dict[str, Any], event: str = SIGNED_UP) -> dict[str, Any]:
    return {"data": {"series": list(values), "values": {event: values}}, "legend_size": 1}


def one(connector: MixpanelConnector, query: MixpanelQuery = SIGNUPS) -> Any:
    (result,) = connector.collect([MetricRequest("product", query, WEEK, WEEK_DAYS)])
    return result


# ---- requests and answers through MockTransport ---------------------------------------------


def test_total_asks_daily_general_counts_and_adds_them() -> None:
    connector, seen = mocked(segmentation({"2026-11-09": 3, "2026-11-10": 4}), workspace_id=77)
    result = one(connector)
    assert isinstance(result, Observation) and result.value == 7
    (request,) = seen
    assert request.url.host == "mixpanel.com" and request.url.path == SEGMENTATION
    assert dict(request.url.params) == {
        "project_id": str(PROJECT_ID),
        "workspace_id": "77",
        "event": SIGNED_UP,
        "from_date": "2026-11-09",
        "to_date": "2026-11-15",
        "type": "general",
        "unit": "day",
    }
    token = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"


@pytest.mark.parametrize(
    ("region", "host"),
    [("us", "mixpanel.com"), ("eu", "eu.mixpanel.com"), ("in", "in.mixpanel.com")],
)
def test_regional_hosts(region: str, host: str) -> None:
    connector, seen = mocked(segmentation({"2026-11-09": 1}), region=region)
    one(connector)
    assert (seen[0].url.scheme, seen[0].url.host) == ("https", host)


def test_unique_asks_one_bucket_of_all_days() -> None:
    connector, seen = mocked(segmentation({"2026-11-09": 12}))
    result = one(connector, MixpanelQuery(measure="unique", event=SIGNED_UP))
    assert isinstance(result, Observation) and result.value == 12
    params = dict(seen[0].url.params)
    assert (params["type"], params["interval"]) == ("unique", "7") and "unit" not in params


def test_unique_in_several_buckets_is_refused_not_summed() -> None:
    connector, _ = mocked(segmentation({"2026-11-09": 12, "2026-11-12": 9}))
    result = one(connector, MixpanelQuery(measure="unique", event=SIGNED_UP))
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert "2 buckets" in str(result.error)


def test_sum_reads_results_on_the_property_and_adds_decimals_exactly() -> None:
    answer = {"status": "ok", "computed_at": "x", "results": {"2026-11-09": 0.1, "2026-11-10": 0.2}}
    connector, seen = mocked(answer)
    result = one(connector, MixpanelQuery(measure="sum", event="Paid", property="amount"))
    assert isinstance(result, Observation) and result.value == 0.3  # not 0.30000000000000004
    assert seen[0].url.path == "/api/query/segmentation/sum"
    assert dict(seen[0].url.params)["on"] == 'properties["amount"]'


def test_an_event_without_data_counts_zero() -> None:
    connector, _ = mocked({"data": {"series": [], "values": {}}, "legend_size": 0})
    result = one(connector)
    assert isinstance(result, Observation) and result.value == 0


def test_total_keeps_raw_values_for_the_runner() -> None:
    assert total([3, 4]) == 7
    assert total([UpstreamFloat("0.1"), UpstreamFloat("0.2")]) == Decimal("0.3")
    nan = UpstreamFloat("NaN")
    assert total([1, nan]) is nan
    assert total([1, "twelve"]) == "twelve"
    assert total([1, None]) == "None"
    assert total([-5]) == -5
    assert total([]) == 0


def test_a_raw_nan_among_days_fails_its_request_quoting_it() -> None:
    connector, _ = mocked('{"data": {"series": [], "values": {"Signed up": {"a": 1, "b": NaN}}}}')
    result = one(connector)
    assert isinstance(result, RequestFailed) and "'NaN'" in str(result.error)


def test_a_report_broken_down_by_a_property_is_refused() -> None:
    answer = {"series": {"Logged in": {"ios": {"2026-11-09T00:00:00-08:00": 4}}}}
    connector, seen = mocked(answer)
    result = one(connector, MixpanelQuery(measure="report", bookmark_id=42))
    assert isinstance(result, RequestFailed) and "broken down" in str(result.error)
    assert seen[0].url.path == "/api/query/insights"
    assert dict(seen[0].url.params) == {"project_id": str(PROJECT_ID), "bookmark_id": "42"}


def test_an_answer_without_its_object_is_transient() -> None:
    connector, seen = mocked({"legend_size": 1})
    with pytest.raises(TransientSourceError, match=r"no data\.values object"):
        first_failure([one(connector)])
    assert len(seen) == 1


def test_mixpanel_error_words_reach_the_message_without_the_secret() -> None:
    body = {"request": "/api/query/segmentation?project_id=1", "error": f"bad where {SECRET}"}
    connector, _ = mocked(body, status=400)
    result = one(connector)
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert "bad where ***" in str(result.error) and SECRET not in str(result.error)


# ---- models and traits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind", "day_zone", "past"),
    [
        ({"event": "e"}, ValueKind.COUNT, PROJECT_ZONE, True),
        ({"measure": "unique", "event": "e"}, ValueKind.COUNT, PROJECT_ZONE, True),
        ({"measure": "sum", "event": "e", "property": "p"}, ValueKind.SUM, PROJECT_ZONE, True),
        ({"measure": "report", "bookmark_id": 1}, ValueKind.NUMBER, None, False),
    ],
)
def test_traits(query: dict[str, Any], kind: ValueKind, day_zone: Any, past: bool) -> None:
    config = source_config("http://127.0.0.1:1")
    traits = MixpanelConnector.traits(
        config, MixpanelQuery.model_validate(query), ZoneInfo("Europe/Zurich")
    )
    assert (traits.kind, traits.day_zone, traits.past_windows, traits.past_snapshots) == (
        kind,
        day_zone,
        past,
        past,
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({}, "needs event"),
        ({"measure": "sum", "event": "e"}, "property"),
        ({"event": "e", "property": "p"}, "property"),
        ({"measure": "report"}, "bookmark_id"),
        ({"measure": "report", "bookmark_id": 1, "event": "e"}, "drop event"),
        ({"event": "e", "series": "s"}, "apply to measure report"),
    ],
)
def test_query_model_refuses_what_does_not_fit(query: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        MixpanelQuery.model_validate(query)


def test_the_project_zone_must_be_a_real_one() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        source_config("http://127.0.0.1:1", timezone="Pacific/Atlantis")
    with pytest.raises(ValidationError, match="timezone"):
        MixpanelSourceConfig.model_validate(
            {"type": "mixpanel", "project_id": 1, "username": "u", "secret": "s"}
        )


def test_sample_config_loads() -> None:
    sample = Path(connectors.mixpanel.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={"MIXPANEL_SECRET": "s", "MIXPANEL_EU_SECRET": "t"}).config
    assert {source.type for source in config.sources.values()} == {"mixpanel"}
    assert {m.query.measure for m in config.metrics.values() if m.query is not None} == {
        "total",
        "unique",
        "sum",
        "report",
    }


# ---- the sandbox's errors through the connector ------------------------------------------------


def test_wrong_secret_is_an_auth_error_without_the_secret(
    mixpanel_sandbox: MixpanelSandbox,
) -> None:
    with (
        connector_for(mixpanel_sandbox, secret="wrong-secret") as connector,
        pytest.raises(AuthError) as raised,
    ):
        first_failure([one(connector)])
    assert "401" in str(raised.value) and "wrong-secret" not in str(raised.value)


def test_another_project_is_forbidden(mixpanel_sandbox: MixpanelSandbox) -> None:
    with connector_for(mixpanel_sandbox, project_id=1) as connector, pytest.raises(AuthError):
        first_failure([one(connector)])


def test_a_where_mixpanel_refuses_fails_that_request_only(
    mixpanel_sandbox: MixpanelSandbox,
) -> None:
    bad = MetricRequest(
        "product", MixpanelQuery(event=SIGNED_UP, where="nonsense"), WEEK, WEEK_DAYS
    )
    good = MetricRequest("product", SIGNUPS, WEEK, WEEK_DAYS)
    with connector_for(mixpanel_sandbox) as connector:
        failed, answered = connector.collect([bad, good])
    assert isinstance(failed, RequestFailed) and isinstance(failed.error, QueryError)
    assert "400" in str(failed.error) and "nonsense" in str(failed.error)
    assert isinstance(answered, Observation)
    assert answered.value == len(happened(SIGNED_UP, WEEK_DAYS.first, WEEK_DAYS.last))


@pytest.mark.parametrize("fault", [{"status": 502}, {"status": 200, "truncate": True}])
def test_a_passing_fault_is_retried(fresh_sandbox: MixpanelSandbox, fault: dict[str, Any]) -> None:
    fresh_sandbox.faults.add(SEGMENTATION, **fault)
    with connector_for(fresh_sandbox) as connector:
        result = one(connector)
        stats = connector.context.stats
    assert isinstance(result, Observation)
    assert (stats.calls, stats.retries) == (2, 1)


def test_check_proves_the_project_can_be_queried(mixpanel_sandbox: MixpanelSandbox) -> None:
    with connector_for(mixpanel_sandbox) as connector:
        assert connector.check() == (
            f"{USER} can query project {PROJECT_ID} on {mixpanel_sandbox.url}"
        )
    with connector_for(mixpanel_sandbox, secret="nope") as connector, pytest.raises(AuthError):
        connector.check()


# ---- the project's limits: 60 queries an hour, 5 at once --------------------------------------


def test_the_documented_limits_are_the_defaults() -> None:
    assert MixpanelConnector.default_rate_limit == RateLimit(requests=60, per_seconds=3600)
    assert MixpanelConnector.default_concurrency == 5
    limiter = MixpanelConnector.limiter_for(source_config("http://127.0.0.1:1"))
    assert (limiter.requests, limiter.per_seconds) == (60, 3600)
    assert limiter._in_flight._value == 5  # type: ignore[attr-defined]


def _sync_40_krs(sandbox: MixpanelSandbox, **limits: Any) -> list[Any]:
    """40 requests, as 8 daemon jobs of 5 sharing one connector (the runner's threads)."""
    config = source_config(sandbox.url, **limits)
    context = fast_context()
    context.limiter = MixpanelConnector.limiter_for(config)
    connector = MixpanelConnector(config, context)
    requests = [
        MetricRequest(
            "product", MixpanelQuery(event=event), window, DayRule(PROJECT_ZONE).span(window)
        )
        for event in ("Signed up", "App opened", "Doctor booked", "Activated")
        for window in [
            Window(
                datetime(2026, 11, day, tzinfo=PROJECT_ZONE),
                datetime(2026, 11, day + 1, tzinfo=PROJECT_ZONE),
            )
            for day in range(1, 11)
        ]
    ]
    results: list[Any] = []
    start = threading.Barrier(8)

    def job(part: list[MetricRequest[MixpanelQuery]]) -> None:
        start.wait()
        results.extend(connector.collect(part))

    threads = [threading.Thread(target=job, args=(requests[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connector.close()
    return results


def test_a_sync_of_40_krs_is_paced_below_the_limits_without_a_429() -> None:
    # The sandbox enforces Mixpanel's 60 queries per window and 5 at once with 429s; the window
    # is 2 s instead of an hour so the test stays fast, and so is the source's rate_limit.
    sandbox = make_sandbox(queries_per_hour=60, rate_window=2.0, concurrency=5, latency=0.05)
    with sandbox:
        results = _sync_40_krs(sandbox, rate_limit={"requests": 60, "per_seconds": 2.0})
    assert len(results) == 40 and all(isinstance(r, Observation) for r in results)
    assert sandbox.rate_limited == 0
    assert len(sandbox.requests) == 40
    assert 1 < sandbox.max_in_flight <= 5  # at most 5 at once, and not one by one


def test_without_pacing_the_sandbox_answers_429() -> None:
    sandbox = make_sandbox(queries_per_hour=60, rate_window=2.0, concurrency=5, latency=0.05)
    with sandbox:
        _sync_40_krs(sandbox, rate_limit={"requests": 60, "per_seconds": 2.0}, concurrency=8)
    assert sandbox.rate_limited > 0


def test_the_sandbox_answers_429_past_the_hourly_budget_as_mixpanel_does() -> None:
    with make_sandbox(queries_per_hour=2) as sandbox, httpx.Client(auth=(USER, SECRET)) as http:
        params = {
            "project_id": PROJECT_ID,
            "event": SIGNED_UP,
            "from_date": "2026-11-01",
            "to_date": "2026-11-01",
        }
        codes = [http.get(sandbox.url + SEGMENTATION, params=params).status_code for _ in range(3)]
        refused = http.get(sandbox.url + SEGMENTATION, params=params)
    assert codes == [200, 200, 429]
    assert "Retry-After" not in refused.headers
    assert set(refused.json()) == {"request", "error"} and "60" not in refused.json()["error"]


def test_sandbox_answers_the_documented_shapes(mixpanel_sandbox: MixpanelSandbox) -> None:
    plain = {"Authorization": f"Basic {USER}:{SECRET}"}  # Mixpanel also accepts plain text
    with httpx.Client(headers=plain) as http:
        base = mixpanel_sandbox.url + "/api/query"
        days = {"project_id": PROJECT_ID, "from_date": "2026-11-09", "to_date": "2026-11-10"}
        seg = http.get(f"{base}/segmentation", params=days | {"event": SIGNED_UP}).json()
        summed = http.get(
            f"{base}/segmentation/sum",
            params=days | {"event": "Doctor booked", "on": 'properties["fee"]'},
        ).json()
        report = http.get(
            f"{base}/insights", params={"project_id": PROJECT_ID, "bookmark_id": 4101}
        ).json()
        names = http.get(
            f"{base}/events/names", params={"project_id": PROJECT_ID, "type": "general"}
        )
    assert seg["data"]["series"] == ["2026-11-09", "2026-11-10"] and seg["legend_size"] == 1
    assert set(seg["data"]["values"][SIGNED_UP]) == {"2026-11-09", "2026-11-10"}
    assert summed["status"] == "ok" and set(summed["results"]) == {"2026-11-09", "2026-11-10"}
    assert set(report) == {"computed_at", "date_range", "headers", "series"}
    assert report["date_range"]["from_date"] == "2026-10-23T00:00:00-07:00"
    assert report["date_range"]["to_date"] == "2026-11-21T23:59:59.999000-08:00"
    assert next(iter(report["series"]["Doctor booked"])) == "2026-10-23T00:00:00-07:00"
    assert isinstance(names.json(), list) and names.json()[0] == "App opened"


# ---- the conformance kit ----------------------------------------------------------------------


class TestMixpanelConformance(ConnectorConformance):
    connector_name = "mixpanel"
    secret_values = (SECRET,)

    @pytest.fixture
    def source_config(self, mixpanel_sandbox: MixpanelSandbox) -> dict[str, Any]:
        return source_config(mixpanel_sandbox.url).model_dump(mode="json") | {"secret": SECRET}

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"event": SIGNED_UP}

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
    def windowed_requests(self) -> list[tuple[MetricRequest[Any], float]]:
        pairs: list[tuple[MetricRequest[Any], float]] = []
        october = Window(
            datetime(2026, 10, 1, tzinfo=PROJECT_ZONE), datetime(2026, 11, 1, tzinfo=PROJECT_ZONE)
        )
        for window, query in (
            (october, SIGNUPS),
            (WEEK, SIGNUPS),
            (WEEK, MixpanelQuery(measure="unique", event="App opened")),
        ):
            days = DayRule(PROJECT_ZONE).span(window)
            assert days is not None
            found = happened(query.event or "", days.first, days.last)
            expected = (
                len(found) if query.measure == "total" else len({e.distinct_id for e in found})
            )
            pairs.append((MetricRequest("product", query, window, days), float(expected)))
        return pairs

    @pytest.fixture
    def arm_fault(self, mixpanel_sandbox: MixpanelSandbox) -> Any:
        def arm(
            *,
            status: int | None = None,
            retry_after: float | None = None,
            html: bool = False,
            truncate: bool = False,
            times: int = 1,
        ) -> None:
            mixpanel_sandbox.faults.clear()
            if times == 0:
                return
            if html:
                body = "<!DOCTYPE html><html><body>Log in to Mixpanel</body></html>"
                mixpanel_sandbox.faults.add(SEGMENTATION, status=200, body=body, times=times)
            elif truncate:
                mixpanel_sandbox.faults.add(SEGMENTATION, status=200, truncate=True, times=times)
            else:
                mixpanel_sandbox.faults.add(
                    SEGMENTATION, status=status, retry_after=retry_after, times=times
                )

        yield arm
        mixpanel_sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, mixpanel_sandbox: MixpanelSandbox) -> Any:
        def arm(raw: str) -> None:
            mixpanel_sandbox.raw_values[:] = [raw]

        yield arm
        mixpanel_sandbox.raw_values.clear()

    @pytest.fixture
    def failure_cases(self, make_connector: Any) -> Any:
        def collect(connector: Any, query: MixpanelQuery = SIGNUPS) -> Any:
            return list(connector.collect([MetricRequest("product", query, WEEK, WEEK_DAYS)]))

        limited = make_sandbox(queries_per_hour=0)
        limited.start()
        broken = make_sandbox()
        broken.start()
        broken.faults.add(SEGMENTATION, status=502, times=10)
        yield {
            AuthError: lambda: collect(make_connector(secret="nope")),
            QueryError: lambda: collect(make_connector(), MixpanelQuery(event="e", where="x")),
            RateLimited: lambda: collect(make_connector(url=limited.url)),
            TransientSourceError: lambda: collect(make_connector(url=broken.url)),
        }
        limited.stop()
        broken.stop()


def test_the_sandbox_logs_json_bodies(mixpanel_sandbox: MixpanelSandbox) -> None:
    with httpx.Client() as http:
        answer = http.get(mixpanel_sandbox.url + SEGMENTATION)
    assert answer.status_code == 401
    assert json.loads(answer.text) == {
        "request": SEGMENTATION,
        "error": "Unable to authenticate request: invalid service account credentials",
    }
