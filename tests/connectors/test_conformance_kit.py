"""The conformance kit itself: it passes a correct connector and catches broken ones.

The kit's test methods are called directly with hand-built arguments, so each check is shown
to fail on the defect it exists for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import pytest
import structlog
from pydantic import SecretStr

from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryModel,
    RawValue,
    SourceConfig,
    Window,
)
from syncd.errors import AuthError, QueryError, TransientSourceError
from syncd.http import error_for_status
from syncd.registry import register_connector, unregister_connector
from syncd.testing import ConnectorConformance

ZURICH = ZoneInfo("Europe/Zurich")
TOKEN = "tok-12345-secret"
KitFailure = (AssertionError, pytest.fail.Exception)


class DailyConfig(SourceConfig):
    type: Literal["kitdaily"]
    token: SecretStr


class DailyQuery(QueryModel):
    per_day: float


class DailyConnector(Connector[DailyConfig, DailyQuery]):
    """Answers ``per_day`` times the window's length in days; token 'wrong' is rejected.

    ``fault`` and ``value`` play the sandbox's part for ``arm_fault`` and ``arm_value``."""

    config_model = DailyConfig
    query_model = DailyQuery
    fault: ClassVar[dict[str, Any]] = {}
    value: ClassVar[list[str]] = []

    def fetch(self, request: MetricRequest[DailyQuery]) -> RawValue:
        return self.call(lambda: self._answer(request), what="daily")

    def _answer(self, request: MetricRequest[DailyQuery]) -> RawValue:
        if self.config.token.get_secret_value() == "wrong":
            raise AuthError("daily: token rejected")
        fault = DailyConnector.fault
        if fault.get("times", 0) > 0:
            fault["times"] -= 1
            if fault.get("status"):
                raise error_for_status(
                    fault["status"],
                    source="daily",
                    vendor="Daily",
                    where="/daily",
                    wait=fault.get("retry_after"),
                )
            raise TransientSourceError("daily: returned an HTML page or a cut body")
        if request.query.per_day < 0:
            raise QueryError("daily: negative rate")
        if DailyConnector.value:
            return DailyConnector.value.pop()
        days = (request.window.end - request.window.start).total_seconds() / 86400
        return request.query.per_day * days


class LeakyConnector(DailyConnector):
    """Leaks its token in describe() and in the logs, and answers NaN for 7-day windows."""

    def fetch(self, request: MetricRequest[DailyQuery]) -> RawValue:
        structlog.get_logger().info("pull", token=self.config.token.get_secret_value())
        if request.window.end - request.window.start == timedelta(days=7):
            return "NaN"
        return super().fetch(request)

    def describe(self, request: MetricRequest[DailyQuery]) -> str:
        return f"GET /daily?token={self.config.token.get_secret_value()}"


def request_over(days: int, per_day: float = 10.0) -> MetricRequest:
    start = datetime(2026, 11, 1, tzinfo=ZURICH)
    end = start + timedelta(days=days)  # no DST change in November
    return MetricRequest("conformance", DailyQuery(per_day=per_day), Window(start, end))


class DailyKit(ConnectorConformance):
    connector_name = "kitdaily"
    secret_values = (TOKEN,)
    connector_type: type[DailyConnector] = DailyConnector

    @pytest.fixture(autouse=True)
    def registered(self):
        register_connector("kitdaily", DailyConnector)
        yield
        unregister_connector("kitdaily")

    @pytest.fixture
    def source_config(self):
        return {"type": "kitdaily", "token": TOKEN}

    @pytest.fixture
    def query(self):
        return {"per_day": 2.5}

    @pytest.fixture
    def make_connector(self, source_config, context):
        def make(**overrides: Any) -> DailyConnector:
            config = DailyConfig.model_validate({**source_config, **overrides})
            return self.connector_type(config, context)

        return make

    @pytest.fixture
    def windowed_requests(self):
        return [(request_over(1), 10.0), (request_over(7), 70.0), (request_over(30, 0.5), 15.0)]

    @pytest.fixture
    def arm_fault(self):
        def arm(*, times: int = 1, **fault: Any) -> None:
            DailyConnector.fault = {**fault, "times": times}

        yield arm
        DailyConnector.fault = {}

    @pytest.fixture
    def arm_value(self):
        def arm(raw: str) -> None:
            DailyConnector.value = [raw]

        yield arm
        DailyConnector.value = []

    @pytest.fixture
    def failure_cases(self, make_connector):
        return {
            AuthError: lambda: make_connector(token="wrong").collect([request_over(1)]),
            QueryError: lambda: make_connector().collect([request_over(1, per_day=-1)]),
        }


