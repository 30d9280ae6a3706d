"""The JSON Schema for editors, and the example config that shows every feature."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from config_helpers import FakeConfig
from ruamel.yaml import YAML

from syncd.config import config_schema, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
EXAMPLE_ENV = {"SYNCD_DB_PASSWORD": "db-secret-1", "WAREHOUSE_PASSWORD": "wh-secret-2"}


def as_editor_sees(path: Path) -> object:
    """YAML as the language server reads it: dates stay strings (YAML 1.2 core schema)."""
    data = YAML(typ="safe", pure=True).load(path.read_text())
    return json.loads(json.dumps(data, default=str))


@pytest.fixture
def schema() -> dict:
    document = config_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def test_schema_validates_the_example(schema):
    jsonschema.Draft202012Validator(schema).validate(as_editor_sees(EXAMPLE))


def test_schema_has_each_connector_as_a_source_variant(schema):
    variants = schema["$defs"]["SourceConfig"]["oneOf"]
    names = {
        schema["$defs"][v["$ref"].rsplit("/", 1)[1]]["properties"]["type"]["const"]
        for v in variants
    }
    assert {"sql", "manual", "fake", "checkin"} <= names
    assert schema["$defs"][FakeConfig.__name__]["required"] == ["type", "token"]


def test_schema_rejects_what_the_loader_rejects(schema):
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"sources": {"db": {"type": "sql", "url": "sqlite://"}}})
    assert not validator.is_valid({"sources": {"db": {"type": "sql"}}})  # no url
    assert not validator.is_valid({"sources": {"db": {"type": "nope"}}})
    assert not validator.is_valid({"sources": {"db": {"type": "manual", "url": "x"}}})
    assert not validator.is_valid({"cycles": {"q": {"start": "2026-01-01", "ende": "x"}}})
    assert not validator.is_valid({"metrics": {"m": {"source": "db", "query": {"sqll": "x"}}}})


def test_example_loads_without_errors_or_warnings(tmp_path):
    vendor_env = {
        "SF_CLIENT_ID": "sf-client-3",
        "HUBSPOT_TOKEN": "pat-hub-4",
        "ZENDESK_TOKEN": "zd-5",
        "MATOMO_TOKEN": "mt-7",
        "MIXPANEL_SECRET": "mp-7",
        "AMPLITUDE_API_KEY": "amp-key-7",
        "AMPLITUDE_SECRET_KEY": "amp-secret-8",
        "JIRA_API_TOKEN": "jira-7",
    }
    credentials = {
        "ga4.json": '{"type": "service_account"}',
        "sf.key": "PEM-KEY-6",
        "sheets.json": '{"type": "service_account", "sheets": 7}',
    }
    for name, text in credentials.items():
        (tmp_path / name).write_text(text)
    environ = EXAMPLE_ENV | vendor_env | {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    loaded = load_config(EXAMPLE, environ=environ)
    config = loaded.config
    assert loaded.warnings == ()
    assert loaded.secrets == frozenset(
        [*EXAMPLE_ENV.values(), *vendor_env.values(), *credentials.values()]
    )
    assert config.store.get_secret_value() == (
        "postgresql+psycopg://syncd:db-secret-1@localhost/syncd"
    )
    assert sorted(s.type for s in config.sources.values()) == [
        "amplitude", "excel", "ga4", "hubspot", "jira", "manual", "matomo", "mixpanel",
        "salesforce", "sheets", "sql", "sql", "zendesk",
    ]  # fmt: skip
    windows = {m.window.split(":")[0] for m in config.metrics.values()}
    assert {"trailing_28d", "cycle_to_date", "calendar_month", "snapshot", "since"} <= windows
    derived = {
        k
        for m in config.metrics.values()
        for k in ("ratio", "growth", "sum", "difference")
        if getattr(m, k)
    }
    assert derived == {"ratio", "growth", "sum", "difference"}
    schedules = {kr.schedule for _, kr in config.key_results()}
    assert {"hourly", "daily", "every 15m", "0 6 * * *"} <= schedules
    assert config.key_result("net-revenue")[1].settle == "3d"  # from the x- anchor
    assert {o.commitment for o in config.objectives} == {"committed", "aspirational"}
    assert {kr.direction for _, kr in config.key_results()} == {"increase", "decrease", "maintain"}
