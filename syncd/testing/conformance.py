"""The connector conformance kit: one pytest mixin every connector's tests subclass.

Subclass :class:`ConnectorConformance` in a ``Test…`` class and provide what it needs; its tests
then check the contract of :class:`syncd.abc.Connector` against your real connector and a live
backend (a sandbox, a temporary database)::

    from syncd.testing import ConnectorConformance

    class TestAcmeConformance(ConnectorConformance):
        connector_name = "acme"
        secret_values = ("s3cr3t-token",)

        @pytest.fixture
        def source_config(self, acme_sandbox):
            return {"type": "acme", "base_url": acme_sandbox.url, "token": "s3cr3t-token"}

        @pytest.fixture
        def query(self):
            return {"metric": "signups"}

        @pytest.fixture
        def make_connector(self, source_config, context):
            ...  # see the fixture docs below

        @pytest.fixture
        def windowed_requests(self, context):
            return [(MetricRequest(...), 42.0), ...]

        @pytest.fixture
        def failure_cases(self, make_connector, acme_sandbox):
            return {AuthError: lambda: make_connector(token="wrong").collect([...]), ...}

What the subclass provides:

``connector_name`` (class attribute)
    The entry-point name, equal to the config model's ``type`` literal.
``secret_values`` (class attribute)
    Strings that must never appear in reprs, descriptions, logs or error messages.
``source_config`` (fixture)
    A valid raw source config dict, secrets included.
``query`` (fixture)
    A valid raw query dict.
``make_connector`` (fixture)
    A callable ``make_connector(**overrides) -> Connector``: a ready connector against the live
    backend, built from ``source_config`` updated with ``overrides``. The fixture closes what it
    made at teardown; the kit also closes the connectors it uses, so ``close`` must be idempotent.
``windowed_requests`` (fixture)
    A list of ``(MetricRequest, expected_value)`` pairs over different windows, the expected
    values known independently of the connector (computed by hand from the backend's data).
    Requests to a source that counts whole days carry their ``days`` as the planner would set
    them (``DayRule(zone).span(window)``).
``failure_cases`` (fixture)
    A dict mapping each :class:`~syncd.errors.SourceError` subclass the connector claims to
    produce to a zero-argument callable that triggers it through the real connector. The callable
    either raises the error or returns collect results among which a ``RequestFailed`` carries
    it.

``arm_fault`` (fixture)
    A callable ``arm_fault(*, status=None, retry_after=None, html=False, truncate=False,
    times=1)`` that makes the next ``times`` upstream calls of a connector made by
    ``make_connector`` answer with that fault (replacing what was armed before): an HTTP
    ``status`` with the vendor's error body, an HTML page with status 200, or a body cut
    half-way. The kit checks every connector against the same table (``ERROR_TABLE``).
``arm_value`` (fixture)
    A callable ``arm_value(raw)`` that makes the backend answer the first request of the next
    ``collect`` with the value text ``raw`` ("1e400", "NaN", "-5"…) as the vendor would send a
    number, the other requests unchanged. The kit checks that such a value fails its request,
    and only it.

The kit provides a ``context`` fixture (a :class:`~syncd.abc.ConnectorContext` in
Europe/Zurich, with retries that do not wait) that subclasses may use or override.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal, get_args, get_origin
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from syncd.abc import (
    CollectResult,
    Connector,
    ConnectorContext,
    MetricRequest,
    Observation,
    QueryModel,
    QueryTraits,
    RequestFailed,
    RetryPolicy,
    ValueKind,
)
from syncd.errors import (
    AuthError,
    QueryError,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from syncd.registry import available_connectors, load_connector

MakeConnector = Callable[..., Connector[Any, Any]]
FailureCases = dict[type[SourceError], Callable[[], Any]]
WindowedRequests = list[tuple[MetricRequest[QueryModel], float]]
ArmFault = Callable[..., None]
ArmValue = Callable[[str], None]

ERROR_TABLE: list[tuple[str, dict[str, Any], type[SourceError]]] = [
    ("401 Unauthorized", {"status": 401}, AuthError),
    ("403 Forbidden", {"status": 403}, AuthError),
    ("429 Too Many Requests", {"status": 429, "retry_after": 0}, RateLimited),
    ("500 Internal Server Error", {"status": 500}, TransientSourceError),
    ("503 Service Unavailable", {"status": 503}, TransientSourceError),
    ("400 Bad Request", {"status": 400}, QueryError),
    ("an HTML page with 200", {"html": True}, TransientSourceError),
    ("a truncated body", {"truncate": True}, TransientSourceError),
]
"""Every connector maps the same upstream faults onto the same errors (after retries)."""


def _match_results(
    requests: list[MetricRequest[QueryModel]], results: list[CollectResult]
) -> list[CollectResult]:
    """``results`` reordered to follow ``requests``; fails unless it is exactly one each."""
    assert len(results) == len(requests), (
        f"collect returned {len(results)} results for {len(requests)} requests"
    )
    remaining = list(results)
    ordered: list[CollectResult] = []
    for request in requests:
        for index, result in enumerate(remaining):
            if result.request == request:
                ordered.append(remaining.pop(index))
                break
        else:
            pytest.fail(f"no result echoes the request {request}")
    return ordered


def _outcome_error(trigger: Callable[[], Any]) -> SourceError | None:
    """The SourceError a failure trigger produced, raised or inside a RequestFailed."""
    try:
        outcome = trigger()
    except SourceError as error:
        return error
    except Exception as error:
        pytest.fail(f"a failure case raised a bare {type(error).__name__}: {error}")
    if isinstance(outcome, RequestFailed):
        return outcome.error
    if isinstance(outcome, Iterable):
        failed = [result for result in outcome if isinstance(result, RequestFailed)]
        return failed[0].error if failed else None
    return None


class ConnectorConformance:
    """Pytest mixin checking a connector against the :class:`~syncd.abc.Connector` contract.

    See the module documentation for what a subclass provides.
    """

    connector_name: ClassVar[str]
    secret_values: ClassVar[tuple[str, ...]] = ()
    speaks_http: ClassVar[bool] = True
    """False for a connector that is not an HTTP client (SQL): the HTTP error table and the
    value injection then do not apply (test those failures in the connector's own tests)."""

    # ---- fixtures the kit provides -------------------------------------------------------

    @pytest.fixture
    def context(self) -> ConnectorContext:
        """A context whose retries do not wait long: failure cases stay fast."""
        return ConnectorContext(
            source="conformance",
            timezone=ZoneInfo("Europe/Zurich"),
            retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, max_retry_after=0.05),
        )

    @pytest.fixture
    def connector_class(self) -> type[Connector[Any, Any]]:
        cls = load_connector(self.connector_name)
        assert issubclass(cls, Connector), f"{self.connector_name} is not a pulled connector"
        return cls

    # ---- helpers ----------------------------------------------------------------------------

    def assert_no_secrets(self, text: str, where: str) -> None:
        """Fail if any of ``secret_values`` occurs in ``text``."""
        for secret in self.secret_values:
            assert secret not in text, f"a secret value leaked into {where}: {text!r}"

    # ---- registration and models ------------------------------------------------------------

    def test_registered_under_the_entry_point(self, make_connector: MakeConnector) -> None:
        assert self.connector_name in available_connectors()
        cls = load_connector(self.connector_name)
        with make_connector() as connector:
            assert type(connector) is cls

    def test_type_literal_equals_the_name(self, connector_class: type[Connector[Any, Any]]) -> None:
        annotation = connector_class.config_model.model_fields["type"].annotation
        assert get_origin(annotation) is Literal
        assert get_args(annotation) == (self.connector_name,)

    def test_config_round_trips(
        self, connector_class: type[Connector[Any, Any]], source_config: dict[str, Any]
    ) -> None:
        model = connector_class.config_model
        config = model.model_validate(source_config)
        assert config.type == self.connector_name
        assert model.model_validate(config.model_dump()) == config

    def test_query_round_trips(
        self, connector_class: type[Connector[Any, Any]], query: dict[str, Any]
    ) -> None:
        model = connector_class.query_model
        parsed = model.model_validate(query)
        again = model.model_validate(parsed.model_dump())
        assert again == parsed
        assert again.fingerprint() == parsed.fingerprint()

    def test_unknown_keys_are_rejected(
        self,
        connector_class: type[Connector[Any, Any]],
        source_config: dict[str, Any],
        query: dict[str, Any],
    ) -> None:
        for model, raw in (
            (connector_class.config_model, source_config),
            (connector_class.query_model, query),
        ):
            with pytest.raises(ValidationError) as raised:
                model.model_validate({**raw, "unexpected_key_x": 1})
            assert [error["type"] for error in raised.value.errors()] == ["extra_forbidden"]

    def test_another_type_is_rejected(
        self, connector_class: type[Connector[Any, Any]], source_config: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError):
            connector_class.config_model.model_validate(
                {**source_config, "type": self.connector_name + "_other"}
            )

    def test_secrets_stay_out_of_the_config_text(
        self, connector_class: type[Connector[Any, Any]], source_config: dict[str, Any]
    ) -> None:
        config = connector_class.config_model.model_validate(source_config)
        self.assert_no_secrets(repr(config), "repr(config)")
        self.assert_no_secrets(str(config), "str(config)")
        self.assert_no_secrets(config.model_dump_json(), "config.model_dump_json()")

    # ---- collecting -------------------------------------------------------------------------

    def test_one_result_per_request_echoing_it(
        self, make_connector: MakeConnector, windowed_requests: WindowedRequests
    ) -> None:
        requests = [request for request, _ in windowed_requests]
        with make_connector() as connector:
            results = list(connector.collect(requests))
        _match_results(requests, results)

    def test_windowed_requests_give_the_expected_values(
        self, make_connector: MakeConnector, windowed_requests: WindowedRequests
    ) -> None:
        requests = [request for request, _ in windowed_requests]
        with make_connector() as connector:
            results = _match_results(requests, list(connector.collect(requests)))
            calls = connector.context.stats.calls
        for (request, expected), result in zip(windowed_requests, results, strict=True):
            assert isinstance(result, Observation), f"{request} failed: {result}"
            assert math.isclose(result.value, expected, rel_tol=1e-9, abs_tol=1e-9), (
                f"{request.window}: got {result.value}, expected {expected}"
            )
        assert calls >= 1, "collect made no upstream call (make them through Connector.call)"

    def test_traits_are_declared_for_each_query(
        self, make_connector: MakeConnector, windowed_requests: WindowedRequests
    ) -> None:
        with make_connector() as connector:
            for request, _ in windowed_requests:
                traits = connector.traits(
                    connector.config, request.query, connector.context.timezone
                )
                assert isinstance(traits, QueryTraits)
                if traits.day_zone is not None and not request.window.is_snapshot:
                    assert request.days is not None, (
                        f"{request}: a day-granular query needs request.days, as the planner sets"
                    )

    def test_describe_names_the_request_without_secrets(
        self, make_connector: MakeConnector, windowed_requests: WindowedRequests
    ) -> None:
        with make_connector() as connector:
            for request, _ in windowed_requests:
                description = connector.describe(request)
                assert description.strip()
                self.assert_no_secrets(description, "describe()")

    def test_secrets_stay_out_of_logs(
        self,
        make_connector: MakeConnector,
        windowed_requests: WindowedRequests,
        failure_cases: FailureCases,
    ) -> None:
        with capture_logs() as logs:
            with make_connector() as connector:
                list(connector.collect([request for request, _ in windowed_requests]))
            for trigger in failure_cases.values():
                _outcome_error(trigger)
        for entry in logs:
            self.assert_no_secrets(repr(entry), "the logs")

    # ---- failures ---------------------------------------------------------------------------

    def test_failure_cases_yield_the_declared_error(self, failure_cases: FailureCases) -> None:
        assert failure_cases, "declare at least one failure case"
        for error_class, trigger in failure_cases.items():
            assert issubclass(error_class, SourceError), f"{error_class} is not a SourceError"
            error = _outcome_error(trigger)
            assert error is not None, f"the {error_class.__name__} case did not fail"
            assert isinstance(error, error_class), (
                f"the {error_class.__name__} case produced {type(error).__name__}: {error}"
            )
            assert str(error).strip(), f"the {error_class.__name__} has no message"
            self.assert_no_secrets(str(error), f"the {error_class.__name__} message")
            self.assert_no_secrets(repr(error), f"repr of the {error_class.__name__}")

    def test_error_table(
        self,
        make_connector: MakeConnector,
        windowed_requests: WindowedRequests,
        request: pytest.FixtureRequest,
    ) -> None:
        if not self.speaks_http:
            pytest.skip(f"{self.connector_name} is not an HTTP client")
        arm_fault: ArmFault = request.getfixturevalue("arm_fault")
        first = windowed_requests[0][0]
        for name, fault, expected in ERROR_TABLE:
            arm_fault(**fault, times=50)
            with make_connector() as connector:
                (result,) = connector.collect([first])
            arm_fault(times=0)
            assert isinstance(result, RequestFailed), f"{name}: gave {result}"
            assert isinstance(result.error, expected), (
                f"{name}: {type(result.error).__name__} ({result.error}), not {expected.__name__}"
            )
            self.assert_no_secrets(str(result.error), f"the {name} error")

    def test_impossible_values_fail_only_their_request(
        self,
        make_connector: MakeConnector,
        windowed_requests: WindowedRequests,
        request: pytest.FixtureRequest,
    ) -> None:
        if not self.speaks_http:
            pytest.skip(f"{self.connector_name} is not an HTTP client")
        arm_value: ArmValue = request.getfixturevalue("arm_value")
        requests = [request for request, _ in windowed_requests]
        with make_connector() as connector:
            kind = connector.traits(
                connector.config, requests[0].query, connector.context.timezone
            ).kind
        bad = ["1e400", "NaN", "Infinity", "twelve"]
        if kind in (ValueKind.COUNT, ValueKind.DURATION):
            bad.append("-5")
        if kind is ValueKind.COUNT:
            bad.append("2.5")
        if kind is ValueKind.SHARE:
            bad.append("1.5")
        for raw in bad:
            arm_value(raw)
            with make_connector() as connector:
                results = _match_results(requests, list(connector.collect(requests)))
            failed = [r for r in results if isinstance(r, RequestFailed)]
            assert len(failed) == 1, f"{raw!r}: {len(failed)} requests failed: {results}"
            assert failed[0].request == requests[0], f"{raw!r} failed another request"
            assert isinstance(failed[0].error, QueryError), failed[0].error
            message = str(failed[0].error).lower()
            # A JSON number such as 1e400 may reach a connector already parsed (as inf) by an
            # SDK; the error must then at least say why the value was refused.
            quoted = raw.lower() in message or ("finite" in message and raw != "twelve")
            assert quoted, f"{raw!r}: the error does not quote the upstream text: {message}"
            for (asked, expected), result in zip(windowed_requests[1:], results[1:], strict=True):
                assert isinstance(result, Observation), f"{asked} failed: {result}"
                assert math.isclose(result.value, expected, rel_tol=1e-9, abs_tol=1e-9)
