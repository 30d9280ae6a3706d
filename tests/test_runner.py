"""The runner's one failure policy, per-run stats and logging once (syncd.collect)."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
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
from syncd.collect import (
    ConnectorPool,
    collect_from_source,
    collect_sources,
    health,
    run_connector,
)
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


# ---- concurrency ---------------------------------------------------------------------------


class GatedConnector(Connector[ScriptConfig, ScriptQuery]):
    """Answers ``n`` once ``gate(n)`` lets it; counts the fetches in flight at once."""

    config_model = ScriptConfig
    query_model = ScriptQuery

    def __init__(self, config: ScriptConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.asked: list[int] = []
        self.gate: Any = lambda n: None
        self.first_attempt_fails = False
        self.failed_once: set[int] = set()

    def fetch(self, request: MetricRequest[ScriptQuery]) -> RawValue:
        return self.call(lambda: self._answer(request.query.n), what=f"n={request.query.n}")

    def _answer(self, n: int) -> RawValue:
        with self.lock:
            self.asked.append(n)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            fail = self.first_attempt_fails and n not in self.failed_once
            self.failed_once.add(n)
        try:
            if fail:
                raise TransientSourceError(f"502 for {n}")
            self.gate(n)
            return n
        finally:
            with self.lock:
                self.in_flight -= 1


def gated(concurrency: int) -> GatedConnector:
    config = ScriptConfig(type="script", concurrency=concurrency)
    context = ConnectorContext(
        "crm",
        ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0, max_wait=0, max_retry_after=1),
        limiter=GatedConnector.limiter_for(config),
        sleep=lambda seconds: None,
    )
    return GatedConnector(config, context)


def test_a_sources_requests_are_in_flight_up_to_its_concurrency() -> None:
    connector = gated(3)
    # Each fetch waits until three are in flight together: with fewer workers it would break.
    barrier = threading.Barrier(3, timeout=10)
    connector.gate = lambda n: barrier.wait()
    outcome = run_connector(connector, requests(*range(1, 10)), concurrency=3)
    assert outcome.outcome == "ok"
    assert sorted(r.value for r in outcome.results.values()) == [float(n) for n in range(1, 10)]
    assert connector.most_in_flight == 3  # never more than the source allows
    assert sorted(connector.asked) == list(range(1, 10))
    assert outcome.stats.calls == 9


def test_a_pass_keeps_as_many_in_flight_as_the_source_allows_never_more() -> None:
    connector = gated(2)
    pool = ConnectorPool({}, ZURICH)
    pool._open["crm"] = connector  # the pass's pool hands out this connector
    barrier = threading.Barrier(2, timeout=10)
    connector.gate = lambda n: barrier.wait()
    outcome = collect_from_source(pool, "crm", requests(1, 2, 3, 4, 5, 6))
    assert outcome.outcome == "ok" and connector.most_in_flight == 2


def test_connector_collect_asks_one_request_after_another() -> None:
    connector = gated(4)
    assert [r.value for r in connector.collect(requests(3, 1, 2))] == [3.0, 1.0, 2.0]
    assert connector.asked == [3, 1, 2] and connector.most_in_flight == 1


def test_after_a_source_failure_requests_not_yet_started_are_not_asked() -> None:
    connector = gated(2)
    auth = AuthError("token revoked")

    def gate(n: int) -> None:
        # 1 and 2 are in flight together; 1 fails the source, 2 finishes after that.
        while {1, 2} - set(connector.asked):
            time.sleep(0.001)
        if n == 1:
            raise auth
        time.sleep(0.2)

    connector.gate = gate
    outcome = run_connector(connector, requests(*range(1, 11)), concurrency=2)
    by_n = {result.request.query.n: result for result in outcome.results.values()}
    assert sorted(connector.asked) == [1, 2]  # 3 … 10 never asked
    assert isinstance(by_n[2], Observation) and by_n[2].value == 2.0
    assert all(by_n[n].error is auth for n in (1, *range(3, 11)))
    assert outcome.error is auth and outcome.outcome == "partial"
    health.note("crm", None)


def test_stats_count_each_runs_own_calls_and_retries_under_concurrency() -> None:
    connector = gated(4)
    connector.first_attempt_fails = True  # each request: a 502, then its answer
    outcomes: dict[str, Any] = {}

    def run(name: str, ns: range) -> None:
        outcomes[name] = run_connector(connector, requests(*ns), concurrency=4)

    threads = [
        threading.Thread(target=run, args=("a", range(1, 13))),
        threading.Thread(target=run, args=("b", range(100, 105))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert (outcomes["a"].stats.calls, outcomes["a"].stats.retries) == (24, 12)
    assert (outcomes["b"].stats.calls, outcomes["b"].stats.retries) == (10, 5)
    assert connector.context.stats.calls == 34  # the lifetime total is their sum
    assert outcomes["a"].outcome == outcomes["b"].outcome == "ok"
    assert connector.most_in_flight <= 4  # both runs share the source's limiter


def test_sdks_are_imported_before_sources_are_asked_on_parallel_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads importing requests/urllib3 for the first time at once can end in an import
    deadlock (seen: Salesforce and HubSpot in one pass): the runner imports every source's
    ``sdk_modules`` on its own thread first."""
    (tmp_path / "fake_vendor_sdk.py").write_text(
        "import threading\nIMPORTED_ON = threading.current_thread().name\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(GatedConnector, "sdk_modules", ("fake_vendor_sdk",))
    pool = ConnectorPool({}, ZURICH)
    pool._open["crm"], pool._open["tickets"] = gated(1), gated(1)
    outcomes = collect_sources(pool, {"crm": requests(1), "tickets": requests(2)})
    assert {source: o.outcome for source, o in outcomes.items()} == {"crm": "ok", "tickets": "ok"}
    imported = sys.modules.get("fake_vendor_sdk")
    assert imported is not None, "the runner imported no SDK before asking the sources"
    assert threading.current_thread().name == imported.IMPORTED_ON
    monkeypatch.delitem(sys.modules, "fake_vendor_sdk")
