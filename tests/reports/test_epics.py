"""Initiatives naming a Jira epic: the review shows its status, read from the Jira sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.jira import JiraSourceConfig
from connectors.jira.sandbox import JiraSandbox
from syncd.config.models import Config
from syncd.reports import build_review, render_review
from syncd.reports.epics import read_epics
from syncd.reports.model import EpicState

from .scenario import AFTER_CYCLE, REVIEW_MEASUREMENTS, filled, loaded, review_config

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def with_epics(sandbox_url: str, epics: dict[str, str]) -> Config:
    raw: dict[str, Any] = review_config().model_dump(mode="python", exclude_none=True)
    source = JiraSourceConfig.model_validate(
        {
            "type": "jira",
            "url": sandbox_url,
            "email": "delivery@acme.example",
            "api_token": "sandbox-api-token",
            "timezone": "Europe/Zurich",
        }
    )
    raw["sources"] = {"delivery": source}  # typed, as the loader hands it over
    for initiative in raw["initiatives"]:
        if initiative["id"] in epics:
            initiative["jira"] = epics[initiative["id"]]
    return Config.model_validate(raw)


@pytest.fixture(scope="module")
def jira() -> Any:
    with JiraSandbox(now=NOW) as sandbox:
        yield sandbox


def test_epics_are_read_with_status_and_resolution(jira: JiraSandbox) -> None:
    config = with_epics(jira.url, {"promo": "ABC-1", "quiet": "ABC-2", "later": "ABC-99999"})
    epics = read_epics(loaded(config))
    done = next(e for e in jira.dataset.epics if e.key == "ABC-1")
    assert done.resolved_at is not None
    assert epics["promo"] == EpicState(
        "ABC-1", status="Done", done=True, resolved=done.resolved_at.astimezone(config.tz).date()
    )
    assert epics["quiet"] == EpicState("ABC-2", status="In Progress")
    missing = epics["later"]
    assert missing.status is None and missing.error is not None
    assert "404" in missing.error and "Issue does not exist" in missing.error
    assert [r.path for r in jira.requests_to("/issue/")][-3:] == [
        "/rest/api/3/issue/ABC-1",
        "/rest/api/3/issue/ABC-2",
        "/rest/api/3/issue/ABC-99999",
    ]


def test_no_epic_no_call(jira: JiraSandbox) -> None:
    before = len(jira.requests)
    assert read_epics(loaded(with_epics(jira.url, {}))) == {}
    assert len(jira.requests) == before


def test_the_review_shows_the_epic_beside_the_movement(store: Any, jira: JiraSandbox) -> None:
    config = with_epics(jira.url, {"promo": "ABC-1", "quiet": "ABC-2"})
    filled(store, config, REVIEW_MEASUREMENTS)
    epics = read_epics(loaded(config))
    review = build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE, epics=epics)
    doc = json.loads(render_review(review, "json"))
    promo, quiet = doc["initiatives"]
    assert promo["epic"]["key"] == "ABC-1" and promo["epic"]["done"] is True
    assert promo["epic"]["resolved"] == epics["promo"].resolved.isoformat()  # type: ignore[union-attr]
    assert quiet["epic"] == {
        "key": "ABC-2",
        "status": "In Progress",
        "done": False,
        "resolved": None,
        "error": None,
    }
    markdown = render_review(review, "md")
    assert f"Jira epic `ABC-1`: **Done** now · resolved {epics['promo'].resolved}" in markdown
    assert "Jira epic `ABC-2`: **In Progress** now · not resolved" in markdown
    html = render_review(review, "html")
    assert "Jira epic <code>ABC-2</code>: <strong>In Progress</strong> now" in html


def test_an_unreachable_jira_costs_only_the_epic(store: Any) -> None:
    with JiraSandbox(now=NOW) as sandbox:
        url = sandbox.url
    config = with_epics(url, {"promo": "ABC-1"})  # the sandbox is gone: connection refused
    filled(store, config, REVIEW_MEASUREMENTS)
    epics = read_epics(loaded(config))
    assert epics["promo"].error is not None and "sandbox-api-token" not in epics["promo"].error
    review = build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE, epics=epics)
    assert "Jira epic `ABC-1`: not read (" in render_review(review, "md")
    assert review.initiatives[0].moves  # the movement is still there
