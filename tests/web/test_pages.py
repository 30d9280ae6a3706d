"""The server-rendered pages: the numbers are in the HTML itself, without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Blueprint
from flask.testing import FlaskClient

from syncd.config import LoadedConfig
from syncd.errors import StoreError
from syncd.observe import Telemetry, create_app
from syncd.store import Store
from syncd.web import create_dashboard_app, dashboard_blueprint, load_dashboard_data
from tests.web.conftest import EXPECTED_SHARE, NOW
from tests.web.helpers import dashboard_app, kr_markup


@pytest.fixture
def client(demo_config: LoadedConfig, store: Store, store_path: Path) -> FlaskClient:
    return dashboard_app(demo_config, store_path).test_client()


@pytest.fixture
def page(client: FlaskClient) -> str:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


def test_every_kr_is_on_the_page_under_its_team_and_cycle(
    page: str, demo_config: LoadedConfig
) -> None:
    titles = re.findall(
        r'<h2 class="group-title"><span class="team">([^<]+)</span> '
        r'<span class="cycle">([^<]+)</span>',
        page,
    )
    assert titles == [
        ("customer-success", "2026-Q4"),
        ("delivery", "2026-Q4"),
        ("growth", "2026-Q4"),
        ("sales", "2026-Q4"),
        ("support", "2026-Q4"),
        ("web", "2026-Q4"),
    ]
    for _, kr in demo_config.config.key_results():
        assert f'data-kr="{kr.id}"' in page
    assert page.count('<li class="kr ') == 20
    assert page.count("<svg") == 20


def test_kr_shows_value_range_bar_with_pace_marker_forecast_and_freshness(page: str) -> None:
    booking = kr_markup(page, "booking-5d")
    assert '<span class="kr-value">55 %</span>' in booking
    assert '<span class="pill status-on_track">on track</span>' in booking
    assert '<dd class="kr-range">40 % → 70 %</dd>' in booking
    assert '<dd class="kr-score">0.50</dd>' in booking
    assert '<dd class="kr-forecast">67.61 % (score 0.92)</dd>' in booking
    assert 'class="bar-fill" style="width: 50.0%"' in booking
    marker = f"{round(EXPECTED_SHARE * 100, 2)}%"
    assert marker == "55.93%"
    assert f'class="bar-marker" style="left: {marker}"' in booking
    assert "updated 12 min ago from web (ga4)" in booking


def test_maintain_stale_and_unstarted_krs(page: str) -> None:
    backlog = kr_markup(page, "ticket-backlog")
    assert '<span class="kr-value">140 tickets</span>' in backlog
    assert '<dd class="kr-range">≤ 150 tickets</dd>' in backlog
    assert 'style="width: 66.67%"' in backlog
    assert '<span class="bar-label">in band</span>' in backlog
    assert "updated 30 min ago from support (zendesk)" in backlog

    revenue = kr_markup(page, "revenue-per-customer")
    assert '<span class="kr-value">CHF 1,350</span>' in revenue
    assert '<span class="pill status-stale">stale</span>' in revenue
    assert '<dd class="kr-range">CHF 1,300 → 1,560</dd>' in revenue
    assert "updated 3 days ago from warehouse (sql)" in revenue

    nps = kr_markup(page, "nps")
    assert '<span class="kr-value">-</span>' in nps
    assert '<span class="pill status-not_started">not started</span>' in nps
    assert "no data yet" in nps


def test_source_strip_shows_failures(page: str) -> None:
    start = page.index('data-source="support"')
    support = page[start : page.index("</li>", start)]
    assert "source-failing" in page[page.rindex("<li", 0, start) : start]
    assert "partial 5 min ago" in support
    assert "last success 2026-11-21 09:25" in support
    assert "last error 2026-11-21 10:25" in support
    assert "2 of 5 requests timed out" in support
    start = page.index('data-source="web"')
    assert "ok 12 min ago" in page[start : page.index("</li>", start)]


def test_page_needs_no_javascript_and_nothing_from_the_network(page: str) -> None:
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_kr_page_lists_its_history_newest_first(client: FlaskClient) -> None:
    answer = client.get("/kr/booking-5d")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    values = re.findall(r'<td class="num">([^<]+ %)</td>', body)
    assert values == ["55 %", "52 %", "49 %", "46 %", "43 %"]
    # The newest window, 18 Nov 22:00 → 19 Nov 22:00 UTC, in Zurich time (CET).
    assert "2026-11-18 23:00 → 2026-11-19 23:00" in body
    assert '<dd class="kr-points">5</dd>' in html
    assert html.count("<svg") == 1


def test_unknown_kr_page_is_404(client: FlaskClient) -> None:
    answer = client.get("/kr/nope")
    assert answer.status_code == 404
    assert "no key result &#39;nope&#39; is configured" in answer.get_data(as_text=True)


def test_stylesheet_is_served(client: FlaskClient) -> None:
    answer = client.get("/static/dashboard/dashboard.css")
    assert answer.status_code == 200
    assert ".bar-marker" in answer.get_data(as_text=True)
    answer.close()


def test_store_down_answers_503(demo_config: LoadedConfig) -> None:
    def broken() -> Store:
        raise StoreError("store sqlite:///gone.db: cannot connect")

    client = create_dashboard_app(demo_config, broken, token=None, clock=lambda: NOW).test_client()
    html = client.get("/")
    assert html.status_code == 503
    assert "cannot connect" in html.get_data(as_text=True)
    api = client.get("/api/v1/objectives")
    assert api.status_code == 503
    assert api.get_json()["error"] == "store unavailable"


def test_blueprint_joins_the_status_listener(demo_config: LoadedConfig, store: Store) -> None:
    blueprint: Blueprint = dashboard_blueprint(
        lambda **kw: load_dashboard_data(demo_config, store, NOW, **kw)
    )
    client = create_app(Telemetry(), live=[], ready=[], blueprints=[blueprint]).test_client()
    assert client.get("/livez").status_code == 200
    krs = client.get("/api/v1/key-results").get_json()["key_results"]
    assert len(krs) == 20
    assert "55 %" in kr_markup(client.get("/").get_data(as_text=True), "booking-5d")
