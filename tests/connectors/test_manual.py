"""The manual connector: push-only, validates checked-in values against the metric's bounds."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

import connectors.manual
from connectors.manual import ManualConnector, ManualQuery, ManualSourceConfig
from syncd.abc import CheckinSource, Connector, MetricRequest, RequestFailed, Window
from syncd.collect import ConnectorPool, collect_from_source
from syncd.config.loader import load_config
from syncd.errors import QueryError

ZURICH = ZoneInfo("Europe/Zurich")
NOVEMBER = Window(datetime(2026, 11, 1, tzinfo=ZURICH), datetime(2026, 12, 1, tzinfo=ZURICH))


def test_is_a_checkin_source_never_pulled(tmp_path):
    assert issubclass(ManualConnector, CheckinSource)
    assert not issubclass(ManualConnector, Connector)
    assert ManualConnector.pull is False
    # A pool refuses to open one: there is nothing to pull.
    pool = ConnectorPool({"survey": ManualSourceConfig(type="manual")}, ZURICH)
    request = MetricRequest("survey", ManualQuery(), NOVEMBER)
    outcome = collect_from_source(pool, "survey", [request])
    (failed,) = outcome.results.values()
    assert isinstance(failed, RequestFailed)
    assert "syncd checkin" in str(failed.error)
    assert outcome.stats.calls == 0


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


def test_describe_names_source_and_bounds():
    description = ManualConnector.describe("survey", ManualQuery(min=0, max=10))
    assert description == "manual check-ins for survey (min 0, max 10)"


def test_sample_config_loads():
    sample = Path(connectors.manual.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={}).config
    assert config.sources["survey"] == ManualSourceConfig(type="manual")
    assert config.metrics["nps"].query == ManualQuery(min=-100, max=100)
