"""syncd.http: the one table from HTTP answers to the error tree, paging, redaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from syncd.abc import UpstreamFloat
from syncd.errors import AuthError, QueryError, RateLimited, SourceError, TransientSourceError
from syncd.http import RestClient, mock_transport, retry_after

TOKEN = "tok-s3cr3t-0123456789"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def direct(fn: Callable[[], Any], *, what: str) -> Any:
    """A ``call`` that just calls: the table is under test, not pacing or retries."""
    return fn()


def client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> RestClient:
    return RestClient(
        base_url="https://api.acme.example",
        source="crm",
        vendor="Acme",
        call=direct,
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=[TOKEN],
        transport=mock_transport(handler),
        **options,
    )


def answering(status: int, body: Any = None, headers: dict[str, str] | None = None) -> RestClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body if body is not None else {}, headers=headers)

    return client(handler)


def error_of(rest: RestClient) -> SourceError:
    with pytest.raises(SourceError) as raised:
        rest.get("/v1/things", what="things")
    return raised.value


@pytest.mark.parametrize(
    ("status", "headers", "expected", "wait"),
    [
        (401, {}, AuthError, None),
        (403, {}, AuthError, None),
        (429, {"Retry-After": "7"}, RateLimited, 7.0),
        (429, {"RateLimit-Reset": "3"}, RateLimited, 3.0),
        (429, {}, RateLimited, None),
        (503, {"Retry-After": "2"}, RateLimited, 2.0),
        (503, {"RateLimit-Reset": "30"}, TransientSourceError, None),  # no Retry-After: a 5xx
        (500, {}, TransientSourceError, None),
        (502, {}, TransientSourceError, None),
        (408, {}, TransientSourceError, None),
        (400, {}, QueryError, None),
        (404, {}, QueryError, None),
        (422, {}, QueryError, None),
    ],
)
def test_the_status_table(
    status: int, headers: dict[str, str], expected: type[SourceError], wait: float | None
) -> None:
    error = error_of(answering(status, {"message": "nope"}, headers))
    assert type(error) is expected
    assert str(error) == f"crm: Acme answered {status} to /v1/things (nope)" + (
        "; check the credentials"
        if status == 401
        else "; the credentials lack a permission"
        if status == 403
        else ""
    )
    assert error.source == "crm"
    if isinstance(error, RateLimited):
        assert error.retry_after == wait


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<!DOCTYPE html><html><body>Sign in</body></html>", "an HTML page instead of JSON"),
        ("", "an empty body"),
        ('{"results": [1, 2', "a truncated or non-JSON body"),
    ],
)
def test_a_2xx_that_is_not_json_is_transient(body: str, problem: str) -> None:
    error = error_of(answering(200, body))
    assert isinstance(error, TransientSourceError)
    assert problem in str(error)


def test_a_patch_sends_its_json_and_a_204_answers_none() -> None:
    seen: list[tuple[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, json.loads(request.content)))
        return httpx.Response(204)

    operations = [{"op": "add", "path": "/items/-", "value": {"n": 1}}]
    assert client(handler).patch("/v1/things/7", what="thing 7", json_body=operations) is None
    assert seen == [("PATCH", [{"op": "add", "path": "/items/-", "value": {"n": 1}}])]


def test_an_html_error_page_is_named_not_quoted() -> None:
    error = error_of(answering(502, "<html><body>Bad gateway " + "x" * 500 + "</body></html>"))
    assert str(error) == "crm: Acme answered 502 to /v1/things (an HTML page)"


def test_retry_after_as_an_http_date_and_as_an_epoch() -> None:
    assert retry_after({"Retry-After": "Sat, 21 Nov 2026 12:00:30 GMT"}, now=NOW) == 30.0
    assert retry_after({"X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, now=NOW) == 45.0
    assert retry_after({"Retry-After": "soon"}, now=NOW) is None
    assert retry_after({}, now=NOW) is None


def test_connection_failures_are_transient_and_never_show_the_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused for {request.headers['Authorization']}")

    error = error_of(client(refuse))
    assert isinstance(error, TransientSourceError)
    assert "ConnectError" in str(error)
    assert TOKEN not in str(error)


def test_an_echoed_token_is_redacted_from_the_message() -> None:
    error = error_of(answering(400, {"message": f"bad token {TOKEN}"}))
    assert TOKEN not in str(error)
    assert "bad token ***" in str(error)


def test_numbers_keep_the_text_they_came_as() -> None:
    body = client(lambda r: httpx.Response(200, text='{"a": 1e400, "b": NaN, "c": 2.5}')).get(
        "/v1/x", what="x"
    )
    assert isinstance(body["a"], UpstreamFloat) and body["a"].text == "1e400"
    assert body["b"].text == "NaN"
    assert body["c"] == 2.5


def test_check_turns_an_error_document_with_200_into_an_error() -> None:
    def check(body: Any) -> SourceError | None:
        if isinstance(body, dict) and body.get("result") == "error":
            return QueryError(f"crm: {body['message']}", source="crm")
        return None

    rest = client(
        lambda r: httpx.Response(200, json={"result": "error", "message": "no such site"}),
        check=check,
    )
    error = error_of(rest)
    assert isinstance(error, QueryError) and str(error) == "crm: no such site"


def test_next_urls_are_followed_on_the_configured_host_only() -> None:
    asked: list[str] = []

    def pages(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/v1/items":
            return httpx.Response(200, json={"items": [1], "next": "/v1/items/2"})
        if request.url.path == "/v1/items/2":
            return httpx.Response(
                200, json={"items": [2], "next": "https://evil.example/v1/items/3"}
            )
        raise AssertionError(f"asked {request.url}")

    rest = client(pages)
    seen = []
    with pytest.raises(QueryError, match="refusing to follow it"):
        for body in rest.follow_next_urls(
            "/v1/items", what="items", next_url=lambda body: body.get("next")
        ):
            seen.extend(body["items"])
    assert seen == [1, 2]
    assert all(url.startswith("https://api.acme.example/") for url in asked)


def test_cursors_are_followed_until_empty() -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("after")
        following = {None: "c1", "c1": "c2", "c2": ""}[cursor]
        return httpx.Response(200, json={"page": cursor, "next": following})

    bodies = list(
        client(pages).follow_cursors(
            "/v1/log",
            what="log",
            params={"limit": 2},
            cursor=lambda body: body["next"],
            cursor_param="after",
        )
    )
    assert [body["page"] for body in bodies] == [None, "c1", "c2"]


def test_json_bodies_are_sent_and_parsed() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"got": json.loads(request.content)})

    assert client(echo).post("/v1/search", what="search", json_body={"q": 1}) == {"got": {"q": 1}}
