"""Error classes, retries, quota pauses and pacing, through the real client."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ga4_helpers import facts_between, failure, fast_context, request, window

from connectors.ga4.errors import QuotaExhausted, ServerErrorBudgetSpent
from connectors.ga4.quota import remaining_gauge
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import Observation, RequestFailed
from syncd.collect import run_connector
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError

OCT = window(date(2026, 10, 1), date(2026, 11, 1))


def sessions_in_october(sandbox):
    return sum(f.sessions for f in facts_between(sandbox, date(2026, 10, 1), date(2026, 10, 31)))


def test_429_with_retry_after_is_waited_out_and_retried(sandbox, make_connector):
    sandbox.faults.add(":runReport", status=429, times=2, retry_after=0.02)
    connector = make_connector()
    waits: list[float] = []
    connector.context.sleep = waits.append
    outcome = run_connector(connector, [request("sessions", OCT)])
    (result,) = outcome.results.values()
    assert isinstance(result, Observation) and result.value == sessions_in_october(sandbox)
    assert outcome.outcome == "ok"
    assert len(sandbox.calls()) == 3
    assert (outcome.stats.calls, outcome.stats.retries) == (3, 2)
    assert (connector.context.stats.calls, connector.context.stats.retries) == (3, 2)
    assert len(waits) == 2 and all(w >= 0.02 for w in waits)


def test_5xx_are_retried_within_the_hourly_budget_then_spared(sandbox, make_connector):
    hour = datetime(2026, 10, 14, 9, 5, tzinfo=UTC)
    connector = make_connector(context=fast_context(attempts=5))
    connector.clock = lambda: hour
    sandbox.faults.add(":runReport", status=503, times=10)
    error = failure(connector.collect([request("sessions", OCT)]))
    assert isinstance(error, ServerErrorBudgetSpent) and not error.retryable
    assert isinstance(error, TransientSourceError)
    assert len(sandbox.calls()) == 2  # one retry, although the policy allowed five attempts
    sandbox.requests.clear()
    error = failure(connector.collect([request("newUsers", OCT)]))
    assert isinstance(error, ServerErrorBudgetSpent)
    assert len(sandbox.calls()) == 1  # the same hour: the budget is spent
    sandbox.requests.clear()
    connector.clock = lambda: hour.replace(hour=10)
    sandbox.faults.clear()
    sandbox.faults.add(":runReport", status=503, times=1)
    (result,) = connector.collect([request("sessions", OCT)])
    assert isinstance(result, Observation)  # the next hour: retried again
    assert len(sandbox.calls()) == 2


def test_truncated_body_is_transient_and_retried(sandbox, make_connector):
    sandbox.faults.add(":runReport", truncate=True)
    (result,) = make_connector().collect([request("sessions", OCT)])
    assert isinstance(result, Observation) and result.value == sessions_in_october(sandbox)
    assert len(sandbox.calls()) == 2


def test_401_is_an_auth_error_and_not_retried(sandbox, make_connector):
    sandbox.faults.add(":runReport", status=401, times=5)
    error = failure(make_connector().collect([request("sessions", OCT)]))
    assert isinstance(error, AuthError)
    assert "credentials" in str(error)  # the client tried to refresh the (anonymous) token
    assert len(sandbox.calls()) == 1


def test_unknown_metric_fails_only_its_request_with_a_suggestion(sandbox, make_connector):
    good, bad = request("sessions", OCT), request("sesions", OCT)
    bad_dim = request("sessions", OCT, dimensions=("landingPag",))
    results = {r.request: r for r in make_connector().collect([good, bad, bad_dim])}
    assert isinstance(results[good], Observation)
    assert results[good].value == sessions_in_october(sandbox)
    assert isinstance(results[bad].error, QueryError)
    assert "no metric 'sesions' (did you mean 'sessions'?)" in str(results[bad].error)
    assert "no dimension 'landingPag' (did you mean 'landingPage'?)" in str(results[bad_dim].error)
    # the refused batch, the metadata, the good request again
    assert [c.path.rsplit("/", 1)[-1] for c in sandbox.calls()] == [
        "123456789:batchRunReports",
        "metadata",
        "123456789:runReport",
    ]


def test_incompatible_request_is_isolated_by_running_each_alone(sandbox, make_connector):
    good = request("eventCount", OCT, filter={"eventName": "sign_up"})
    incompatible = request("sessions", OCT, filter={"eventName": "sign_up"})
    results = {r.request: r for r in make_connector().collect([good, incompatible])}
    assert isinstance(results[good], Observation)
    assert isinstance(results[incompatible], RequestFailed)
    assert "incompatible" in str(results[incompatible].error)


def clock_at(moment: datetime):
    return lambda: moment


def test_hourly_quota_exhausted_pauses_the_property_until_the_next_hour():
    now = datetime(2026, 10, 14, 9, 20, tzinfo=UTC)
    with Ga4Sandbox(tokens_per_hour=3, clock=clock_at(now)) as sandbox:
        from ga4_helpers import PROPERTY  # noqa: F401 - same property as the sandbox default

        from connectors.ga4 import Ga4Connector, Ga4SourceConfig

        config = Ga4SourceConfig.model_validate(
            {
                "type": "ga4",
                "property": "123456789",
                "endpoint": sandbox.url,
                "auth": {"method": "anonymous"},
            }
        )

        def connector():
            made = Ga4Connector(config, fast_context())
            made.clock = clock_at(now)
            made.sleep = lambda s: None
            return made

        first = connector()
        (ok,) = first.collect([request("sessions", OCT)])  # costs 2 tokens: 1 + 31 days // 30
        assert isinstance(ok, Observation)
        assert remaining_gauge().labels("web", "123456789", "tokens_per_hour")._value.get() == 1
        error = failure(first.collect([request("newUsers", OCT)]))
        assert isinstance(error, QuotaExhausted)
        assert error.scope == "hour"
        assert error.retry_after == 40 * 60
        assert len(sandbox.calls()) == 1  # the governor knew: no call was made
        # a fresh connector honours it
        assert isinstance(failure(connector().collect([request("newUsers", OCT)])), QuotaExhausted)
        assert len(sandbox.calls()) == 1


def test_daily_quota_answer_pauses_until_midnight_pacific():
    now = datetime(2026, 10, 14, 9, 20, tzinfo=UTC)  # 02:20 in Los Angeles
    with Ga4Sandbox(tokens_per_day=0, clock=clock_at(now)) as sandbox:
        from connectors.ga4 import Ga4Connector, Ga4SourceConfig

        config = Ga4SourceConfig.model_validate(
            {
                "type": "ga4",
                "property": "123456789",
                "endpoint": sandbox.url,
                "auth": {"method": "anonymous"},
            }
        )
        connector = Ga4Connector(config, fast_context())
        connector.clock = clock_at(now)
        error = failure(connector.collect([request("sessions", OCT)]))
        assert isinstance(error, QuotaExhausted) and isinstance(error, RateLimited)
        assert error.scope == "day"
        assert error.until == datetime(2026, 10, 15, 7, 0, tzinfo=UTC)  # 00:00 PDT
        assert len(sandbox.calls()) == 1  # retry_after is beyond the policy's cap: no retry


def test_calls_are_spaced_out_below_the_reserve():
    now = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)
    with Ga4Sandbox(tokens_per_hour=40, clock=clock_at(now)) as sandbox:
        from connectors.ga4 import Ga4Connector, Ga4SourceConfig

        config = Ga4SourceConfig.model_validate(
            {
                "type": "ga4",
                "property": "123456789",
                "endpoint": sandbox.url,
                "auth": {"method": "anonymous"},
                "quota_reserve_tokens": 100,
                "max_pace_seconds": 600,
            }
        )
        connector = Ga4Connector(config, fast_context())
        connector.clock = clock_at(now)
        waits: list[float] = []
        connector.sleep = waits.append
        connector.collect([request("sessions", OCT)])  # 2 tokens; nothing known before it
        assert waits == []
        connector.collect([request("newUsers", OCT)])
        # The per-project hourly quota (35 % of 40 = 14) binds: 12 tokens left at 2 a call →
        # 6 calls for the 30 minutes left in the hour: 5 minutes apart.
        assert waits == [300.0]


def test_other_row_and_thresholding_are_reported():
    with Ga4Sandbox(other_row_after=3, thresholding=True) as sandbox:
        from connectors.ga4 import Ga4Connector, Ga4SourceConfig

        config = Ga4SourceConfig.model_validate(
            {
                "type": "ga4",
                "property": "123456789",
                "endpoint": sandbox.url,
                "auth": {"method": "anonymous"},
            }
        )
        with Ga4Connector(config, fast_context()) as connector:
            (folded,) = connector.collect([request("sessions", OCT, dimensions=("landingPage",))])
            (users,) = connector.collect([request("totalUsers", OCT)])
        assert "(other)" in folded.upstream
        assert folded.value == sessions_in_october(sandbox)  # the total still counts every row
        assert "thresholding" in users.upstream