class TestKitPassesACorrectConnector(DailyKit):
    """Every kit test runs here against the correct in-process connector."""


@pytest.fixture
def kit_args():
    kit = DailyKit()
    context = ConnectorContext("conformance", ZURICH)
    make = DailyKit.make_connector.__wrapped__(kit, {"type": "kitdaily", "token": TOKEN}, context)
    return kit, make


def make_leaky(**overrides: Any) -> LeakyConnector:
    config = DailyConfig.model_validate({"type": "kitdaily", "token": TOKEN, **overrides})
    return LeakyConnector(config, ConnectorContext("conformance", ZURICH))


def test_kit_catches_an_impossible_value():
    with pytest.raises(KitFailure, match="failed: RequestFailed"):
        DailyKit().test_windowed_requests_give_the_expected_values(
            make_leaky, [(request_over(1), 10.0), (request_over(7), 70.0)]
        )


def test_kit_catches_a_connector_that_maps_a_fault_wrongly(kit_args):
    kit, make = kit_args

    def arm_nothing(**_fault: Any) -> None:
        pass

    request = pytest.FixtureRequest  # the kit asks the fixture by name
    with pytest.raises(KitFailure, match="401 Unauthorized: gave Observation"):
        kit.test_error_table(make, [(request_over(1), 10.0)], _Fixtures(arm_fault=arm_nothing))
    del request


class _Fixtures:
    """Stands in for pytest's ``request`` when a kit test is called by hand."""

    def __init__(self, **fixtures: Any) -> None:
        self._fixtures = fixtures

    def getfixturevalue(self, name: str) -> Any:
        return self._fixtures[name]


def test_kit_catches_a_wrong_value(kit_args):
    kit, make = kit_args
    with pytest.raises(KitFailure, match=r"got 70.0, expected 71"):
        kit.test_windowed_requests_give_the_expected_values(make, [(request_over(7), 71.0)])


def test_kit_catches_secrets_in_describe_and_logs():
    kit = DailyKit()
    with pytest.raises(KitFailure, match="leaked into describe"):
        kit.test_describe_names_the_request_without_secrets(make_leaky, [(request_over(1), 10)])
    with pytest.raises(KitFailure, match="leaked into the logs"):
        kit.test_secrets_stay_out_of_logs(make_leaky, [(request_over(1), 10)], {})


def test_kit_catches_a_plain_string_secret_in_the_config():
    class PlainConfig(SourceConfig):
        type: Literal["kitdaily"]
        token: str

    class PlainConnector(DailyConnector):
        config_model = PlainConfig

    with pytest.raises(KitFailure, match=r"leaked into repr\(config\)"):
        DailyKit().test_secrets_stay_out_of_the_config_text(
            PlainConnector, {"type": "kitdaily", "token": TOKEN}
        )


def test_kit_catches_wrong_and_bare_failures(kit_args):
    kit, make = kit_args
    with pytest.raises(KitFailure, match="the AuthError case produced QueryError"):
        kit.test_failure_cases_yield_the_declared_error(
            {AuthError: lambda: make().collect([request_over(1, per_day=-1)])}
        )
    with pytest.raises(KitFailure, match="raised a bare ZeroDivisionError"):
        kit.test_failure_cases_yield_the_declared_error({QueryError: lambda: 1 / 0})
    with pytest.raises(KitFailure, match="the QueryError case did not fail"):
        kit.test_failure_cases_yield_the_declared_error(
            {QueryError: lambda: make().collect([request_over(1)])}
        )


def test_kit_catches_a_type_literal_that_differs_from_the_name():
    kit = DailyKit()
    kit.connector_name = "weekly"
    with pytest.raises(AssertionError):
        kit.test_type_literal_equals_the_name(DailyConnector)
