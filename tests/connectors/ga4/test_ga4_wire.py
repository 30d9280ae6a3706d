"""The sandbox's wire shapes against the Data API discovery document, and its report rules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import googleapiclient
import jsonschema
import pytest
import requests as http
from ga4_helpers import request, window

DISCOVERY = json.loads(
    (
        Path(googleapiclient.__file__).parent
        / "discovery_cache/documents/analyticsdata.v1beta.json"
    ).read_text()
)


def _convert(prop: dict) -> dict:
    if "$ref" in prop:
        return {"$ref": f"#/definitions/{prop['$ref']}"}
    kind = prop.get("type")
    if "enum" in prop:  # names, or their numbers with enum-encoding=int
        return {
            "anyOf": [
                {"enum": prop["enum"]},
                {"type": "integer", "minimum": 0, "maximum": len(prop["enum"]) + 8},
            ]
        }
    if kind == "string" and prop.get("format") == "int64":
        return {"type": "string", "pattern": r"^-?\d+$"}
    if kind == "array":
        return {"type": "array", "items": _convert(prop["items"])}
    if kind == "object":
        out: dict = {"type": "object"}
        if "properties" in prop:
            out["properties"] = {k: _convert(v) for k, v in prop["properties"].items()}
            out["additionalProperties"] = False
        return out
    return {
        "type": {"integer": "integer", "number": "number", "boolean": "boolean"}.get(kind, "string")
    }


DEFINITIONS = {
    name: _convert({**schema, "type": "object"}) for name, schema in DISCOVERY["schemas"].items()
}


def validate(instance: dict, schema: str) -> None:
    jsonschema.validate(instance, {"$ref": f"#/definitions/{schema}", "definitions": DEFINITIONS})


def test_the_discovery_document_names_our_paths():
    methods = DISCOVERY["resources"]["properties"]["methods"]
    assert methods["runReport"]["flatPath"] == "v1beta/properties/{propertiesId}:runReport"
    assert (
        methods["batchRunReports"]["flatPath"] == "v1beta/properties/{propertiesId}:batchRunReports"
    )
    assert methods["getMetadata"]["flatPath"] == "v1beta/properties/{propertiesId}/metadata"
    assert methods["getMetadata"]["httpMethod"] == "GET"


def test_the_clients_requests_fit_the_discovery_schemas(sandbox, make_connector):
    oct_ = window(date(2026, 10, 1), date(2026, 11, 1))
    sep = window(date(2026, 9, 1), date(2026, 10, 1))
    requests = [
        request("sessions", oct_),
        request("sessions", sep),
        request(
            "sessions",
            oct_,
            dimensions=("date",),
            aggregate="maximum",
            filter={
                "or": [{"deviceCategory": ["mobile"]}, {"date": {"between": [20261001, 20261010]}}],
                "not": {"landingPage": {"regex": "^/blog"}},
            },
        ),
        request("newUsers", oct_, filter={"date": {"gt": 20261002.5}}),
        request("sesions", oct_),
    ]
    make_connector().collect(requests)
    kinds = {c.path.rsplit("/", 1)[-1].split(":")[-1] for c in sandbox.calls()}
    assert kinds == {"batchRunReports", "metadata"}  # refused, diagnosed, the rest again
    for call in sandbox.calls():
        if call.path.endswith(":batchRunReports"):
            validate(call.body, "BatchRunReportsRequest")
            assert all(isinstance(r["dateRanges"], list) for r in call.body["requests"])
        elif call.path.endswith(":runReport"):
            validate(call.body, "RunReportRequest")
        assert "enum-encoding=int" in call.query


@pytest.mark.parametrize("enums", ["int", "names"])
def test_responses_fit_the_discovery_schemas(sandbox, enums):
    params = {"$alt": "json;enum-encoding=int"} if enums == "int" else {}
    base = f"{sandbox.url}/v1beta/properties/123456789"
    report = {
        "dimensions": [{"name": "landingPage"}],
        "metrics": [{"name": "sessions"}, {"name": "engagementRate"}],
        "dateRanges": [
            {"startDate": "2026-10-01", "endDate": "2026-10-07"},
            {"startDate": "2026-10-08", "endDate": "2026-10-14"},
        ],
        "metricAggregations": ["TOTAL", "MAXIMUM", "MINIMUM"],
        "orderBys": [{"metric": {"metricName": "sessions"}, "desc": True}],
        "limit": "3",
        "offset": "1",
        "returnPropertyQuota": True,
    }
    one = http.post(f"{base}:runReport", params=params, json=report, timeout=5)
    assert one.status_code == 200
    validate(one.json(), "RunReportResponse")
    body = one.json()
    assert [h["name"] for h in body["dimensionHeaders"]] == ["landingPage", "dateRange"]
    assert body["metricHeaders"][0]["type"] == (1 if enums == "int" else "TYPE_INTEGER")
    assert body["rowCount"] == 12 and len(body["rows"]) == 3  # 6 pages × 2 ranges, offset 1
    sessions = [int(r["metricValues"][0]["value"]) for r in body["rows"]]
    assert sessions == sorted(sessions, reverse=True)
    assert all(isinstance(r["metricValues"][0]["value"], str) for r in body["rows"])
    assert [t["dimensionValues"][0]["value"] for t in body["totals"]] == ["RESERVED_TOTAL"] * 2
    assert set(body["propertyQuota"]) == {
        "tokensPerDay",
        "tokensPerHour",
        "concurrentRequests",
        "serverErrorsPerProjectPerHour",
        "potentiallyThresholdedRequestsPerHour",
        "tokensPerProjectPerHour",
    }
    batch = http.post(
        f"{base}:batchRunReports", params=params, json={"requests": [report, report]}, timeout=5
    )
    validate(batch.json(), "BatchRunReportsResponse")
    metadata = http.get(f"{base}/metadata", params=params, timeout=5)
    validate(metadata.json(), "Metadata")
    assert "sessions" in {m["apiName"] for m in metadata.json()["metrics"]}


def test_errors_have_googles_error_body(sandbox):
    base = f"{sandbox.url}/v1beta/properties/123456789"
    bad = http.post(
        f"{base}:runReport",
        json={
            "metrics": [{"name": "nope"}],
            "dateRanges": [{"startDate": "2026-10-01", "endDate": "today"}],
        },
        timeout=5,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "nope is not a valid metric" in bad.json()["error"]["message"]
    sandbox.faults.add(":runReport", status=429, retry_after=7)
    limited = http.post(f"{base}:runReport", json={}, timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["error"] == {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
    }
    too_many = http.post(
        f"{base}:batchRunReports",
        json={
            "requests": [
                {
                    "metrics": [{"name": "sessions"}],
                    "dateRanges": [{"startDate": "yesterday", "endDate": "today"}],
                }
            ]
            * 6
        },
        timeout=5,
    )
    assert too_many.status_code == 400
