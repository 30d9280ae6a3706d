"""Source settings, auth methods (service account through the sandbox's token endpoint)."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ga4_helpers import failure, fast_context, request, window
from pydantic import ValidationError

import connectors.ga4
from connectors.ga4 import Ga4Connector, Ga4Query, Ga4SourceConfig
from connectors.ga4.config import ServiceAccountAuth
from connectors.ga4.sandbox import Ga4Sandbox
from syncd.abc import Observation
from syncd.config.loader import load_config
from syncd.errors import AuthError

OCT = window(date(2026, 10, 1), date(2026, 11, 1))


def service_account_key(token_uri: str) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "syncd-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "syncd@syncd-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


def test_sample_config_loads():
    sample = Path(connectors.ga4.__file__).with_name("sample.yaml")
    config = load_config(sample, read_secrets=False).config
    web = config.sources["web"]
    assert isinstance(web, Ga4SourceConfig)
    assert isinstance(web.effective_auth, ServiceAccountAuth)
    blog = config.metrics["blog_organic_sessions"].query
    assert isinstance(blog, Ga4Query) and blog.metric == "sessions"
    assert config.metrics["pages_landed_on"].query.aggregate == "count"


@pytest.mark.parametrize("key_source", ["key", "key_file", "credentials"])
def test_service_account_key_gets_a_token_from_the_token_uri(tmp_path, key_source):
    email = "syncd@syncd-test.iam.gserviceaccount.com"
    with Ga4Sandbox(access_token="ya29.other", service_accounts=(email,)) as sandbox:
        info = service_account_key(f"{sandbox.url}/token")
        text = json.dumps(info)
        path = tmp_path / "ga4.json"
        path.write_text(text)
        auth = {
            "key": {"auth": {"method": "service_account", "key": text}},
            "key_file": {"auth": {"method": "service_account", "key_file": str(path)}},
            "credentials": {"credentials": text},
        }[key_source]
        config = Ga4SourceConfig.model_validate(
            {"type": "ga4", "property": "123456789", "endpoint": sandbox.url, **auth}
        )
        assert info["private_key"] not in repr(config)
        with Ga4Connector(config, fast_context()) as connector:
            (result,) = connector.collect([request("sessions", OCT)])
        assert isinstance(result, Observation)
        # The client signs its own JWT with the key (no token endpoint round trip).
        bearer = sandbox.calls()[0].headers["authorization"].removeprefix("Bearer ")
        payload = bearer.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["iss"] == email
        assert [r for r in sandbox.requests if r.path == "/token"] == []


def test_broken_key_is_an_auth_error_without_the_key(tmp_path):
    secret = '{"type": "service_account", "private_key": "s3cr3t-pem"'
    config = Ga4SourceConfig.model_validate({"type": "ga4", "property": "1", "credentials": secret})
    error = failure(Ga4Connector(config, fast_context()).collect([request("sessions", OCT)]))
    assert isinstance(error, AuthError)
    assert "s3cr3t" not in str(error)
    missing = Ga4SourceConfig.model_validate(
        {
            "type": "ga4",
            "property": "1",
            "auth": {"method": "service_account", "key_file": str(tmp_path / "no.json")},
        }
    )
    error = failure(Ga4Connector(missing, fast_context()).collect([request("sessions", OCT)]))
    assert isinstance(error, AuthError) and "does not exist" in str(error)


def test_application_default_credentials_missing_is_an_auth_error(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    config = Ga4SourceConfig.model_validate({"type": "ga4", "property": "1"})
    error = failure(Ga4Connector(config, fast_context()).collect([request("sessions", OCT)]))
    assert isinstance(error, AuthError) and "application default credentials" in str(error)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"auth": {"method": "anonymous"}}, "only for a sandbox"),
        (
            {"auth": {"method": "anonymous"}, "endpoint": "https://analyticsdata.googleapis.com"},
            "only for a sandbox",
        ),
        ({"endpoint": "http://ga4-proxy.internal:8080"}, "loopback"),
        ({"property": "UA-1234-1"}, "not a GA4 property id"),
        ({"credentials": "{}", "auth": {"method": "application_default"}}, "not both"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"auth": {"method": "service_account"}}, "exactly one of"),
    ],
)
def test_invalid_settings_are_explained(raw, message):
    with pytest.raises(ValidationError, match=message):
        Ga4SourceConfig.model_validate({"type": "ga4", "property": "123", **raw})


def test_property_ids_are_normalised():
    assert (
        Ga4SourceConfig.model_validate({"type": "ga4", "property": "properties/42"}).property
        == "42"
    )
    assert Ga4SourceConfig.model_validate({"type": "ga4", "property": 42}).property == "42"


@pytest.mark.parametrize(
    "bad",
    [
        {"metric": "sessions", "filter": {"landingPage": {"starts": "/"}}},
        {"metric": "sessions", "filter": {"landingPage": {"regex": "("}}},
        {"metric": "sessions", "filter": {"or": []}},
        {"metric": "sessions", "filter": {"date": {"between": [1]}}},
        {"metric": "bad name"},
        {"metric": "sessions", "dimensions": ["date", "date"]},
    ],
)
def test_invalid_queries_are_refused_at_load(bad):
    with pytest.raises(ValidationError):
        Ga4Query.model_validate(bad)
