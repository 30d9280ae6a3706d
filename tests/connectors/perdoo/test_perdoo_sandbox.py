"""The Perdoo sandbox itself: it speaks GraphQL strictly, so a wrong name in syncd's documents
fails here as it would at Perdoo (HTTP 400, nothing executed)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from connectors.perdoo import wire
from connectors.perdoo.sandbox import PerdooSandbox
from tests.connectors.perdoo.conftest import SEED, TOKEN


def post(sandbox: PerdooSandbox, body: dict[str, Any], token: str = TOKEN) -> httpx.Response:
    return httpx.post(
        f"{sandbox.url}/graphql/",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_the_seed_fixes_the_company() -> None:
    first, again, other = (PerdooSandbox(seed=s) for s in (SEED, SEED, SEED + 1))
    assert [kr.id for kr in first.key_results] == [kr.id for kr in again.key_results]
    assert {kr.id for kr in first.key_results}.isdisjoint(kr.id for kr in other.key_results)
    kr = first.key_results[0]
    assert (kr.name, kr.start, kr.target) == (
        "Weekly active teams to 400",
        120.0,
        400.0,
    )


def test_given_key_results_replace_the_seeded_ones() -> None:
    # The demo's sandbox holds the key results its config pushes to, by their UUIDs.
    given = ("8C0A7C2E-5B1D-4F6A-9E3B-2D4C6A8B0E1F", "NPS from 50 to 70", 50.0, 70.0)
    sandbox = PerdooSandbox(seed=SEED, token=TOKEN, key_results=[given])
    sandbox.start()
    try:
        answer = post(
            sandbox,
            {
                "query": wire.KEY_RESULT_DOCUMENT,
                "operationName": wire.KEY_RESULT_OPERATION,
                "variables": {"id": given[0]},
            },
        )
    finally:
        sandbox.stop()

    found = answer.json()["data"][wire.KEY_RESULT]
    assert (found[wire.KR_ID], found[wire.KR_NAME]) == (given[0].lower(), "NPS from 50 to 70")
    assert (found[wire.KR_START], found[wire.KR_TARGET]) == (50.0, 70.0)
    assert [kr.id for kr in sandbox.key_results] == [given[0].lower()]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"query": 'query Q { keyResult(id: "x") { id } }'}, 'Cannot query field "keyResult"'),
        ({"query": wire.WHO_AM_I_DOCUMENT, "operationName": "Other"}, "Unknown operation named"),
        (
            {"query": "query Q($id: String!) { result(id: $id) { id } }", "variables": {"id": "a"}},
            'used in position expecting type "UUID!"',
        ),
        ({"query": "query Q { me { ...F } }"}, "Fragments are not supported"),
        ({"query": "query Q { me }"}, "must have a selection of subfields"),
    ],
)
def test_documents_that_do_not_validate_are_400(
    sink_sandbox: PerdooSandbox, body: dict[str, Any], words: str
) -> None:
    answer = post(sink_sandbox, body)

    assert answer.status_code == 400
    assert "data" not in answer.json()
    assert words in answer.json()["errors"][0]["message"]


def test_a_mutation_with_an_unknown_input_field_is_not_executed(
    sink_sandbox: PerdooSandbox,
) -> None:
    kr = sink_sandbox.key_results[0].id
    given = {"keyResult": kr, "value": 1, "commitDate": "2026-11-20", "comment": "typo"}

    answer = post(
        sink_sandbox,
        {"query": wire.UPSERT_COMMIT_DOCUMENT, "variables": {"input": given}},
    )

    assert answer.status_code == 400
    assert 'Field "comment" is not defined' in answer.json()["errors"][0]["message"]
    assert sink_sandbox.received == [] and sink_sandbox.commits == []


def test_a_wrong_token_is_401(sink_sandbox: PerdooSandbox) -> None:
    answer = post(sink_sandbox, {"query": wire.WHO_AM_I_DOCUMENT}, token="nope")

    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"message": "Invalid token."}]}


def test_commits_page_with_graphenes_cursors(sink_sandbox: PerdooSandbox) -> None:
    kr = sink_sandbox.key_results[0].id
    for day in (date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 20)):
        sink_sandbox.add_commit(kr, day, 7.0)
    variables = {"day": "2026-11-20", "first": 1, "after": None}

    first = post(sink_sandbox, {"query": wire.COMMITS_OF_DAY_DOCUMENT, "variables": variables})
    page = first.json()["data"]["allCommits"]
    second = post(
        sink_sandbox,
        {
            "query": wire.COMMITS_OF_DAY_DOCUMENT,
            "variables": variables | {"after": page["pageInfo"]["endCursor"]},
        },
    ).json()["data"]["allCommits"]

    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "YXJyYXljb25uZWN0aW9uOjA="}
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": "YXJyYXljb25uZWN0aW9uOjE="}
    nodes = [e["node"] for e in page["edges"] + second["edges"]]
    assert [(n["commitDate"], n["value"], n["keyResult"]["id"]) for n in nodes] == [
        ("2026-11-20", 7.0, kr),
        ("2026-11-20", 7.0, kr),
    ]


def test_an_unknown_key_result_is_null_with_a_path(sink_sandbox: PerdooSandbox) -> None:
    missing = "0b6e7f52-1d7a-4c1e-9f43-2a9d5c0e8b11"
    answer = post(sink_sandbox, {"query": wire.KEY_RESULT_DOCUMENT, "variables": {"id": missing}})

    assert answer.status_code == 200
    assert answer.json() == {
        "errors": [{"message": "keyResult matching query does not exist.", "path": ["result"]}],
        "data": {"result": None},
    }
