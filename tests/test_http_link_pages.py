"""``RestClient.follow_link_pages``: page numbers taken from ``Link: <…>; rel="next"``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from syncd.errors import QueryError
from syncd.http import RestClient, mock_transport


def direct(fn: Callable[[], Any], *, what: str) -> Any:
    return fn()


def paged(pages: dict[int, tuple[list[int], str | None]], asked: list[str]) -> RestClient:
    """A client whose list answers ``pages[n]`` (items, Link header) for ``?page=n``."""

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        number = int(request.url.params.get("page", "1"))
        items, link = pages[number]
        return httpx.Response(200, json=items, headers={"Link": link} if link else {})

    return RestClient(
        base_url="https://api.acme.example",
        source="okrs",
        vendor="Acme",
        call=direct,
        transport=mock_transport(handler),
    )


def test_next_page_numbers_are_asked_on_the_same_path_until_no_next() -> None:
    asked: list[str] = []
    # The vendor's links point elsewhere (another host, no version prefix): only the page
    # number counts, so credentials never follow them.
    pages = {
        1: ([1, 2], '<https://other.example/items?page=2>; rel="next", <x?page=3>; rel="last"'),
        2: ([3, 4], '<https://other.example/items?page=1>; rel="prev", <y?page=3>; rel="next"'),
        3: ([5], '<https://other.example/items?page=2>; rel="prev"'),
    }
    client = paged(pages, asked)

    bodies = list(client.follow_link_pages("/v2/items", what="items", params={"kind": "a"}))

    assert bodies == [[1, 2], [3, 4], [5]]
    assert asked == [
        "https://api.acme.example/v2/items?kind=a",
        "https://api.acme.example/v2/items?kind=a&page=2",
        "https://api.acme.example/v2/items?kind=a&page=3",
    ]


def test_an_answer_without_a_link_header_is_the_only_page() -> None:
    asked: list[str] = []
    client = paged({1: ([7], None)}, asked)
    assert list(client.follow_link_pages("/v2/items", what="items")) == [[7]]
    assert len(asked) == 1


def test_a_list_that_never_ends_is_refused() -> None:
    asked: list[str] = []
    loop = {1: ([1], '<https://api.acme.example/v2/items?page=1>; rel="next"')}
    client = paged(loop, asked)
    with pytest.raises(QueryError, match="more than 3 pages"):
        list(client.follow_link_pages("/v2/items", what="items", max_pages=3))
    assert len(asked) == 3


def test_a_next_link_without_a_page_number_is_refused() -> None:
    asked: list[str] = []
    client = paged({1: ([1], '<https://api.acme.example/v2/items?cursor=x>; rel="next"')}, asked)
    with pytest.raises(QueryError, match="without a 'page' number"):
        list(client.follow_link_pages("/v2/items", what="items"))
