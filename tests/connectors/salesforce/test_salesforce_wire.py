"""The sandbox's wire protocol: status codes, JSON shapes and headers as Salesforce documents
them (REST API guide: Query, Query More Results, Sforce-Limit-Info, OAuth token endpoint)."""

from __future__ import annotations

import re
import time

import pytest
import requests
from simple_salesforce import Salesforce

from connectors.salesforce.sandbox import SalesforceSandbox

V = "/services/data/v59.0"


def get(sandbox: SalesforceSandbox, path: str, token: str | None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.get(sandbox.url + path, headers=headers, verify=sandbox.ca_file, **kwargs)


def test_password_grant_answers_the_documented_token_shape(sandbox: SalesforceSandbox) -> None:
    response = requests.post(
        sandbox.url + "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "username": sandbox.username,
            "password": sandbox.password + sandbox.security_token,
        },
        verify=sandbox.ca_file,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
    }
    assert body["token_type"] == "Bearer" and body["instance_url"] == sandbox.url
    assert re.fullmatch(r"https://.+/id/00D\w{15}/005\w{15}", body["id"])


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, {"error": "invalid_request", "error_description": "grant type is missing"}),
        ({"grant_type": "authorization_code"},
         {"error": "unsupported_grant_type", "error_description": "grant type not supported"}),
        ({"grant_type": "password", "client_id": "nope"},
         {"error": "invalid_client_id", "error_description": "client identifier invalid"}),
        ({"grant_type": "client_credentials"},
         {"error": "invalid_client", "error_description": "invalid client credentials"}),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x.y.z"},
         {"error": "invalid_grant", "error_description": "invalid assertion"}),
    ],
)  # fmt: skip
def test_oauth_errors_are_400_with_error_and_description(sandbox, form, error) -> None:
    response = requests.post(
        sandbox.url + "/services/oauth2/token", data=form, verify=sandbox.ca_file
    )
    assert (response.status_code, response.json()) == (400, error)


def test_rest_errors_are_lists_of_message_and_error_code(sandbox: SalesforceSandbox) -> None:
    unauthenticated = get(sandbox, f"{V}/query/", None, params={"q": "SELECT Id FROM Lead"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    token = sandbox.issue_session()
    malformed = get(sandbox, f"{V}/query/", token, params={"q": "SELECT Id FROM Lead WHERE"})
    assert malformed.status_code == 400
    (error,) = malformed.json()
    assert set(error) == {"message", "errorCode"} and error["errorCode"] == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:26" in error["message"]
    old_version = get(sandbox, "/services/data/v20.0/query/", token, params={"q": "x"})
    assert old_version.status_code == 404
    assert old_version.json()[0]["errorCode"] == "NOT_FOUND"


def test_query_pages_with_next_records_url_and_reports_usage(make_sandbox) -> None:
    sandbox = make_sandbox()
    token = sandbox.issue_session()
    expected = len(sandbox.records["Account"])
    first = get(
        sandbox,
        f"{V}/query/",
        token,
        params={"q": "SELECT Id, Name FROM Account"},
        headers={"Sforce-Query-Options": "batchSize=1000"},
    )
    body = first.json()
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert (body["totalSize"], body["done"], len(body["records"])) == (expected, False, 1000)
    assert re.fullmatch(rf"{V}/query/01g\w+-1000", body["nextRecordsUrl"])
    assert body["records"][0]["attributes"] == {
        "type": "Account",
        "url": f"{V}/sobjects/Account/{sandbox.records['Account'][0]['Id']}",
    }
    seen = len(body["records"])
    while not body["done"]:
        page = get(sandbox, body["nextRecordsUrl"], token)
        body = page.json()
        seen += len(body["records"])
    assert seen == expected
    assert "nextRecordsUrl" not in body
    assert page.headers["Sforce-Limit-Info"] == f"api-usage={1 + (expected - 1) // 1000}/15000"


def test_batch_size_is_clamped_to_200_2000(sandbox: SalesforceSandbox) -> None:
    token = sandbox.issue_session()
    body = get(
        sandbox, f"{V}/query/", token, params={"q": "SELECT Id FROM Lead"},
        headers={"Sforce-Query-Options": "batchSize=5"},
    ).json()  # fmt: skip
    assert len(body["records"]) == 200


def test_aggregate_and_count_shapes(sandbox: SalesforceSandbox) -> None:
    token = sandbox.issue_session()
    won = [o for o in sandbox.records["Opportunity"] if o["IsWon"]]
    soql = "SELECT COUNT() FROM Opportunity WHERE IsWon = true"
    count = get(sandbox, f"{V}/query/", token, params={"q": soql}).json()
    assert count == {"totalSize": len(won), "done": True, "records": []}
    aggregate = get(sandbox, f"{V}/query/", token,
                    params={"q": "SELECT COUNT(Id), MAX(Amount) top FROM Opportunity "
                                 "WHERE IsWon = true"}).json()  # fmt: skip
    assert aggregate == {
        "totalSize": 1,
        "done": True,
        "records": [
            {
                "attributes": {"type": "AggregateResult"},
                "expr0": len(won),
                "top": max(o["Amount"] for o in won),
            }
        ],
    }


def test_simple_salesforce_query_all_reads_every_page(make_sandbox) -> None:
    sandbox = make_sandbox()
    session = requests.Session()
    sf = Salesforce(instance_url=sandbox.url, session_id=sandbox.issue_session(), session=session)
    result = sf.query_all(
        "SELECT Id FROM Case WHERE IsClosed = false",
        headers={"Sforce-Query-Options": "batchSize=200"},
        verify=sandbox.ca_file,
    )
    expected = sum(1 for c in sandbox.records["Case"] if not c["IsClosed"])
    assert result["totalSize"] == expected
    assert sf.api_usage["api-usage"].used == sandbox.api_calls() == 1 + (expected - 1) // 200


def test_faults_fire_the_armed_number_of_times(make_sandbox) -> None:
    sandbox = make_sandbox()
    token = sandbox.issue_session()
    sandbox.faults.add(f"{V}/query", status=429, retry_after=7, times=1)
    sandbox.faults.add(f"{V}/query", status=200, latency=0.1, times=1)
    throttled = get(sandbox, f"{V}/query/", token, params={"q": "SELECT Id FROM Lead LIMIT 1"})
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    started = time.monotonic()
    slow = get(sandbox, f"{V}/query/", token, params={"q": "SELECT Id FROM Lead LIMIT 1"})
    assert slow.status_code == 200 and time.monotonic() - started >= 0.1
    assert get(sandbox, f"{V}/query/", token, params={"q": "SELECT Id FROM Lead LIMIT 1"}).ok
    assert [r.method for r in sandbox.requests] == ["GET"] * 3


def test_the_certificate_is_not_trusted_without_the_ca(sandbox: SalesforceSandbox) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sandbox.url + f"{V}/limits", verify=True)


def test_a_ca_file_left_by_an_earlier_sandbox_is_replaced(make_sandbox, tmp_path) -> None:
    """A second ``syncd demo`` in one directory finds the first one's CA file: the new sandbox
    must write its own, or every handshake fails."""
    ca_file = tmp_path / "salesforce-ca.pem"
    first = make_sandbox(ca_file=ca_file)
    first.stop()
    second = make_sandbox(ca_file=ca_file)
    assert requests.get(second.url + f"{V}/limits", verify=str(ca_file)).status_code == 401
