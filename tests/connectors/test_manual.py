"""The manual connector: push-only, validates checked-in values against the metric's bounds."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

import connectors.manual
from connectors.manual import ManualConnector, ManualQuery, ManualSourceConfig
from syncd.abc import ConnectorContext, MetricRequest, RequestFailed, Window
from syncd.config.loader import load_config
from syncd.errors import QueryError
from syncd.testing import ConnectorConformance

ZURICH = ZoneInfo("Europe/Zurich")
NOVEMBER = Window(datetime(2026, 11, 1, tzinfo=ZURICH), datetime(2026, 12, 1, tzinfo=ZURICH))


class TestManualConformance(ConnectorConformance):
    connector_name = "manual"

    @pytest.fixture
    def source_config(self):
        return {"type": "manual"}

    @pytest.fixture
    def query(self):
        return {"min": -100, "max": 100}

    @pytest.fixture
    def make_connector(self, source_config, context):
        def make(**overrides: Any) -> ManualConnector:
            config = ManualSourceConfig.model_validate({**source_config, **overrides})
            return ManualConnector(config, context)

        return make

    @pytest.fixture
    def windowed_requests(self, context):
        snapshot = datetime(2026, 11, 15, 9, tzinfo=ZURICH)
        return [
            (MetricRequest(context.source, ManualQuery(min=-100, max=100), NOVEMBER), math.nan),
            (MetricRequest(context.source, ManualQuery(), Window(snapshot, snapshot)), math.nan),
        ]

    @pytest.fixture
    def failure_cases(self, make_connector, windowed_requests):
        request = windowed_requests[0][0]
        return {QueryError: lambda: make_connector().collect([request])}


@pytest.fixture
def connector():
    return ManualConnector(
        ManualSourceConfig(type="manual"), ConnectorContext("survey", timezone=ZURICH)
    )


def test_is_push_only_and_collect_points_to_checkin(connector):
    requests = [
        MetricRequest("survey", ManualQuery(), NOVEMBER),
        MetricRequest("survey", ManualQuery(min=0), NOVEMBER),
    ]
    results = list(connector.collect(requests))

    assert ManualConnector.pull is False
    assert [r.request for r in results] == requests
    assert all(isinstance(r, RequestFailed) for r in results)
    assert all("syncd checkin" in str(r.error) for r in results)
    assert {r.error.source for r in results} == {"survey"}
    assert connector.context.stats.calls == 0


@pytest.mark.parametrize(
    ("value", "query", "expected"),
    [
        (62, ManualQuery(min=-100, max=100), 62.0),
        (-100, ManualQuery(min=-100, max=100), -100.0),  # bounds are inclusive
        (100.0, ManualQuery(min=-100, max=100), 100.0),
        (1e9, ManualQuery(min=0), 1e9),
        (-3.5, None, -3.5),
    ],
)
def test_check_value_accepts_values_within_bounds(value, query, expected):
    checked = ManualConnector.check_value(value, query)
    assert checked == expected
    assert type(checked) is float


@pytest.mark.parametrize(
    ("value", "query", "message"),
    [
        (101, ManualQuery(min=-100, max=100), "value 101 is above the metric's max 100"),
        (-100.5, ManualQuery(min=-100, max=100), "value -100.5 is below the metric's min -100"),
        (-1, ManualQuery(min=0), "below the metric's min 0"),
        (math.nan, None, "finite number, got nan"),
        (math.inf, ManualQuery(max=10), "finite number, got inf"),
        (-math.inf, None, "finite number, got -inf"),
    ],
)
def test_check_value_rejects(value, query, message):
    with pytest.raises(QueryError) as raised:
        ManualConnector.check_value(value, query)
    assert message in str(raised.value)


def test_query_bounds_must_be_ordered():
    with pytest.raises(ValidationError, match=r"min \(5.0\) is above max \(1.0\)"):
        ManualQuery(min=5, max=1)
    assert ManualQuery(min=1, max=1).max == 1


def test_describe_names_source_window_and_bounds(connector):
    request = MetricRequest("survey", ManualQuery(min=0, max=10), NOVEMBER)
    assert connector.describe(request) == (
        "manual check-ins for survey over "
        "[2026-11-01T00:00:00+01:00, 2026-12-01T00:00:00+01:00) (min 0, max 10)"
    )


def test_sample_config_loads():
    sample = Path(connectors.manual.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={}).config
    assert config.sources["survey"] == ManualSourceConfig(type="manual")
    assert config.metrics["nps"].query == ManualQuery(min=-100, max=100)
