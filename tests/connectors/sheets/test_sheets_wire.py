"""The wire: what the client sends, what the sandbox answers (checked against the discovery
document the client ships), auth through the token endpoint, errors, and the conformance kit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import googleapiclient
import httplib2
import pytest
from conftest import (
    cell_value,
    connector_for,
    dated_values,
    make_sandbox,
    month_window,
    query,
    request,
    rows_query,
    service_account_key,
    source_config,
)
from googleapiclient.errors import HttpError
from pydantic import ValidationError

import connectors.sheets
from connectors.sheets import SheetsConnector, SheetsSourceConfig
from connectors.sheets.data import serial
from connectors.sheets.errors import classify
from connectors.sheets.sandbox import SheetsSandbox
from syncd.abc import Observation, RequestFailed
from syncd.config import load_config
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.testing import ConnectorConformance

NOVEMBER = month_window(2026, 11)
DISCOVERY = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
)


def one(connector, req):
    with connector:
        (result,) = connector.collect([req])
    return result


# ---- the shapes, against the published discovery document -----------------------------------


def test_requests_follow_the_discovery_document(fresh_sandbox):
    document = json.loads(DISCOVERY.read_text())
    spreadsheets = document["resources"]["spreadsheets"]
    get_values = spreadsheets["resources"]["values"]["methods"]["get"]
    get_sheet = spreadsheets["methods"]["get"]
    assert get_values["path"] == "v4/spreadsheets/{spreadsheetId}/values/{range}"
    assert get_sheet["path"] == "v4/spreadsheets/{spreadsheetId}"
    assert "timeZone" in document["schemas"]["SpreadsheetProperties"]["properties"]
    assert set(document["schemas"]["ValueRange"]["properties"]) == {
        "range",
        "majorDimension",
        "values",
    }
    with connector_for(fresh_sandbox) as connector:
        connector.collect([request(rows_query("Daily", "A", "B", "sum"), NOVEMBER)])
    sheet_id = fresh_sandbox.workbook.spreadsheet_id
    (metadata,) = [r for r in fresh_sandbox.requests if r.path == f"/v4/spreadsheets/{sheet_id}"]
    (values,) = fresh_sandbox.requests_to("/values/")
    assert metadata.params["fields"] == "properties(title,timeZone)"
    assert values.path == f"/v4/spreadsheets/{sheet_id}/values/Daily%21A2%3AB"
    assert set(values.params) <= set(get_values["parameters"]) | set(document["parameters"])
    assert values.params["valueRenderOption"] == "UNFORMATTED_VALUE"
    assert values.params["dateTimeRenderOption"] == "SERIAL_NUMBER"
    assert values.params["majorDimension"] == "ROWS"
    for enum in ("valueRenderOption", "dateTimeRenderOption", "majorDimension"):
        assert values.params[enum] in get_values["parameters"][enum]["enum"]


def test_value_range_shape_trims_empty_cells_like_sheets(sheets_sandbox):
    status, body = sheets_sandbox.values(
        "Summary!A6:C9", {"valueRenderOption": "UNFORMATTED_VALUE"}
    )
    assert status == 200
    assert json.loads(body) == {
        "range": "Summary!A6:C9",
        "majorDimension": "ROWS",
        "values": [["Approved", True], ["Margin", "#DIV/0!"], ["Churn"]],
    }
    status, body = sheets_sandbox.values("Summary!D1:E3", {})
    assert json.loads(body) == {"range": "Summary!D1:E3", "majorDimension": "ROWS"}


def test_the_default_rendering_is_formatted_text(sheets_sandbox):
    nps = cell_value(sheets_sandbox, "Summary", 2, 2)
    _, body = sheets_sandbox.values("Summary!B2", {})
    assert json.loads(body)["values"] == [[str(nps)]]
    _, body = sheets_sandbox.values("Survey!A2", {"valueRenderOption": "UNFORMATTED_VALUE"})
    assert json.loads(body)["values"] == [[serial(date(2025, 1, 1))]]


def test_an_open_range_reports_the_sheets_size_and_quotes_names(sheets_sandbox):
    _, body = sheets_sandbox.values("'Q4 survey'!A2:B", {"valueRenderOption": "UNFORMATTED_VALUE"})
    parsed = json.loads(body)
    assert parsed["range"] == "'Q4 survey'!A2:B1000"
    assert parsed["values"] == [[serial(date(2026, 10, 15)), 4.25]]


# ---- auth -----------------------------------------------------------------------------------


def test_one_token_serves_every_call(fresh_sandbox):
    requests = [request(query(cell=f"Summary!B{row}"), NOVEMBER) for row in (2, 3, 4)]
    with connector_for(fresh_sandbox) as connector:
        results = connector.collect(requests)
    assert all(isinstance(r, Observation) for r in results)
    (token,) = fresh_sandbox.requests_to("/token")
    assert token.method == "POST"
    assert all(
        r.authorization and r.authorization.startswith("Bearer ya29.sandbox-")
        for r in fresh_sandbox.requests_to("/values/")
    )


def test_a_key_the_token_endpoint_refuses_is_an_auth_error_without_the_key(fresh_sandbox, tmp_path):
    stranger = SheetsSandbox()
    stranger.url = fresh_sandbox.url  # a key for the same token endpoint, not accepted there
    info = stranger.service_account_info()
    secret = info["private_key"].splitlines()[1]
    key = tmp_path / "stranger.json"
    key.write_text(json.dumps(info))
    connector = connector_for(
        fresh_sandbox, auth={"method": "service_account", "key_file": str(key)}
    )
    result = one(connector, request(query(cell="Summary!B2"), NOVEMBER))
    assert isinstance(result, RequestFailed) and isinstance(result.error, AuthError)
    assert "could not obtain an access token" in str(result.error)
    assert secret not in str(result.error)
    assert fresh_sandbox.requests_to("/values/") == []


def test_a_missing_key_file_is_an_auth_error(sheets_sandbox, tmp_path):
    connector = connector_for(
        sheets_sandbox, auth={"method": "service_account", "key_file": str(tmp_path / "no.json")}
    )
    result = one(connector, request(query(cell="Summary!B2"), NOVEMBER))
    assert isinstance(result.error, AuthError)
    assert "does not exist" in str(result.error)


def test_a_spreadsheet_not_shared_is_an_auth_error_with_the_fix(tmp_path):
    sandbox = make_sandbox(tmp_path / "key.json", shared=False)
    try:
        result = one(connector_for(sandbox), request(query(cell="Summary!B2"), NOVEMBER))
    finally:
        sandbox.stop()
    assert isinstance(result.error, AuthError)
    assert "403" in str(result.error) and "PERMISSION_DENIED" in str(result.error)
    assert "share the spreadsheet with the service account" in str(result.error)


def test_an_unknown_spreadsheet_fails_the_request_with_the_fix(sheets_sandbox):
    result = one(
        connector_for(sheets_sandbox, spreadsheet="1NoSuchSpreadsheet000000"),
        request(query(cell="Summary!B2"), NOVEMBER),
    )
    assert isinstance(result.error, QueryError)
    assert "404" in str(result.error) and "check the spreadsheet id" in str(result.error)


def test_anonymous_auth_against_a_sandbox(tmp_path):
    sandbox = make_sandbox(tmp_path / "key.json", anonymous=True)
    try:
        connector = connector_for(sandbox, auth={"method": "anonymous"})
        result = one(connector, request(query(cell="Summary!B2"), NOVEMBER))
        assert result.value == cell_value(sandbox, "Summary", 2, 2)
        assert sandbox.requests_to("/token") == []
    finally:
        sandbox.stop()


def test_check_names_the_spreadsheet_zone_and_account(sheets_sandbox):
    with connector_for(sheets_sandbox) as connector:
        said = connector.check()
    assert said == (
        f"read spreadsheet 'OKR numbers (sandbox)' ({sheets_sandbox.workbook.spreadsheet_id}), "
        f"time zone Europe/Zurich, as {sheets_sandbox.client_email}"
    )


# ---- the error table through the real client ------------------------------------------------


def test_resource_exhausted_is_retried_and_counted(fresh_sandbox):
    fresh_sandbox.faults.add("/values/", status=429, times=2)
    with connector_for(fresh_sandbox) as connector:
        (result,) = connector.collect([request(query(cell="Summary!B2"), NOVEMBER)])
        retries = connector.context.stats.retries
    assert result.value == cell_value(fresh_sandbox, "Summary", 2, 2)
    assert retries == 2


def test_the_per_minute_read_quota_answers_resource_exhausted(tmp_path):
    sandbox = make_sandbox(tmp_path / "key.json")
    sandbox._budget.limit = 2
    try:
        requests = [request(query(cell=f"Summary!B{row}"), NOVEMBER) for row in (2, 3, 4)]
        with connector_for(sandbox) as connector:
            results = connector.collect(requests)
    finally:
        sandbox.stop()
    assert [type(r) for r in results] == [Observation, Observation, RequestFailed]
    assert isinstance(results[2].error, RateLimited)
    assert "429" in str(results[2].error) and "RESOURCE_EXHAUSTED" in str(results[2].error)


@pytest.mark.parametrize(
    ("fault", "expected", "words"),
    [
        ({"status": 503}, TransientSourceError, "503"),
        (
            {"status": 200, "body": "<html><body>Sign in</body></html>"},
            TransientSourceError,
            "HTML",
        ),
        ({"status": None, "truncate": True}, TransientSourceError, "Google Sheets"),
        ({"status": 400}, QueryError, "INVALID_ARGUMENT"),
    ],
)
def test_faults_map_through_the_shared_table(fresh_sandbox, fault, expected, words):
    fresh_sandbox.faults.add("/values/", times=20, **fault)
    result = one(connector_for(fresh_sandbox), request(query(cell="Summary!B2"), NOVEMBER))
    assert isinstance(result, RequestFailed)
    assert isinstance(result.error, expected), result.error
    assert words in str(result.error)


def test_classify_reads_status_headers_and_body():
    response = httplib2.Response({"status": "429", "retry-after": "7"})
    body = b'{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}'
    error = classify(
        HttpError(response, body, uri="https://sheets.googleapis.com/v4/spreadsheets/x/values/A1"),
        source="survey",
    )
    assert isinstance(error, RateLimited) and error.retry_after == 7
    assert str(error) == (
        "survey: Google Sheets answered 429 to /v4/spreadsheets/x/values/A1 "
        "(RESOURCE_EXHAUSTED: Quota exceeded)"
    )
    assert classify(ValueError("not the client's"), source="survey") is None


# ---- config ---------------------------------------------------------------------------------


def test_a_spreadsheet_url_gives_its_id():
    config = SheetsSourceConfig.model_validate(
        {
            "type": "sheets",
            "spreadsheet": "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOp_qr-st/edit#gid=0",
        }
    )
    assert config.spreadsheet == "1AbCdEfGhIjKlMnOp_qr-st"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"spreadsheet": "x y"}, "is not a spreadsheet id"),
        ({"spreadsheet": "1AbCdEfGhIjKl", "timezone": "Mars/Base"}, "unknown time zone"),
        ({"spreadsheet": "1AbCdEfGhIjKl", "endpoint": "http://sheets.example"}, "loopback"),
        ({"spreadsheet": "1AbCdEfGhIjKl", "auth": {"method": "anonymous"}}, "only for a sandbox"),
        ({"spreadsheet": "1AbCdEfGhIjKl", "cell": "A1"}, "Extra inputs are not permitted"),
    ],
)
def test_config_mistakes_are_named(fields, words):
    with pytest.raises(ValidationError) as raised:
        SheetsSourceConfig.model_validate({"type": "sheets", **fields})
    assert words in str(raised.value)


def test_sample_config_loads():
    sample = Path(connectors.sheets.__file__).with_name("sample.yaml")
    config = load_config(sample, environ={"SHEETS_KEY": "{}"}).config
    assert {source.type for source in config.sources.values()} == {"sheets"}
    assert len(config.metrics) >= 4


# ---- the conformance kit --------------------------------------------------------------------

SURVEY_NOVEMBER = rows_query("Survey", "A", "C", "latest")
KEY, _ = service_account_key()
KEY_LINE = KEY["private_key"].splitlines()[2]


class TestSheetsConformance(ConnectorConformance):
    connector_name = "sheets"
    secret_values = (KEY_LINE,)

    @pytest.fixture
    def sandbox(self, tmp_path):
        sandbox = make_sandbox(tmp_path / "key.json")
        yield sandbox
        sandbox.stop()

    @pytest.fixture
    def source_config(self, sandbox) -> dict[str, Any]:
        # The key's text is the secret: it must never show in the config, logs or errors.
        key = json.dumps(KEY | {"token_uri": f"{sandbox.url}/token"})
        return source_config(sandbox) | {"auth": {"method": "service_account", "key": key}}

    @pytest.fixture
    def query(self) -> dict[str, Any]:
        return {"rows": {"sheet": "Daily", "dates": "A", "values": "B", "pick": "sum"}}

    @pytest.fixture
    def make_connector(self, source_config, context):
        made: list[SheetsConnector] = []

        def make(**overrides: Any) -> SheetsConnector:
            connector = SheetsConnector(
                SheetsSourceConfig.model_validate(source_config | overrides), context
            )
            made.append(connector)
            return connector

        yield make
        for connector in made:
            connector.close()

    @pytest.fixture
    def windowed_requests(self, sandbox, context):
        score = next(v for d, v in dated_values(sandbox, "Survey", 3) if d == date(2026, 11, 1))
        signups = dated_values(sandbox, "Daily", 2)
        pairs = [(request(SURVEY_NOVEMBER, NOVEMBER, context.source), float(score))]
        for month in (10, 11):
            total = sum(v for d, v in signups if d.month == month)
            q = rows_query("Daily", "A", "B", "sum")
            pairs.append((request(q, month_window(2026, month), context.source), float(total)))
        return pairs

    @pytest.fixture
    def arm_fault(self, sandbox):
        def arm(*, status=None, retry_after=None, html=False, truncate=False, times=1) -> None:
            sandbox.faults.clear()
            if times == 0:
                return
            if html:
                page = "<!DOCTYPE html><html><body>Sign in - Google Accounts</body></html>"
                sandbox.faults.add("/values/", status=200, body=page, times=times)
            elif truncate:
                sandbox.faults.add("/values/", status=None, truncate=True, times=times)
            else:
                sandbox.faults.add("/values/", status=status, retry_after=retry_after, times=times)

        yield arm
        sandbox.faults.clear()

    @pytest.fixture
    def arm_value(self, sandbox):
        cells = next(s for s in sandbox.workbook.sheets if s.title == "Survey").cells
        (row,) = [r for (r, c), v in cells.items() if c == 1 and v == serial(date(2026, 11, 1))]

        def arm(raw: str) -> None:
            sandbox.clear_overrides()
            sandbox.override(f"Survey!C{row}", raw)

        yield arm
        sandbox.clear_overrides()

    @pytest.fixture
    def failure_cases(self, make_connector, sandbox, context, tmp_path):
        first = request(SURVEY_NOVEMBER, NOVEMBER, context.source)

        def limited():
            sandbox.faults.clear()
            sandbox.faults.add("/values/", status=429, times=10, retry_after=3600)
            return make_connector().collect([first])

        def unavailable():
            sandbox.faults.clear()
            sandbox.faults.add("/values/", status=503, times=10)
            return make_connector().collect([first])

        missing = {"method": "service_account", "key_file": str(tmp_path / "missing.json")}
        yield {
            AuthError: lambda: make_connector(auth=missing).collect([first]),
            QueryError: lambda: make_connector().collect(
                [request(query(cell="Summary!B5"), NOVEMBER, context.source)]
            ),
            RateLimited: limited,
            TransientSourceError: unavailable,
        }
        sandbox.faults.clear()
