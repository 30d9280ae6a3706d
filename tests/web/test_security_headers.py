"""Every answer of the dashboard, the API, the probes and /metrics carries the security
headers, and the pages still need nothing the policy forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from syncd.config import LoadedConfig
from syncd.observe import HealthCheck, Telemetry, create_app
from syncd.store import Store
from syncd.web import dashboard_blueprint, load_dashboard_data
from tests.web.conftest import NOW
from tests.web.helpers import dashboard_app

TOKEN = "dash-token-5a0c2e"
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
DASHBOARD_ROUTES = [
    ("/", 200),
    ("/kr/booking-5d", 200),
    ("/kr/no-such-kr", 404),
    ("/api/v1/objectives", 200),
    ("/api/v1/key-results/booking-5d/history", 200),
    ("/api/v1/sources", 200),
    ("/static/dashboard/dashboard.css", 200),
    ("/nowhere", 404),
]


def _assert_secure(headers, where: str) -> None:
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{where}: {name}"
    directives = headers["Content-Security-Policy"].split("; ")
    policy = dict(directive.partition(" ")[::2] for directive in directives)
    assert policy["default-src"] == "'none'", where
    assert "script-src" not in policy, where  # no script, inline or not
    assert policy["frame-ancestors"] == "'none'", where
    assert policy["style-src"] == "'self' 'unsafe-inline'", where


@pytest.fixture
def daemon_app(demo_config: LoadedConfig, store: Store) -> Flask:
    """The daemon's listener: probes, /metrics and the dashboard blueprint, with a token."""
    return create_app(
        Telemetry(),
        live=[HealthCheck("scheduler", lambda: True)],
        ready=[HealthCheck("store", lambda: "down")],
        metrics_token=TOKEN,
        blueprints=[
            dashboard_blueprint(
                lambda **kw: load_dashboard_data(demo_config, store, NOW, **kw), token=TOKEN
            )
        ],
    )


def test_every_answer_of_the_daemons_listener_is_secured(daemon_app):
    client = daemon_app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers = {
        "/livez": client.get("/livez"),
        "/readyz (503)": client.get("/readyz"),
        "/metrics": client.get("/metrics", headers=auth),
        "/metrics (401)": client.get("/metrics"),
        "/ (401)": client.get("/"),
    }
    for path, expected in DASHBOARD_ROUTES:
        answers[path] = client.get(path, headers=auth)
        assert answers[path].status_code == expected, path
    assert answers["/readyz (503)"].status_code == 503
    assert answers["/metrics (401)"].status_code == 401
    for where, answer in answers.items():
        _assert_secure(answer.headers, where)


def test_every_answer_of_syncd_serve_is_secured(demo_config, store, store_path):
    client = dashboard_app(demo_config, store_path).test_client()
    for path, expected in DASHBOARD_ROUTES:
        answer = client.get(path)
        assert answer.status_code == expected, path
        _assert_secure(answer.headers, path)


def test_a_store_failure_answer_is_secured_too(demo_config, tmp_path: Path):
    broken = tmp_path / "missing" / "dir"
    broken.parent.mkdir()
    broken.write_text("not a directory")  # the store's parent is a file: it cannot open
    client = dashboard_app(demo_config, broken / "store.db").test_client()
    for path in ("/", "/api/v1/objectives"):
        answer = client.get(path)
        assert answer.status_code == 503, path
        _assert_secure(answer.headers, path)


def test_the_pages_need_no_script_and_only_their_own_stylesheet(demo_config, store, store_path):
    client = dashboard_app(demo_config, store_path).test_client()
    for path in ("/", "/kr/booking-5d"):
        page = client.get(path).get_data(as_text=True)
        assert "<svg" in page, path  # the charts are inline SVG
        assert re.findall(r"<script\b[^>]*\bsrc=", page) == [], path
        assert re.findall(r"\bon[a-z]+=\"", page) == [], path  # no inline event handlers
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        assert sheets == ["/static/dashboard/dashboard.css"], path
        assert re.findall(r'(?:src|href)="(?:https?:)?//', page) == [], path  # nothing remote
