"""The one-time authorization helper against the sandbox's authorize and token endpoints."""

from __future__ import annotations

import httpx
import pytest

from connectors.weekdone import WeekdoneSink, WeekdoneSinkConfig
from connectors.weekdone.authorize import AuthorizeError, authorize_url, code_from, main
from connectors.weekdone.sandbox import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI
from syncd.abc import ConnectorContext
from tests.connectors.weekdone.conftest import ZURICH


def test_authorize_url_carries_the_documented_parameters() -> None:
    url = authorize_url("https://weekdone.com", "app-7", "https://ops.example/cb", "s-1")
    assert url == (
        "https://weekdone.com/oauth_authorize?client_id=app-7"
        "&redirect_uri=https%3A%2F%2Fops.example%2Fcb&response_type=code&state=s-1"
    )


def test_code_from_a_bare_code_or_the_redirect_address() -> None:
    assert code_from("  abc123 \n", "s-1") == "abc123"
    assert code_from("https://ops.example/cb?code=abc123&state=s-1", "s-1") == "abc123"
    with pytest.raises(AuthorizeError, match="state"):
        code_from("https://ops.example/cb?code=abc123&state=other", "s-1")
    with pytest.raises(AuthorizeError, match="access_denied"):
        code_from("https://ops.example/cb?error=access_denied&state=s-1", "s-1")
    with pytest.raises(AuthorizeError, match="nothing"):
        code_from("   ", "s-1")


class Person:
    """Opens the printed address (the sandbox approves at once) and pastes where it lands."""

    def __init__(self) -> None:
        self.printed: list[str] = []

    def write(self, text: str) -> None:
        self.printed.append(text)

    def paste(self, prompt: str) -> str:
        url = next(line for line in self.printed if "/oauth_authorize?" in line)
        answer = httpx.get(url, follow_redirects=False)
        assert answer.status_code == 302
        return answer.headers["Location"]


def test_the_helper_prints_tokens_that_a_sink_can_use(sink_sandbox, monkeypatch) -> None:
    monkeypatch.delenv("WEEKDONE_CLIENT_SECRET", raising=False)
    person = Person()
    argv = [
        "--client-id",
        CLIENT_ID,
        "--redirect-uri",
        REDIRECT_URI,
        "--auth-url",
        sink_sandbox.url,
    ]

    status = main(
        argv, read_line=person.paste, read_secret=lambda _: CLIENT_SECRET, write=person.write
    )

    assert status == 0
    (exchange,) = sink_sandbox.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == REDIRECT_URI
    output = "\n".join(person.printed)
    assert CLIENT_SECRET not in output
    (line,) = [line for line in output.splitlines() if "WEEKDONE_REFRESH_TOKEN=" in line]
    refresh = line.split("=", 1)[1].strip()
    assert refresh.startswith("wdsbx-refresh-")
    assert "refresh_token: ${env:WEEKDONE_REFRESH_TOKEN}" in output

    config = WeekdoneSinkConfig.model_validate(
        {
            "type": "weekdone",
            "url": sink_sandbox.url,
            "auth_url": sink_sandbox.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh,
        }
    )
    with WeekdoneSink(config, ConnectorContext("weekdone", ZURICH)) as sink:
        assert sink.check() == "Weekdone answered with 3 objectives"


def test_a_code_works_once(sink_sandbox, monkeypatch) -> None:
    monkeypatch.setenv("WEEKDONE_CLIENT_SECRET", CLIENT_SECRET)
    code = sink_sandbox.issue_code()
    argv = [
        "--client-id",
        CLIENT_ID,
        "--redirect-uri",
        REDIRECT_URI,
        "--auth-url",
        sink_sandbox.url,
    ]
    printed: list[str] = []

    assert main(argv, read_line=lambda _: code, write=printed.append) == 0
    printed.clear()
    assert main(argv, read_line=lambda _: code, write=printed.append) == 1
    (error,) = [line for line in printed if line.startswith("error:")]
    assert "400" in error
    assert "authorize again" in error
    assert code not in error


def test_a_wrong_secret_fails_without_showing_it(sink_sandbox, monkeypatch) -> None:
    monkeypatch.delenv("WEEKDONE_CLIENT_SECRET", raising=False)
    code = sink_sandbox.issue_code()
    argv = [
        "--client-id",
        CLIENT_ID,
        "--redirect-uri",
        REDIRECT_URI,
        "--auth-url",
        sink_sandbox.url,
    ]
    printed: list[str] = []

    status = main(
        argv, read_line=lambda _: code, read_secret=lambda _: "wrong-secret-9", write=printed.append
    )

    assert status == 1
    assert "401" in printed[-1]
    assert "wrong-secret-9" not in "\n".join(printed)


def test_the_sandbox_refuses_an_unregistered_redirect(sink_sandbox) -> None:
    url = authorize_url(sink_sandbox.url, CLIENT_ID, "https://elsewhere.example/cb", "s")
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("text/plain")
