"""A token in the query string never reaches an error message (RestClient's redaction)."""

from __future__ import annotations

import httpx
import pytest

from syncd.errors import TransientSourceError
from syncd.http import RestClient, mock_transport

TOKEN = "qs-token-5f1e9c0a77"


def direct(fn, *, what):
    return fn()


def test_a_url_in_a_transport_error_loses_its_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = RestClient(
        base_url="https://api.weekdone.com",
        source="weekdone",
        vendor="Weekdone",
        call=direct,
        transport=mock_transport(refuse),
    )
    with pytest.raises(TransientSourceError) as raised:
        client.get("/1/objective", what="objectives", params={"token": TOKEN, "period": "2026Q4"})
    client.close()

    text = str(raised.value)
    assert TOKEN not in text
    assert "token=***" in text
    assert "period=2026Q4" in text  # only the credential is masked


@pytest.mark.parametrize("name", ["access_token", "refresh_token", "client_secret", "token_auth"])
def test_other_credential_parameters_are_masked(name: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = RestClient(
        base_url="https://example.org",
        source="s",
        vendor="V",
        call=direct,
        transport=mock_transport(refuse),
    )
    with pytest.raises(TransientSourceError) as raised:
        client.get("/x", what="x", params={"a": "1", name: TOKEN})
    client.close()
    assert TOKEN not in str(raised.value)
