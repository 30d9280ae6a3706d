"""The salesforce connector on the framework's seam: traits per query, the planner's days,
bad bodies, impossible values, retries counted per run, pinned paging, login outages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sf_support import ZURICH, fast_context, local, password_config
from test_salesforce_connector import (
    LEADS_CREATED,
    NEWCOMER_REVENUE,
    OCTOBER,
    leads_created,
    request,
    won_newcomer_revenue,
)

from connectors.salesforce import SalesforceConnector, SalesforceQuery, SalesforceSourceConfig
from connectors.salesforce.sandbox import HtmlPage, RawJson, SalesforceSandbox
from syncd.abc import DaySpan, MetricRequest, Observation, RequestFailed, ValueKind, Window
from syncd.collect import run_connector
from syncd.errors import AuthError, QueryError, TransientSourceError

CONFIG = SalesforceSourceConfig.model_validate(
    {"type": "salesforce", "auth": {"flow": "session", "session_id": "x"},
     "instance_url": "https://acme.my.salesforce.com"}
)  # fmt: skip


# ---- traits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "day_zone", "past", "kind"),
    [
        ({"soql": NEWCOMER_REVENUE}, ZURICH, True, ValueKind.SUM),
        ({"soql": LEADS_CREATED}, None, True, ValueKind.COUNT),
        ({"soql": "SELECT COUNT() FROM Case WHERE IsClosed = false"}, None, False, ValueKind.COUNT),
        ({"soql": "SELECT COUNT(Id) FROM Lead WHERE CreatedDate < {window_end:datetime}"},
         None, True, ValueKind.COUNT),
        ({"soql": "SELECT AVG(Amount) FROM Opportunity WHERE CloseDate < {window_end}"},
         ZURICH, True, ValueKind.NUMBER),
        ({"soql": "SELECT MAX(Amount) top FROM Opportunity"}, None, False, ValueKind.NUMBER),
        ({"soql": "SELECT SUM(Amount) s, COUNT(Id) n FROM Opportunity", "value": "n"},
         None, False, ValueKind.COUNT),
        ({"soql": "SELECT AccountId, SUM(Amount) total FROM Opportunity GROUP BY AccountId",
          "value": "total", "reduce": "avg"}, None, False, ValueKind.NUMBER),
        ({"soql": "SELECT AccountId, SUM(Amount) total FROM Opportunity GROUP BY AccountId",
          "value": "total", "reduce": "sum"}, None, False, ValueKind.SUM),
        ({"soql": "SELECT Id FROM Lead WHERE CreatedDate >= {window_start:datetime} AND "
                  "ConvertedDate < {window_end}", "reduce": "count"},
         ZURICH, True, ValueKind.COUNT),
    ],
)  # fmt: skip
def test_traits_per_query(query: dict[str, Any], day_zone, past: bool, kind: ValueKind) -> None:
    traits = SalesforceConnector.traits(CONFIG, SalesforceQuery.model_validate(query), ZURICH)
    assert (traits.day_zone, traits.past_windows, traits.past_snapshots, traits.kind) == (
        day_zone,
        past,
        past,
        kind,
    )


def test_date_placeholders_read_the_planners_days(sandbox: SalesforceSandbox, connect) -> None:
    # A `0 6 * * *` slot: the planner snapped it to the days 2..7 October; the SOQL reads those
    # days, not the local dates of the instants (which would take 1 October in and 8 out).
    window = Window(local(2026, 10, 1, 6), local(2026, 10, 8, 6))
    days = DaySpan(date(2026, 10, 2), date(2026, 10, 8))
    query = SalesforceQuery.model_validate({"soql": NEWCOMER_REVENUE, "if_null": 0})
    connector = connect(password_config(sandbox))
    (result,) = connector.collect([MetricRequest("sales", query, window, days)])
    expected = won_newcomer_revenue(sandbox.records, date(2026, 10, 2), date(2026, 10, 8))
    assert expected != won_newcomer_revenue(sandbox.records, date(2026, 10, 1), date(2026, 10, 8))
    assert isinstance(result, Observation) and result.value == pytest.approx(expected, rel=1e-12)
    assert "CloseDate >= 2026-10-02 AND CloseDate < 2026-10-08" in result.upstream


# ---- bodies and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 200, "body": HtmlPage()}, "an HTML page"),
        ({"status": 200, "body": RawJson("")}, "an empty body"),
        ({"status": 200, "body": RawJson('{"totalSize": 3, "done": tr')}, "non-JSON body"),
        ({"status": 200, "truncate": True}, "failed"),
        ({"status": 502, "body": HtmlPage()}, "502"),
    ],
)
def test_bad_bodies_are_transient_and_retried(make_sandbox, connect, fault, words) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add("/services/data/", times=10, **fault)
    (failed,) = connect(password_config(sandbox)).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(failed, RequestFailed) and isinstance(failed.error, TransientSourceError)
    assert str(failed.error).startswith("sales: ") and words in str(failed.error)
    assert sandbox.api_calls() == 3  # the context's three attempts

    sandbox.faults.clear()
    sandbox.faults.add("/services/data/", times=1, **fault)
    connector = connect(password_config(sandbox))
    outcome = run_connector(connector, [request(OCTOBER, soql=LEADS_CREATED)])
    (result,) = outcome.results.values()
    assert isinstance(result, Observation)
    assert result.value == leads_created(sandbox.records, OCTOBER)
    assert outcome.stats.retries == 1


@pytest.mark.parametrize("raw", ["-5", "2.5", "1e400", "NaN", "twelve"])
def test_impossible_counts_fail_only_their_request(sandbox, connect, raw: str) -> None:
    second = Window(local(2026, 11, 1), local(2026, 11, 8))
    requests = [request(OCTOBER, soql=LEADS_CREATED), request(second, soql=LEADS_CREATED)]
    sandbox.arm_value(raw)
    failed, fine = connect(password_config(sandbox)).collect(requests)
    assert isinstance(failed, RequestFailed) and isinstance(failed.error, QueryError)
    message = str(failed.error)
    assert raw.lower() in message.lower() or "finite" in message, message
    assert isinstance(fine, Observation) and fine.value == leads_created(sandbox.records, second)


def test_a_sum_is_kept_as_sent_and_may_be_negative(sandbox, connect) -> None:
    sandbox.arm_value("-1250.5")  # refunds
    (result,) = connect(password_config(sandbox)).collect([request(OCTOBER, soql=NEWCOMER_REVENUE)])
    assert isinstance(result, Observation) and result.value == -1250.5


# ---- retries, paging, login ----------------------------------------------------------------------


def test_429_with_retry_after_is_retried_and_counted_in_the_run(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add("/services/data/", status=429, retry_after=0.2, times=1)
    connector = connect(password_config(sandbox))
    waits: list[float] = []
    connector.context.sleep = waits.append
    outcome = run_connector(connector, [request(OCTOBER, soql=LEADS_CREATED)])
    assert outcome.outcome == "ok"
    assert (outcome.stats.calls, outcome.stats.retries) == (3, 1)  # login, 429, the answer
    assert len(waits) == 1 and waits[0] >= 0.2


@pytest.mark.parametrize("form", ["full", "scheme-relative", "userinfo"])
def test_next_records_url_is_followed_on_the_instance_host_only(
    make_sandbox, connect, form: str
) -> None:
    sandbox, elsewhere = make_sandbox(), make_sandbox()
    host = elsewhere.url.removeprefix("https://")
    sandbox.next_records_prefix = {
        "full": elsewhere.url,
        "scheme-relative": f"//{host}",
        "userinfo": f"@{host}",  # simple-salesforce would build https://<instance>@<host>/…
    }[form]
    connector = connect(password_config(sandbox, batch_size=200))
    (result,) = connector.collect([request(OCTOBER, soql="SELECT Id FROM Lead", reduce="count")])
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    if form != "userinfo":
        assert f"pointed the next page to https://{host}" in str(result.error)
    assert elsewhere.requests == []  # the session token never left the instance


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503},  # Salesforce's REST error list, which simple-salesforce cannot read
        {"status": 500, "body": HtmlPage()},
        {"status": 200, "body": HtmlPage()},
    ],
)
def test_a_token_endpoint_outage_is_transient(make_sandbox, connect, fault) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add("/services/oauth2/token", times=10, **fault)
    (result,) = connect(password_config(sandbox)).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, RequestFailed)
    assert isinstance(result.error, TransientSourceError), result.error
    assert str(result.error).startswith("sales: Salesforce")
    assert result.error.source == "sales"

    sandbox.faults.clear()
    sandbox.faults.add("/services/oauth2/token", times=1, **fault)
    (result,) = connect(password_config(sandbox)).collect([request(OCTOBER, soql=LEADS_CREATED)])
    assert isinstance(result, Observation)


def test_check_reads_the_limits(make_sandbox, connect) -> None:
    sandbox = make_sandbox(daily_limit=500, api_used=20)
    assert connect(password_config(sandbox)).check() == (
        "logged in (password); 479 of 500 daily API requests left"
    )
    wrong = password_config(sandbox)
    wrong["auth"] = {**wrong["auth"], "password": "nope"}
    with pytest.raises(AuthError, match="invalid_grant"):
        connect(wrong).check()


def test_renewal_counts_each_call(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    connector = connect(password_config(sandbox), fast_context())
    assert isinstance(connector.collect([request(OCTOBER, soql=LEADS_CREATED)])[0], Observation)
    sandbox.expire_sessions()
    outcome = run_connector(connector, [request(OCTOBER, soql=LEADS_CREATED)])
    assert outcome.outcome == "ok"
    assert (outcome.stats.calls, outcome.stats.retries) == (3, 0)  # refused, login, answer
    assert connector.context.stats.calls == 5  # the first run's two calls, then these three
