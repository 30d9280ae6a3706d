"""The connector registry: entry points, in-process registration, contract checks."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import Literal

import pytest

from connectors.manual import ManualConnector
from connectors.sql import SqlConnector
from syncd import plugins, registry
from syncd.abc import Connector, MetricRequest, QueryModel, SourceConfig
from syncd.registry import (
    ConnectorLoadError,
    UnknownConnector,
    available_connectors,
    load_connector,
    register_connector,
    unregister_connector,
)


class EchoConfig(SourceConfig):
    type: Literal["echo"]


class EchoQuery(QueryModel):
    value: float


class EchoConnector(Connector[EchoConfig, EchoQuery]):
    config_model = EchoConfig
    query_model = EchoQuery

    def fetch(self, request: MetricRequest[EchoQuery]) -> float:
        return request.query.value


@pytest.fixture
def echo():
    register_connector("echo", EchoConnector)
    yield EchoConnector
    unregister_connector("echo")


def test_builtin_connectors_load_from_entry_points():
    assert {"sql", "manual"} <= set(available_connectors())
    assert load_connector("sql") is SqlConnector
    assert load_connector("manual") is ManualConnector


def test_unknown_connector_names_the_available_ones():
    with pytest.raises(UnknownConnector) as raised:
        load_connector("hubspott")

    error = raised.value
    assert isinstance(error, KeyError)
    assert error.name == "hubspott"
    assert {"sql", "manual"} <= set(error.available)
    assert "'hubspott'" in str(error)
    assert "manual" in str(error)


def test_in_process_registration_is_listed_loaded_and_removed(echo):
    assert "echo" in available_connectors()
    assert available_connectors() == sorted(available_connectors())
    assert load_connector("echo") is echo

    unregister_connector("echo")
    assert "echo" not in available_connectors()
    with pytest.raises(UnknownConnector):
        load_connector("echo")
    register_connector("echo", EchoConnector)  # the fixture unregisters it again


def test_registering_a_name_twice_needs_replace(echo):
    class Other(EchoConnector):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_connector("echo", Other)
    register_connector("echo", Other, replace=True)
    assert load_connector("echo") is Other


def test_type_literal_must_equal_the_name():
    with pytest.raises(ConnectorLoadError, match=r"EchoConfig.type must be Literal\['echo2'\]"):
        register_connector("echo2", EchoConnector)


def test_loaded_object_must_be_a_connector_class():
    with pytest.raises(ConnectorLoadError, match=r"not a subclass of syncd\.abc\.Connector"):
        register_connector("echo", object)  # type: ignore[arg-type]


def test_missing_vendor_sdk_says_which_extra_to_install(monkeypatch):
    broken = EntryPoint(
        name="ga4", value="connectors.ga4_not_installed:Ga4Connector", group="syncd.connectors"
    )
    monkeypatch.setattr(registry.CONNECTORS, "entry_points", lambda: {"ga4": broken})
    monkeypatch.setattr(registry.CONNECTORS, "_loaded", {})  # the real ga4 may be cached

    with pytest.raises(ConnectorLoadError) as raised:
        load_connector("ga4")

    assert "pip install 'syncd[ga4]'" in str(raised.value)
    assert "connectors.ga4_not_installed" in str(raised.value)
    assert raised.value.name == "ga4"


def test_entry_point_to_a_missing_attribute_is_a_load_error(monkeypatch):
    broken = EntryPoint(
        name="typo", value="connectors.manual:NoSuchConnector", group="syncd.connectors"
    )
    monkeypatch.setattr(registry.CONNECTORS, "entry_points", lambda: {"typo": broken})

    with pytest.raises(ConnectorLoadError, match="does not resolve"):
        load_connector("typo")


def test_loading_is_cached(monkeypatch):
    first = load_connector("manual")

    def no_lookup():
        raise AssertionError("entry points looked up again")

    monkeypatch.setattr(registry.CONNECTORS, "entry_points", no_lookup)
    assert load_connector("manual") is first


def test_entry_points_are_read_once_and_again_for_a_name_not_found(monkeypatch):
    scans = []

    def counting(**selection):
        scans.append(selection)
        return real(**selection)

    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points", counting)
    monkeypatch.setattr(registry.CONNECTORS, "_loaded", {})
    registry.CONNECTORS.forget_entry_points()

    assert load_connector("manual") is ManualConnector
    assert load_connector("sql") is SqlConnector
    assert scans == [{"group": "syncd.connectors"}]
    with pytest.raises(UnknownConnector):
        load_connector("hubspott")  # perhaps installed since: looked up again
    assert len(scans) == 2


def test_loading_one_connector_imports_no_other():
    code = (
        "import sys; from syncd.registry import load_connector; load_connector('manual'); "
        "print('connectors.sql' in sys.modules, 'sqlparse' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_require_names_a_distribution_that_is_not_installed() -> None:
    registry.require("pydantic")  # installed: nothing happens
    with pytest.raises(ModuleNotFoundError) as raised:
        registry.require("syncd-no-such-sdk")
    assert raised.value.name == "syncd-no-such-sdk"
