"""The Tability sandbox speaks the documented wire shape: auth header, paging headers and Link,
check-in objects, error bodies. Read with plain httpx, not through the sink."""

from __future__ import annotations

import httpx

from connectors.tability.sandbox import TabilitySandbox
from tests.connectors.tability.conftest import TOKEN

AUTH = {"Authorization": f"API {TOKEN}"}


def test_checkins_page_with_x_headers_and_a_link(sink_sandbox: TabilitySandbox) -> None:
    outcome = sink_sandbox.outcomes[0]  # 23 check-ins, 10 a page
    path = f"/v2/workspaces/{sink_sandbox.workspace_id}/outcomes/{outcome.id}/checkins"
    answer = httpx.get(f"{sink_sandbox.url}{path}", params={"page": 2}, headers=AUTH)

    assert answer.status_code == 200
    assert answer.headers["X-Per-Page"] == "10"
    assert answer.headers["X-Page"] == "2"
    assert answer.headers["X-Total"] == "23"
    assert {rel: link["url"] for rel, link in answer.links.items()} == {
        "first": f"{sink_sandbox.url}{path}?page=1",
        "last": f"{sink_sandbox.url}{path}?page=3",
        "prev": f"{sink_sandbox.url}{path}?page=1",
        "next": f"{sink_sandbox.url}{path}?page=3",
    }
    items = answer.json()
    # Newest first: page 2 holds the 11th to 20th newest, i.e. seeded check-ins 12 down to 3.
    assert [item["id"] for item in items] == [c.id for c in outcome.checkins[12:2:-1]]
    first = outcome.checkins[12]
    assert items[0]["checkin_date"] == f"{first.day.isoformat()}T00:00:00.000Z"
    assert set(items[0]) >= {"id", "outcome_id", "nano_slug", "checkin_date", "score"}
    assert items[0]["confidence"] in ("red", "yellow", "green")


def test_the_last_page_has_no_next_link(sink_sandbox: TabilitySandbox) -> None:
    outcome = sink_sandbox.outcomes[0]
    path = f"/v2/workspaces/helvetia/outcomes/{outcome.nano_slug}/checkins"
    answer = httpx.get(f"{sink_sandbox.url}{path}?page=3", headers=AUTH)
    assert len(answer.json()) == 3
    assert "next" not in answer.links


def test_a_bad_or_revoked_token_is_401_with_an_error_body(sink_sandbox: TabilitySandbox) -> None:
    url = f"{sink_sandbox.url}/v2/whoami"
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
    assert httpx.get(url, headers=AUTH).status_code == 200
    sink_sandbox.revoke()
    answer = httpx.get(url, headers=AUTH)
    assert (answer.status_code, answer.json()) == (401, {"error": "Unauthorized"})


def test_a_checkin_needs_the_wrapper_and_is_appended(sink_sandbox: TabilitySandbox) -> None:
    outcome = sink_sandbox.outcomes[2]
    url = f"{sink_sandbox.url}/v2/workspaces/helvetia/outcomes/{outcome.id}/checkins"
    flat = httpx.post(url, json={"score": 3, "checkin_date": "2026-12-01"}, headers=AUTH)
    assert flat.status_code == 400
    body = {"checkin": {"score": 3, "checkin_date": "2026-12-01", "body": "b"}}
    made = [httpx.post(url, json=body, headers=AUTH).json()["id"] for _ in range(2)]
    assert [c.id for c in outcome.checkins] == made  # appended, never merged
    assert [(w.method, w.status) for w in sink_sandbox.received] == [
        ("POST", 400),
        ("POST", 200),
        ("POST", 200),
    ]


def test_an_unknown_outcome_is_404_with_an_error_body(sink_sandbox: TabilitySandbox) -> None:
    url = f"{sink_sandbox.url}/v2/workspaces/helvetia/outcomes/nope/checkins"
    answer = httpx.get(url, headers=AUTH)
    assert (answer.status_code, answer.json()) == (404, {"error": "Not found"})


def test_the_seed_decides_the_state() -> None:
    one, two, other = (TabilitySandbox(seed=s) for s in (5, 5, 6))
    assert [o.id for o in one.outcomes] == [o.id for o in two.outcomes]
    assert one.checkins_of(one.outcomes[0].id) == two.checkins_of(two.outcomes[0].id)
    assert [o.id for o in one.outcomes] != [o.id for o in other.outcomes]
