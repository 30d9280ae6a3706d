"""The connector kit's contract checks, with OAuth refresh-token auth against the sandbox."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from ga4_helpers import PROPERTY, request, window

from connectors.ga4 import Ga4Connector, Ga4SourceConfig
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.errors import AuthError, QueryError, RateLimited, TransientSourceError
from syncd.testing import ConnectorConformance

REFRESH_TOKEN = "1//rt-s3cr3t-refresh"
CLIENT_SECRET = "cs-s3cr3t-client"
ACCESS_TOKEN = "ya29.at-s3cr3t-access"


class TestGa4Conformance(ConnectorConformance):
    connector_name = "ga4"
    secret_values = (REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN)

    @pytest.fixture
    def oauth_sandbox(self):
        with Ga4Sandbox(access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN) as sandbox:
            yield sandbox

    @pytest.fixture
    def source_config(self, oauth_sandbox) -> dict[str, Any]:
        return {
            "type": "ga4",
            "property": PROPERTY,
            "endpoint": oauth_sandbox.url,
            "auth": {
                "method": "oauth",
                "client_id": "syncd-test.apps.googleusercontent.com",
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
                "token_uri": f"{oauth_sandbox.url}/token",
            },
        }

    @pytest.fixture
    def query(self):
        return {"metric": "sessions", "filter": {"landingPage": {"begins_with": "/blog/"}}}

    @pytest.fixture
    def make_connector(self, source_config, context):
        made: list[Ga4Connector] = []

        def make(**overrides: Any) -> Ga4Connector:
            raw = {**source_config, **overrides}
            connector = Ga4Connector(Ga4SourceConfig.model_validate(raw), context)
            connector.sleep = lambda seconds: None
            made.append(connector)
            return connector

        yield make
        for connector in made:
            connector.close()

    @pytest.fixture
    def windowed_requests(self, context, oauth_sandbox):
        def total(first: date, last: date) -> float:
            return float(sum(f.sessions for f in oauth_sandbox.facts if first <= f.day <= last))

        spans = [
            (date(2026, 10, 25), date(2026, 10, 26)),  # the 25-hour day
            (date(2026, 10, 1), date(2026, 11, 1)),
            (date(2026, 3, 29), date(2026, 3, 30)),  # the 23-hour day
        ]
        return [
            (
                request("sessions", window(a, b), source=context.source),
                total(a, b - timedelta(days=1)),
            )
            for a, b in spans
        ]

    @pytest.fixture
    def arm_fault(self, oauth_sandbox):
        def arm(*, status=None, retry_after=None, html=False, truncate=False, times=1) -> None:
            oauth_sandbox.faults.clear()
            if times == 0:
                return
            if html:
                page = "<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>"
                oauth_sandbox.faults.add("/v1beta/", status=200, body=page, times=times)
            elif truncate:
                oauth_sandbox.faults.add("/v1beta/", status=None, truncate=True, times=times)
            else:
                oauth_sandbox.faults.add(
                    "/v1beta/", status=status, retry_after=retry_after, times=times
                )

        return arm

    @pytest.fixture
    def arm_value(self, oauth_sandbox, windowed_requests):
        first = windowed_requests[0][0]

        def arm(raw: str) -> None:
            oauth_sandbox.override_value(
                raw, metric=first.query.metric, start_date=first.days.first
            )

        return arm

    @pytest.fixture
    def failure_cases(self, make_connector, source_config, oauth_sandbox, context):
        oct_ = window(date(2026, 10, 1), date(2026, 11, 1))
        one = [request("sessions", oct_, source=context.source)]
        bad_auth = {**source_config["auth"], "refresh_token": "1//wrong-token"}

        def limited():
            oauth_sandbox.faults.add(":runReport", status=429, times=1, retry_after=3600)
            return make_connector().collect(one)

        def unavailable():
            oauth_sandbox.faults.add(":runReport", status=503, times=5)
            return make_connector().collect(one)

        return {
            AuthError: lambda: make_connector(auth=bad_auth).collect(one),
            QueryError: lambda: make_connector().collect(
                [request("sesions", oct_, source=context.source)]
            ),
            RateLimited: limited,
            TransientSourceError: unavailable,
        }
