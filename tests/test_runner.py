"""The runner's one failure policy, per-run stats and logging once (syncd.collect)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    QueryModel,
    RawValue,
    RequestFailed,
    RetryPolicy,
    SourceConfig,
    Window,
)
from syncd.collect import health, run_connector
from syncd.errors import (
    AuthError,
    QueryError,
    RateLimited,
    SourceError,
    TransientSourceError,
)

ZURICH = ZoneInfo("Europe/Zurich")
START = datetime(2026, 11, 1, tzinfo=ZURICH)


class ScriptConfig(SourceConfig):
    type: Literal["script"]


class ScriptQuery(QueryModel):
    n: int


class ScriptConnector(Connector[ScriptConfig, ScriptQuery]):
    """Answers ``n``, except where ``script`` says to raise for that ``n`` (every time)."""

    config_model = ScriptConfig
    query_model = ScriptQuery
    script: ClassVar[dict[int, BaseException]] = {}
    asked: ClassVar[list[int]] = []

    def fetch(self, request: MetricRequest[ScriptQuery]) -> RawValue:
        return self.call(lambda: self._answer(request.query.n), what=f"n={request.query.n}")

    def _answer(self, n: int) -> RawValue:
        ScriptConnector.asked.append(n)
        if n in ScriptConnector.script:
            raise ScriptConnector.script[n]
        return n


@pytest.fixture
def connector() -> Any:
    ScriptConnector.script = {}
    ScriptConnector.asked = []
    context = ConnectorContext(
        "crm",
        ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0, max_wait=0, max_retry_after=1),
        sleep=lambda seconds: None,
    )
    yield ScriptConnector(ScriptConfig(type="script"), context)
    health.note("crm", None)


def requests(*ns: int) -> list[MetricRequest[ScriptQuery]]:
    window = Window(START, START + timedelta(days=1))
    return [MetricRequest("crm", ScriptQuery(n=n), window) for n in ns]


def outcome_of(connector: ScriptConnector, *ns: int) -> tuple[Any, dict[int, Any]]:
    outcome = run_connector(connector, requests(*ns))
    by_n = {result.request.query.n: result for result in outcome.results.values()}
    return outcome, by_n


def test_a_query_error_fails_only_its_request(connector: ScriptConnector) -> None:
    ScriptConnector.script = {2: QueryError("no such field")}
    outcome, results = outcome_of(connector, 1, 2, 3)
    assert isinstance(results[2], RequestFailed) and isinstance(results[2].error, QueryError)
    assert [results[n].value for n in (1, 3)] == [1.0, 3.0]
    assert outcome.outcome == "partial"
    assert ScriptConnector.asked == [1, 2, 3]  # never retried


@pytest.mark.parametrize(
    "error",
    [
        AuthError("token revoked"),
        RateLimited("slow down", retry_after=0),
        TransientSourceError("502 from the proxy"),
    ],
)
def test_auth_rate_and_transient_errors_fail_the_rest_of_the_source_fast(
    connector: ScriptConnector, error: SourceError
) -> None:
    ScriptConnector.script = {2: error}
    outcome, results = outcome_of(connector, 1, 2, 3, 4)
    assert isinstance(results[1], Observation)
    assert all(results[n].error is error for n in (2, 3, 4))
    retried = 3 if error.retryable else 1
    assert ScriptConnector.asked == [1] + [2] * retried  # 3 and 4 are never asked
    assert outcome.error is error
    assert outcome.stats.retries == retried - 1


def test_any_other_exception_becomes_a_source_error_naming_the_connector(
    connector: ScriptConnector,
) -> None:
    ScriptConnector.script = {1: KeyError("results")}
    _, results = outcome_of(connector, 1, 2)
    error = results[1].error
    assert type(error) is SourceError
    assert str(error) == "crm: the script connector crashed: KeyError: 'results'"
    assert isinstance(results[2], Observation)


def test_a_failing_source_is_logged_once_and_its_recovery_once(
    connector: ScriptConnector,
) -> None:
    ScriptConnector.script = {1: AuthError("token revoked")}
    with capture_logs() as logs:
        for _ in range(3):
            outcome_of(connector, 1)
        ScriptConnector.script = {}
        for _ in range(2):
            outcome_of(connector, 1)
    events = [entry["event"] for entry in logs if entry["event"].startswith("source.")]
    assert events == ["source.failing", "source.recovered"]


def test_stats_are_per_run_even_when_runs_share_a_connector(connector: ScriptConnector) -> None:
    barrier = threading.Barrier(2)
    totals: list[int] = []

    def slow_answer(n: int) -> RawValue:
        barrier.wait(timeout=5)
        return n

    original = ScriptConnector._answer
    ScriptConnector._answer = lambda self, n: slow_answer(n)  # type: ignore[method-assign]
    try:
        threads = [
            threading.Thread(
                target=lambda ns=ns: totals.append(
                    run_connector(connector, requests(*ns)).stats.calls
                )
            )
            for ns in ((1, 2), (3, 4))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        ScriptConnector._answer = original  # type: ignore[method-assign]
    assert totals == [2, 2]
    assert connector.context.stats.calls == 4
