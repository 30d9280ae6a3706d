"""The pieces under the Jira Align sink: reading a value history and planning a delivery, and
the sandbox's JSON Patch, OData and routing (the sandbox must behave for the sink tests to mean
anything)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

import connectors.jiraalign
from connectors.jiraalign import JiraAlignSinkConfig, JiraAlignTarget, wire
from connectors.jiraalign.history import (
    Add,
    Replace,
    Skip,
    ValueUpdate,
    latest,
    latest_on,
    plan,
    value_updates,
)
from connectors.jiraalign.sandbox import JiraAlignSandbox, PatchError, apply_operation, generate
from tests.connectors.jiraalign.conftest import TOKEN

NOV_2, NOV_16 = date(2026, 11, 2), date(2026, 11, 16)


def record(*updates: Any) -> dict[str, Any]:
    return {"id": 7, "valueUpdates": list(updates)}


def test_value_updates_keep_list_order_and_leave_out_what_cannot_be_read() -> None:
    history = record(
        {"id": 1, "value": 10, "date": "2026-11-16T00:00:00Z"},
        {"id": 2, "value": "12", "date": "2026-11-17T00:00:00Z"},  # a text, not a number
        {"value": 11.5, "date": "2026-11-02T07:34:53Z"},
        {"id": 4, "value": True, "date": "2026-11-18T00:00:00Z"},
        {"id": 5, "value": 13, "date": "soon"},
        "not an object",
        {"id": 7, "value": 14, "date": "2026-11-16"},
    )
    assert value_updates(history) == [
        ValueUpdate(0, "1", NOV_16, 10.0),
        ValueUpdate(2, None, NOV_2, 11.5),
        ValueUpdate(6, "7", NOV_16, 14.0),
    ]
    assert value_updates({"id": 7, "valueUpdates": None}) == []
    assert value_updates({"id": 7}) == []


def test_the_latest_update_of_a_day_and_overall() -> None:
    updates = [
        ValueUpdate(0, "1", NOV_16, 10.0),
        ValueUpdate(1, "2", NOV_2, 11.5),
        ValueUpdate(2, "3", NOV_16, 14.0),
    ]
    assert latest_on(updates, NOV_16) == ValueUpdate(2, "3", NOV_16, 14.0)
    assert latest_on(updates, date(2026, 11, 3)) is None
    assert latest(updates) == ValueUpdate(2, "3", NOV_16, 14.0)
    assert latest([]) is None


def test_plan_skips_an_equal_value_replaces_another_and_adds_a_new_day() -> None:
    updates = [ValueUpdate(0, "1", NOV_2, 10.0), ValueUpdate(1, "2", NOV_16, 14.0)]
    assert plan(updates, NOV_16, 14.0) == Skip(updates[1])
    assert plan(updates, NOV_16, 14.0 + 1e-12) == Skip(updates[1])
    assert plan(updates, NOV_16, 15.0) == Replace(updates[1])
    assert plan(updates, NOV_16, 15.0, replace=False) == Add()
    assert plan(updates, date(2026, 11, 30), 14.0) == Add()


def test_wire_days() -> None:
    assert wire.day_instant(date(2026, 12, 3)) == "2026-12-03T00:00:00Z"
    assert wire.day_of("2023-09-04T07:34:53Z") == date(2023, 9, 4)
    assert wire.update_field_path(2, "value") == "/valueUpdates/2/value"
    with pytest.raises(ValueError):
        wire.day_of("04.09.2023")


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ({"op": "add", "path": "/items/-", "value": 3}, {"items": [1, 2, 3], "name": "a"}),
        ({"op": "add", "path": "/items/0", "value": 0}, {"items": [0, 1, 2], "name": "a"}),
        ({"op": "replace", "path": "/items/1", "value": 9}, {"items": [1, 9], "name": "a"}),
        ({"op": "replace", "path": "name", "value": "b"}, {"items": [1, 2], "name": "b"}),
        ({"op": "add", "path": "/note", "value": "n"}, {"items": [1, 2], "name": "a", "note": "n"}),
        ({"op": "remove", "path": "/items/0"}, {"items": [2], "name": "a"}),
    ],
)
def test_json_patch_operations(operation: dict[str, Any], expected: dict[str, Any]) -> None:
    document: dict[str, Any] = {"items": [1, 2], "name": "a"}
    apply_operation(document, operation)
    assert document == expected


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "/missing", "value": 1},
        {"op": "replace", "path": "/items/2", "value": 1},
        {"op": "add", "path": "/items/3", "value": 1},
        {"op": "move", "path": "/name", "value": 1},
        {"op": "add", "path": "/items/x", "value": 1},
        {"op": "add", "path": "/name"},
        {"op": "add", "path": "/", "value": 1},
        {"op": "add", "path": "/absent/deeper", "value": 1},
    ],
)
def test_json_patch_refusals(operation: dict[str, Any]) -> None:
    document: dict[str, Any] = {"items": [1, 2], "name": "a"}
    with pytest.raises(PatchError):
        apply_operation(document, operation)
    assert document == {"items": [1, 2], "name": "a"}


def test_the_seed_makes_the_same_key_results() -> None:
    first, second, other = generate(7, 3), generate(7, 3), generate(8, 3)
    assert first == second
    assert first != other
    for key_result in first.values():
        dates = [update["date"] for update in key_result["valueUpdates"]]
        assert dates == ["2026-11-02T00:00:00Z", "2026-11-16T00:00:00Z"]
        assert key_result["baselineValue"] < key_result["targetValue"]


@pytest.fixture
def sandbox() -> Any:
    with JiraAlignSandbox(seed=11, token=TOKEN, count=4) as server:
        yield server


def call(sandbox: JiraAlignSandbox, method: str, path: str, **options: Any) -> httpx.Response:
    headers = {"Authorization": f"bearer {TOKEN}", **options.pop("headers", {})}
    return httpx.request(method, sandbox.url + path, headers=headers, timeout=5, **options)


def test_the_list_pages_and_selects(sandbox: JiraAlignSandbox) -> None:
    ids = sorted(sandbox.key_results)
    answer = call(sandbox, "GET", "/rest/align/api/2/keyresults?$top=2&$skip=1&$select=id,title")
    assert answer.status_code == 200
    assert answer.json() == [
        {"id": ids[1], "title": sandbox.key_results[ids[1]]["title"]},
        {"id": ids[2], "title": sandbox.key_results[ids[2]]["title"]},
    ]
    assert call(sandbox, "GET", "/rest/align/api/2/keyresults?$top=101").status_code == 400
    assert len(call(sandbox, "GET", "/REST/Align/API/2/KeyResults").json()) == 4


def test_auth_errors_and_unknown_paths(sandbox: JiraAlignSandbox) -> None:
    key_result = min(sandbox.key_results)
    path = f"/rest/align/api/2/keyresults/{key_result}"
    wrong = call(sandbox, "GET", path, headers={"Authorization": "Bearer user:1|nope"})
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"message": "Authorization has been denied for this request."},
    )
    assert call(sandbox, "GET", "/rest/align/api/2/epics/1").status_code == 404
    assert call(sandbox, "POST", path, json={}).status_code == 405
    assert call(sandbox, "GET", path).status_code == 200
    sandbox.revoke()
    assert call(sandbox, "GET", path).status_code == 401


def test_a_patch_is_all_or_nothing_and_read_only_paths_are_ignored(
    sandbox: JiraAlignSandbox,
) -> None:
    key_result = min(sandbox.key_results)
    path = f"/rest/align/api/2/keyresults/{key_result}"
    before = call(sandbox, "GET", path).json()
    half_bad = [
        {"op": "replace", "path": "/targetValue", "value": 500},
        {"op": "replace", "path": "/valueUpdates/9/value", "value": 1},
    ]
    refused = call(sandbox, "PATCH", path, json=half_bad)
    assert refused.status_code == 400
    assert "index 9 is out of range" in refused.json()["detail"]
    assert call(sandbox, "GET", path).json() == before
    silent = call(sandbox, "PATCH", path, json=[{"op": "replace", "path": "/id", "value": 1}])
    assert (silent.status_code, silent.content) == (204, b"")
    assert call(sandbox, "GET", path).json() == before
    no_date = [{"op": "add", "path": "/valueUpdates/-", "value": {"value": 3}}]
    assert call(sandbox, "PATCH", path, json=no_date).status_code == 400
    assert len(sandbox.received) == 3


def test_the_sample_sink_and_mapping_fit_the_models() -> None:
    sample = Path(connectors.jiraalign.__file__).with_name("sample.yaml")
    data = YAML(typ="safe").load(sample.read_text())
    config = JiraAlignSinkConfig.model_validate(data["sinks"]["align"])
    assert (config.base_url, config.token.get_secret_value()) == (
        "https://acme.jiraalign.com",
        "${env:JIRAALIGN_TOKEN}",  # a reference: the framework's loader resolves it
    )
    push = data["key_results"][0]["push"]["align"]
    assert JiraAlignTarget.model_validate(push) == JiraAlignTarget(key_result=3627)
