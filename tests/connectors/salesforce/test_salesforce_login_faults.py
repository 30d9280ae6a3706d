"""An unavailable token endpoint is a transient failure of the source, retried like any 5xx."""

from __future__ import annotations

import pytest
from sf_support import local, password_config

from connectors.salesforce import SalesforceQuery
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.errors import RateLimited, TransientSourceError

TOKEN = "/services/oauth2/token"
OCTOBER_LEADS = MetricRequest(
    "sales",
    SalesforceQuery.model_validate({"soql": "SELECT COUNT() FROM Lead"}),
    Window(local(2026, 10, 1), local(2026, 11, 1)),
)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, None),  # the sandbox's REST error list: simple-salesforce called .get on it
        (500, {"error": "server_error", "error_description": "try later"}),
        (502, "<html><body>Bad Gateway</body></html>"),  # a JSON string, not an object
    ],
)
def test_a_token_endpoint_5xx_is_a_transient_error_naming_the_source(
    make_sandbox, connect, status, body
) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add(TOKEN, status=status, body=body, times=10)
    (result,) = connect(password_config(sandbox)).collect([OCTOBER_LEADS])
    assert isinstance(result, RequestFailed)
    assert isinstance(result.error, TransientSourceError)
    assert str(result.error).startswith(f"sales: Salesforce answered {status} ")
    assert result.error.source == "sales"
    assert sandbox.api_calls() == 0
    # At least every attempt of the login's retry policy (the query's own retry wraps it).
    assert sandbox.api_calls(TOKEN) >= 3


def test_a_token_endpoint_429_is_rate_limited(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add(TOKEN, status=429, retry_after=30, times=10)
    (result,) = connect(password_config(sandbox)).collect([OCTOBER_LEADS])
    assert isinstance(result, RequestFailed)
    assert isinstance(result.error, RateLimited)
    assert str(result.error).startswith(
        "sales: Salesforce answered 429 to /services/oauth2/token (REQUEST_LIMIT_EXCEEDED"
    )


def test_one_token_endpoint_5xx_is_retried_and_the_login_succeeds(make_sandbox, connect) -> None:
    sandbox = make_sandbox()
    sandbox.faults.add(TOKEN, status=503, times=1)
    connector = connect(password_config(sandbox))
    (result,) = connector.collect([OCTOBER_LEADS])
    assert isinstance(result, Observation)
    assert sandbox.api_calls(TOKEN) == 2
    assert connector.context.stats.retries == 1
