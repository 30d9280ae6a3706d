"""The salesforce connector through simple-salesforce against the TLS sandbox.

Expected values are computed from the sandbox's raw records (``sandbox.records``) with plain
Python, independently of the SOQL evaluator and the connector.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sf_support import ZURICH, fast_context, local, password_config

from connectors.salesforce import SalesforceConnector, SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.errors import ApiAllocationExhausted
from connectors.salesforce.sandbox import HtmlPage, SalesforceSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.config.loader import load_config
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.evaluate import DayRule
from syncd.testing import ConnectorConformance

Q4_TO_DATE = Window(local(2026, 10, 1), local(2026, 11, 21, 6))
OCTOBER = Window(local(2026, 10, 1), local(2026, 11, 1))

NEWCOMER_REVENUE = (
    "SELECT SUM(Amount) FROM Opportunity WHERE IsWon = true AND Segment__c = 'Newcomer' "
    "AND CloseDate >= {window_start} AND CloseDate < {window_end}"
)
LEADS_CREATED = (
    "SELECT COUNT() FROM Lead WHERE CreatedDate >= {window_start:datetime} "
    "AND CreatedDate < {window_end:datetime}"
)
PER_EXISTING_CUSTOMER = (
    "SELECT AccountId, SUM(Amount) total FROM Opportunity WHERE IsWon = true "
    "AND Segment__c = 'Existing' AND CloseDate >= {window_start} AND CloseDate < {window_end} "
    "GROUP BY AccountId"
)


def request(window: Window, source: str = "sales", **query: Any) -> MetricRequest:
    """A request as the planner makes it: whole days (``DayRule``) for date placeholders."""
    parsed = SalesforceQuery.model_validate(query)
    config = SalesforceSourceConfig.model_validate(
        {"type": "salesforce", "auth": {"flow": "session", "session_id": "x"},
         "instance_url": "https://x.example"}
    )  # fmt: skip
    zone = SalesforceConnector.traits(config, parsed, ZURICH).day_zone
    days = DayRule(zone).span(window) if zone is not None else None
    return MetricRequest(source, parsed, window, days)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def won_newcomer_revenue(records: dict, start: date, end: date) -> float:
    return math.fsum(
        o["Amount"]
        for o in records["Opportunity"]
        if o["IsWon"] and o["Segment__c"] == "Newcomer" and start <= o["CloseDate"] < end
    )


def leads_created(records: dict, window: Window) -> int:
    start, end = utc(window.start), utc(window.end)
    return sum(1 for lead in records["Lead"] if start <= lead["CreatedDate"] < end)


def revenue_per_existing_customer(records: dict, start: date, end: date) -> float:
    per_account: dict[str, float] = {}
    for o in records["Opportunity"]:
        if o["IsWon"] and o["Segment__c"] == "Existing" and start <= o["CloseDate"] < end:
            per_account[o["AccountId"]] = per_account.get(o["AccountId"], 0.0) + o["Amount"]
    return math.fsum(per_account.values()) / len(per_account)


# ---- conformance ---------------------------------------------------------------------------------


class TestSalesforceConformance(ConnectorConformance):
    connector_name = "salesforce"
    secret_values = ("sandbox-client-secret", "sandbox-password", "sandboxtoken")

    @pytest.fixture
    def source_config(self, sandbox: SalesforceSandbox) -> dict[str, Any]:
        return password_config(sandbox)

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"soql": NEWCOMER_REVENUE, "if_null": 0}

    @pytest.fixture
    def make_connector(self, source_config, context, connect):
        return lambda **overrides: connect({**source_config, **overrides}, context)

    @pytest.fixture
    def windowed_requests(self, sandbox: SalesforceSandbox, context) -> list:
        records = sandbox.records
        source = context.source
        return [
            (
                request(OCTOBER, source, soql=NEWCOMER_REVENUE),
                won_newcomer_revenue(records, date(2026, 10, 1), date(2026, 11, 1)),
            ),
            (
                request(Q4_TO_DATE, source, soql=NEWCOMER_REVENUE),
                won_newcomer_revenue(records, date(2026, 10, 1), date(2026, 11, 21)),
            ),
            (request(OCTOBER, source, soql=LEADS_CREATED), leads_created(records, OCTOBER)),
            (
                request(OCTOBER, source, soql=PER_EXISTING_CUSTOMER, reduce="avg", value="total"),
                revenue_per_existing_customer(records, date(2026, 10, 1), date(2026, 11, 1)),
            ),
        ]

    @pytest.fixture
    def arm_fault(self, sandbox: SalesforceSandbox):
        def arm(*, status=None, retry_after=None, html=False, truncate=False, times=1) -> None:
            sandbox.faults.clear()
            if times <= 0:
                return
            body = HtmlPage() if html else None
            if status == 403:  # a permission refusal, not the allocation (REQUEST_LIMIT_EXCEEDED)
                body = [{"message": "API is not enabled", "errorCode": "API_DISABLED_FOR_ORG"}]
            sandbox.faults.add(
                "/services/data/",
                status=status if status is not None else 200,
                retry_after=retry_after,
                truncate=truncate,
                body=body,
                times=times,
            )

        yield arm
        sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, sandbox: SalesforceSandbox):
        yield sandbox.arm_value
        sandbox.arm_value(None)

    @pytest.fixture
    def failure_cases(self, make_connector, make_sandbox, context, source_config) -> dict:
        good = request(OCTOBER, context.source, soql=NEWCOMER_REVENUE)
        bad_field = request(OCTOBER, context.source, soql="SELECT SUM(Nope__c) FROM Opportunity")
        wrong_password = {**source_config["auth"], "password": "not-it"}
        flaky = make_sandbox()
        flaky.faults.add("/services/data/", status=503, times=10)
        throttled = make_sandbox()
        throttled.faults.add("/services/data/", status=429, retry_after=30, times=10)
        return {
            AuthError: lambda: make_connector(auth=wrong_password).collect([good]),
            QueryError: lambda: make_connector().collect([bad_field]),
            TransientSourceError: lambda: make_connector(**_pointed_at(flaky)).collect([good]),
            RateLimited: lambda: make_connector(**_pointed_at(throttled)).collect([good]),
        }


def three_weeks(soql: str) -> list[MetricRequest]:
    """Three distinct requests (the runner asks identical ones once)."""
    weeks = [Window(local(2026, 10, d), local(2026, 10, d + 7)) for d in (5, 12, 19)]
    return [request(week, soql=soql) for week in weeks]


def _pointed_at(sandbox: SalesforceSandbox) -> dict[str, Any]:
    return {"login_url": sandbox.url, "ca_bundle": sandbox.ca_file}


# ---- values and calls ----------------------------------------------------------------------------


def test_auth_flows_each_log_in_with_their_grant(sandbox: SalesforceSandbox, connect) -> None:
    expected = won_newcomer_revenue(sandbox.records, date(2026, 10, 1), date(2026, 11, 1))
    base = {"type": "salesforce", "login_url": sandbox.url, "ca_bundle": sandbox.ca_file}
    flows = {
        "jwt": {
            "flow": "jwt",
            "client_id": sandbox.client_id,
            "username": sandbox.username,
            "private_key": sandbox.jwt_private_key,
        },
        "client_credentials": {
            "flow": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
        "password": password_config(sandbox)["auth"],
    }
    for flow, auth in flows.items():
        extra = {"domain": "syncd-sandbox.my"} if flow == "client_credentials" else {}
        before = len(sandbox.requests)
        connector = connect({**base, **extra, "auth": auth})
        (result,) = connector.collect([request(OCTOBER, soql=NEWCOMER_REVENUE)])
        assert isinstance(result, Observation), f"{flow}: {result}"
        assert result.value == pytest.approx(expected, rel=1e-12)
        token_call, query_call = sandbox.requests[before:]
        assert token_call.path == "/services/oauth2/token"
        assert query_call.path == "/services/data/v59.0/query/"
        assert connector.context.stats.calls == 2, flow

    grants = [r.body.split("grant_type=")[1].split("&")[0] for r in sandbox.requests
              if r.path == "/services/oauth2/token"][-3:]  # fmt: skip
    assert grants == ["urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
                      "client_credentials", "password"]  # fmt: skip


def test_a_given_session_needs_no_login(sandbox: SalesforceSandbox, connect) -> None:
    raw = {
        "type": "salesforce",
        "instance_url": sandbox.url,
        "ca_bundle": sandbox.ca_file,
        "auth": {"flow": "session", "session_id": sandbox.issue_session()},
    }
    before = len(sandbox.requests)
    connector = connect(raw)
    (result,) = connector.collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, Observation)
    assert result.value == leads_created(sandbox.records, OCTOBER)
    assert [r.path for r in sandbox.requests[before:]] == ["/services/data/v59.0/query/"]


def test_window_bounds_follow_the_configured_time_zone(sandbox, connect) -> None:
    # Leads created between 22:00 and 24:00 UTC on 30 September belong to October in Zurich.
    connector = connect(password_config(sandbox))
    (result,) = connector.collect([request(OCTOBER, soql=LEADS_CREATED)])
    zurich = leads_created(sandbox.records, OCTOBER)
    utc_month = leads_created(
        sandbox.records,
        Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
    )
    assert zurich != utc_month
    assert isinstance(result, Observation) and result.value == zurich
    # Date fields take the local dates: a window ending 21 Nov 06:00 excludes CloseDate 21 Nov.
    assert "CloseDate < 2026-11-21" in connector.render(request(Q4_TO_DATE, soql=NEWCOMER_REVENUE))


def test_record_queries_page_through_next_records_url(sandbox, connect) -> None:
    connector = connect(password_config(sandbox, batch_size=200))
    soql = (
        "SELECT Amount FROM Opportunity WHERE CloseDate >= {window_start} "
        "AND CloseDate < {window_end}"
    )
    expected_rows = [
        o for o in sandbox.records["Opportunity"]
        if date(2026, 10, 1) <= o["CloseDate"] < date(2026, 11, 21)
    ]  # fmt: skip
    before = len(sandbox.requests)
    results = connector.collect(
        [
            request(Q4_TO_DATE, soql=soql, reduce="sum", value="Amount"),
            request(Q4_TO_DATE, soql=soql, reduce="count"),
            request(Q4_TO_DATE, soql=soql, reduce="max", value="Amount"),
        ]
    )
    values = [result.value for result in results]  # type: ignore[union-attr]
    assert values == [
        pytest.approx(math.fsum(o["Amount"] for o in expected_rows), rel=1e-12),
        len(expected_rows),
        max(o["Amount"] for o in expected_rows),
    ]
    pages = math.ceil(len(expected_rows) / 200)
    assert pages >= 3
    paths = [r.path for r in sandbox.requests[before:]]
    assert paths.count("/services/oauth2/token") == 1
    assert len(paths) == 1 + 3 * pages
    assert connector.context.stats.calls == 1 + 3 * pages
    more = [r for r in sandbox.requests[before:] if "/query/01g" in r.path]
    assert all(r.headers["Sforce-Query-Options"] == "batchSize=200" for r in more)


def test_count_only_queries_read_total_size(sandbox, connect) -> None:
    connector = connect(password_config(sandbox))
    soql = "SELECT COUNT() FROM Case WHERE IsClosed = false AND CreatedDate < {window_end:datetime}"
    (result,) = connector.collect([request(OCTOBER, soql=soql)])
    end = utc(OCTOBER.end)
    expected = sum(
        1 for c in sandbox.records["Case"] if not c["IsClosed"] and c["CreatedDate"] < end
    )
    assert isinstance(result, Observation) and result.value == expected


def test_params_are_bound_as_literals(sandbox, connect) -> None:
    connector = connect(password_config(sandbox))
    soql = (
        "SELECT COUNT(Id) FROM Opportunity WHERE Segment__c = {segment} AND IsWon = {won} "
        "AND CloseDate >= {window_start} AND CloseDate < {window_end}"
    )
    results = connector.collect(
        [
            request(OCTOBER, soql=soql, params={"segment": "Existing", "won": True}),
            request(OCTOBER, soql=soql, params={"segment": "x' OR Segment__c != '", "won": True}),
        ]
    )
    expected = sum(
        1 for o in sandbox.records["Opportunity"]
        if o["Segment__c"] == "Existing" and o["IsWon"]
        and date(2026, 10, 1) <= o["CloseDate"] < date(2026, 11, 1)
    )  # fmt: skip
    assert [r.value for r in results] == [expected, 0]  # type: ignore[union-attr]


def test_shape_errors_fail_the_request_only(sandbox, connect) -> None:
    connector = connect(password_config(sandbox))
    results = connector.collect(
        [
            request(OCTOBER, soql="SELECT SUM(Amount), COUNT(Id) FROM Opportunity"),
            request(OCTOBER, soql="SELECT SUM(Amount) FROM Opportunity WHERE Amount > 1000000000"),
            request(OCTOBER, soql="SELECT Amount FROM Opportunity WHERE Amount > 0"),
            request(
                OCTOBER, soql="SELECT SUM(Amount) FROM Opportunity WHERE Amount < 0", if_null=0
            ),
            request(OCTOBER, soql="SELECT COUNT() FROM Lead WHERE CreatedDate >= {window_start}"),
        ]
    )
    kinds = [type(r.error).__name__ if isinstance(r, RequestFailed) else r.value for r in results]
    assert kinds == ["QueryError", "QueryError", "QueryError", 0.0, "QueryError"]
    messages = [str(r.error) for r in results if isinstance(r, RequestFailed)]
    assert "name the one to use with 'value'" in messages[0]
    assert "if_null" in messages[1]
    assert "set 'reduce'" in messages[2]
    assert "{window_start:datetime}" in messages[3]


# ---- sessions, limits, faults --------------------------------------------------------------------


def test_an_expired_session_logs_in_again_once(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    connector = connect(password_config(sandbox))
    first = request(OCTOBER, soql=LEADS_CREATED)
    assert isinstance(next(iter(connector.collect([first]))), Observation)
    sandbox.expire_sessions()
    before = len(sandbox.requests)
    (result,) = connector.collect([first])
    assert isinstance(result, Observation)
    assert [r.path for r in sandbox.requests[before:]] == [
        "/services/data/v59.0/query/",
        "/services/oauth2/token",
        "/services/data/v59.0/query/",
    ]
    # A fresh session rejected too is an auth failure, after exactly one more login.
    sandbox.faults.add("/services/data/", status=401, times=2)
    sandbox.expire_sessions()
    before = len(sandbox.requests)
    (result,) = connector.collect([first])
    assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
    assert "rejected a fresh session" in str(result.error)
    assert [r.path for r in sandbox.requests[before:]] == [
        "/services/data/v59.0/query/",
        "/services/oauth2/token",
        "/services/data/v59.0/query/",
    ]


def test_an_expired_given_session_is_an_auth_error(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    raw = {
        "type": "salesforce",
        "instance_url": sandbox.url,
        "ca_bundle": sandbox.ca_file,
        "auth": {"flow": "session", "session_id": "00Dexpired!AQ"},
    }
    (result,) = connect(raw).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
    assert "INVALID_SESSION_ID" in str(result.error)


def test_request_limit_exceeded_pauses_the_source(make_sandbox, connect) -> None:
    sandbox = make_sandbox(daily_limit=10)
    connector = connect(password_config(sandbox, max_api_share=1.0, pause_seconds=600))
    lead_count = request(OCTOBER, soql=LEADS_CREATED)
    assert isinstance(next(iter(connector.collect([lead_count]))), Observation)
    sandbox.api_used = sandbox.daily_limit  # other integrations used up the org's allocation
    results = list(connector.collect(three_weeks(LEADS_CREATED)))
    assert [type(r).__name__ for r in results] == ["RequestFailed"] * 3
    errors = [r.error for r in results if isinstance(r, RequestFailed)]
    assert all(isinstance(e, ApiAllocationExhausted) for e in errors)
    assert "REQUEST_LIMIT_EXCEEDED" in str(errors[0]) and errors[0].retry_after == 600
    assert "source paused for 600 s" in str(errors[2])
    assert sandbox.api_calls() == 2  # one refused call, then the source stayed home
    assert connector.context.stats.calls == 3  # login, the first query, the refused one
    # A new connector for the same source (the next run) honours the pause.
    again = SalesforceConnector(connector.config, fast_context())
    (result,) = again.collect([lead_count])
    assert isinstance(result, RequestFailed) and "paused" in str(result.error)
    assert sandbox.api_calls() == 2
    again.quota.resume()


def test_stops_at_the_configured_share_of_the_daily_allocation(make_sandbox, connect) -> None:
    sandbox = make_sandbox(daily_limit=100, api_used=78)
    connector = connect(password_config(sandbox, max_api_share=0.8))
    requests = [*three_weeks(LEADS_CREATED), request(OCTOBER, soql=LEADS_CREATED)]
    results = list(connector.collect(requests))
    # Calls 79 and 80 go out; at 80/100 the share is reached and the rest stay home.
    assert [isinstance(r, Observation) for r in results] == [True, True, False, False]
    assert "max_api_share" in str(results[2].error)  # type: ignore[union-attr]
    assert sandbox.api_used == 80
    assert connector.quota.usage is not None and connector.quota.usage.used == 80


def test_server_errors_and_cut_bodies_are_retried(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add("/services/data/", status=500, times=1)
    sandbox.faults.add("/services/data/", status=200, truncate=True, times=1)
    connector = connect(password_config(sandbox))
    (result,) = connector.collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, Observation)
    assert result.value == leads_created(sandbox.records, OCTOBER)
    assert sandbox.api_calls() == 3
    assert (connector.context.stats.calls, connector.context.stats.retries) == (4, 2)


def test_429_waits_for_retry_after(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add("/services/data/", status=429, retry_after=0.2, times=1)
    connector = connect(password_config(sandbox))
    (result,) = connector.collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, Observation)
    assert connector.context.stats.retries == 1
    assert sandbox.api_calls() == 2


def test_login_failures_fail_the_whole_source(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    raw = password_config(sandbox)
    raw["auth"] = {**raw["auth"], "client_secret": "wrong-secret"}
    (result,) = connect(raw).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
    assert "invalid_client" in str(result.error)
    jwt_raw = {
        "type": "salesforce",
        "login_url": sandbox.url,
        "ca_bundle": sandbox.ca_file,
        "auth": {
            "flow": "jwt",
            "client_id": sandbox.client_id,
            "username": "someone@else.example",
            "private_key": sandbox.jwt_private_key,
        },
    }
    with pytest.warns(UserWarning, match=r"authorize this\s+application"):
        (result,) = connect(jwt_raw).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
    assert "user hasn't approved this consumer" in str(result.error)


def test_an_untrusted_certificate_is_refused(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    raw = password_config(sandbox)
    del raw["ca_bundle"]
    (result,) = connect(raw).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, RequestFailed) and isinstance(result.error, SourceError)
    assert "TLS verification failed" in str(result.error)
    assert sandbox.requests == []


# ---- config --------------------------------------------------------------------------------------


def test_config_rules() -> None:
    base = {"type": "salesforce", "auth": {"flow": "session", "session_id": "s3cr3t"}}
    with pytest.raises(ValueError, match="needs 'instance_url'"):
        SalesforceSourceConfig.model_validate(base)
    with pytest.raises(ValueError, match="https://"):
        SalesforceSourceConfig.model_validate({**base, "instance_url": "http://x.example"})
    cc = {"flow": "client_credentials", "client_id": "a", "client_secret": "b"}
    with pytest.raises(ValueError, match="My Domain"):
        SalesforceSourceConfig.model_validate({"type": "salesforce", "auth": cc})
    config = SalesforceSourceConfig.model_validate(
        {"type": "salesforce", "auth": cc, "login_url": "https://acme.my.salesforce.com"}
    )
    assert (config.login_domain, config.login_is_redirected) == ("acme.my", False)


def test_sample_config_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sf.key").write_text("-----BEGIN PRIVATE KEY-----\nsample\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9-sample")
    monkeypatch.setenv("SF_SUPPORT_SECRET", "sample-secret")
    sample = Path(__file__).parents[3] / "connectors" / "salesforce" / "sample.yaml"
    config = load_config(sample).config
    sources = {name: source.type for name, source in config.sources.items()}
    assert set(sources.values()) == {"salesforce"}
    assert {metric.source for metric in config.metrics.values() if metric.source} <= set(sources)
    assert all(isinstance(m.query, SalesforceQuery) for m in config.metrics.values() if m.query)
    jwt = config.sources["sales"].auth  # type: ignore[attr-defined]
    assert jwt.private_key.get_secret_value().startswith("-----BEGIN PRIVATE KEY-----\nsample")


def test_the_sandbox_runs_in_the_foreground_module() -> None:
    from connectors.salesforce import sandbox as module

    assert callable(module.main)
