"""Checking a source goes through the runner's machinery: retries, Retry-After, error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from connectors.hubspot import HubSpotSourceConfig
from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.manual import ManualConnector
from syncd.abc import RetryPolicy
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.sourcecheck import SourceCheck, check_sources, hint_for

PIPELINES = "/crm/v3/pipelines/deals"
QUICK = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, max_retry_after=10.0)
UTC = ZoneInfo("UTC")


@pytest.fixture
def box() -> Iterator[HubSpotSandbox]:
    with HubSpotSandbox(search_per_second=None, burst_limit=None) as sandbox:
        yield sandbox


def check(box: HubSpotSandbox, token: str | None = None) -> SourceCheck:
    config = HubSpotSourceConfig.model_validate(
        {"type": "hubspot", "token": token or box.private_app_token, "endpoint": box.url}
    )
    [result] = check_sources({"crm": config}, UTC, retry=QUICK)
    return result


def test_a_passing_check_says_what_it_read(box: HubSpotSandbox) -> None:
    assert check(box) == SourceCheck(
        "crm", "hubspot", "ok", f"HubSpot at {box.url}: 2 deal pipelines readable"
    )


def test_a_transient_failure_is_retried_like_any_call(box: HubSpotSandbox) -> None:
    box.faults.add(PIPELINES, status=502, times=2)
    assert check(box).outcome == "ok"


def test_a_long_retry_after_is_reported_at_once_with_the_wait(box: HubSpotSandbox) -> None:
    box.faults.add(PIPELINES, status=429, times=9, retry_after=60)
    result = check(box)
    assert result.outcome == "failed"
    assert "429" in result.text
    assert result.hint == "rate-limited: wait 60 s, then check again"


def test_refused_credentials_fail_with_the_secret_left_out(box: HubSpotSandbox) -> None:
    result = check(box, token="pat-na1-not-the-right-one")
    assert result.outcome == "failed"
    assert result.text.startswith("HubSpot answered 401")
    assert "pat-na1-not-the-right-one" not in result.text
    assert result.hint == (
        "check the credentials: the secret sources.crm refers to, and its read access"
    )


def test_a_check_in_source_has_nothing_to_check() -> None:
    config = ManualConnector.config_model.model_validate({"type": "manual"})
    assert list(check_sources({"research": config}, UTC)) == [
        SourceCheck("research", "manual", "skipped", "nothing to check (check-ins)")
    ]


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (AuthError("x"), "check the credentials: the secret sources.s refers to"),
        (RateLimited("x", retry_after=None), "rate-limited: wait a while, then check again"),
        (TransientSourceError("x"), "unreachable or failing: check the address in sources.s"),
        (QueryError("x"), "it answered but refused the check: check the settings of sources.s"),
        (SourceError("x"), "check the settings of sources.s; --log-level debug shows more"),
    ],
)
def test_each_error_class_has_its_hint(error: SourceError, hint: str) -> None:
    assert hint_for(error, "s").startswith(hint)
