"""The sandbox's own wire answers, asked with plain HTTP (not through the sink)."""

from __future__ import annotations

from datetime import date

import httpx

from connectors.weekdone.sandbox import seeded_objectives
from tests.connectors.weekdone.conftest import ACCESS_TOKEN, REFRESH_TOKEN


def test_objectives_are_the_same_for_the_same_seed() -> None:
    day = date(2026, 10, 1)
    first, again, other = (
        seeded_objectives(5, day),
        seeded_objectives(5, day),
        seeded_objectives(6, day),
    )
    assert first == again
    assert first != other
    assert len(first) == 3
    assert all(2 <= len(o.results) <= 4 for o in first.values())


def test_listing_shape(sink_sandbox) -> None:
    answer = httpx.get(f"{sink_sandbox.url}/1/objective", params={"token": ACCESS_TOKEN})
    body = answer.json()
    assert answer.status_code == 200
    assert body["status"] == "ok"
    ids = [objective["id"] for objective in body["data"]]
    assert ids == sorted(sink_sandbox.objectives)
    first = body["data"][0]
    assert set(first) == {"id", "type", "description", "period", "progress", "results"}
    assert set(first["results"][0]) == {"id", "description", "progress"}


def test_a_missing_or_unknown_token_is_401(sink_sandbox) -> None:
    for params in ({}, {"token": "wdsbx-access-nope"}, {"token": REFRESH_TOKEN}):
        answer = httpx.get(f"{sink_sandbox.url}/1/objective", params=params)
        assert answer.status_code == 401
        assert answer.json() == {"status": "error", "error": "Invalid or expired access token"}


def test_patch_errors(sink_sandbox, target) -> None:
    url = f"{sink_sandbox.url}/1/objective/{{}}/result/{{}}"
    token = {"token": ACCESS_TOKEN}

    unknown = httpx.patch(url.format(1, 2), params=token, data={"progress": "3"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "Objective not found")

    no_result = httpx.patch(
        url.format(target["objective"], 2), params=token, data={"progress": "3"}
    )
    assert (no_result.status_code, no_result.json()["error"]) == (404, "Key result not found")

    bad = httpx.patch(
        url.format(target["objective"], target["result"]), params=token, data={"progress": "lots"}
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "progress must be a number")
    assert sink_sandbox.received == []


def test_token_endpoint_grants(sink_sandbox) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": sink_sandbox.client_id,
        "client_secret": sink_sandbox.client_secret,
    }
    granted = httpx.post(f"{sink_sandbox.url}/oauth_token", data=form).json()
    assert granted["token_type"] == "bearer"
    assert granted["expires_in"] == 3600
    assert granted["refresh_token"] == REFRESH_TOKEN  # not rotated unless asked
    assert sink_sandbox.token_valid(granted["access_token"])

    sink_sandbox.revoke()
    refused = httpx.post(f"{sink_sandbox.url}/oauth_token", data=form)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert not sink_sandbox.token_valid(granted["access_token"])
