"""What a team lead reads on the dashboard: the summary band, filters with stable URLs, owners
and check-ins, the week's change, objective bars, the alignment tree, check-in sources, charts
with even ticks and a today line, and signing in from a browser.

Numbers come from the hand-made store in conftest (NOW is 2026-11-21 10:30 Zurich)."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlmodel import Session

from syncd.config import LoadedConfig
from syncd.formatting import using_locale
from syncd.store import MeasurementIn, Store
from syncd.web.charts import x_ticks, y_ticks
from tests.web.conftest import CYCLE_END, CYCLE_START, EXPECTED_SHARE, NOW, ZURICH, run
from tests.web.helpers import dashboard_app, kr_markup

TOKEN = "lead-token-5f1c"


@pytest.fixture
def client(demo_config: LoadedConfig, store: Store, store_path: Path) -> FlaskClient:
    return dashboard_app(demo_config, store_path).test_client()


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    answer = client.get(url)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    return answer.get_data(as_text=True)


def section(page: str, label: str) -> str:
    start = page.index(f'aria-label="{label}"')
    return page[start : page.index("</section>", start)]


def test_summary_counts_statuses_scores_commitments_and_the_weeks_changes(
    client: FlaskClient,
) -> None:
    band = section(html(client, "/"), "summary")
    counts = dict(
        (label, int(n)) for n, label in re.findall(r"<strong>(\d+)</strong> ([a-z ]+)</span>", band)
    )
    # booking-5d and ticket-backlog on track, revenue-per-customer stale, 17 not started.
    assert counts == {"on track": 2, "stale": 1, "not started": 17}
    # Committed: existing-customers folds in fast-support: (50/260 + 2/3) / 2 = 0.4295, and
    # fast-support itself 2/3; their mean is 0.548. Aspirational: newcomer-onboarding 0.5 (its
    # child web-conversion has no score yet); win-customers has none.
    assert '<strong class="summary-committed">0.55</strong>' in band
    assert '<strong class="summary-aspirational">0.50</strong>' in band
    # A week ago neither the backlog nor the revenue had a value; booking-5d (hourly) had last
    # been fetched on 9 Nov, so it was stale then.
    changes = re.findall(r'<li class="change"><a href="#kr-([a-z0-9-]+)">', band)
    assert sorted(changes) == ["booking-5d", "revenue-per-customer", "ticket-backlog"]
    assert 'not started → <span class="status-word status-text-stale">stale</span>' in band


def test_team_and_cycle_filters_have_stable_urls(client: FlaskClient) -> None:
    page = html(client, "/?team=growth&cycle=2026-Q4")
    assert re.findall(r'<span class="team">([^<]+)</span>', page) == ["growth"]
    assert page.count('<li class="kr ') == 4
    assert '<option value="growth" selected>growth</option>' in page
    assert '<option value="2026-Q4" selected>2026-Q4</option>' in page
    assert '<form class="filters" method="get"' in page  # no JavaScript: a plain GET form
    assert "<strong>1</strong> on track" in section(page, "summary")  # only booking-5d

    krs = client.get("/api/v1/key-results?team=support").get_json()["key_results"]
    assert [kr["id"] for kr in krs] == ["first-reply-time", "support-csat", "ticket-backlog"]

    missing = html(client, "/?team=nobody", status=404)
    assert "no team &#39;nobody&#39;" in missing and "growth" in missing
    answer = client.get("/api/v1/objectives?cycle=2025-Q1")
    assert answer.status_code == 404
    assert "no cycle '2025-Q1'" in answer.get_json()["error"]


def test_owner_confidence_note_week_and_manual_checkins(client: FlaskClient, store: Store) -> None:
    store.record_checkin(
        "booking-5d", at=NOW - timedelta(hours=3), confidence="at_risk", note="campaign slipped"
    )
    at = NOW - timedelta(hours=2)
    store.record_checkin(
        "nps",
        at=at,
        confidence="on_track",
        note="survey wave 3",
        measurement=MeasurementIn(
            key_result_id="nps",
            value=61.0,
            window_start=at,
            window_end=at,
            collected_at=at,
            source="manual",
            query_fingerprint="",
            run_id=None,
        ),
    )
    page = html(client, "/")
    booking = kr_markup(page, "booking-5d")
    assert '<p class="kr-owner muted">owner Lea Meier</p>' in booking
    assert "confidence-at_risk" in booking and ">at risk</span>" in booking
    assert "campaign slipped" in booking
    # Week ago (14 Nov 10:30) the newest value was day 40's 52 %; now day 50's 55 %.
    assert '<p class="kr-week">this week: 52 % → 55 %</p>' in booking
    # The computed status stays beside the owner's judgement.
    assert '<span class="pill status-on_track">on track</span>' in booking

    nps = kr_markup(page, "nps")
    assert "checked in by hand 2 h ago" in nps
    assert "manual (unknown)" not in page and "from manual" not in page
    assert "survey wave 3" in nps
    assert '<p class="kr-week">new this week</p>' in nps
    # One check-in: a dot, not an empty chart.
    chart = nps[nps.index("<svg") :]
    assert chart.count("<circle") == 1

    backlog = kr_markup(page, "ticket-backlog")
    assert "bar-marker" not in backlog  # staying in band has no pace


def test_objectives_have_a_bar_judged_against_their_commitment(client: FlaskClient) -> None:
    page = html(client, "/")
    start = page.index('id="objective-newcomer-onboarding"')
    head = page[start : page.index('<ol class="krs">', start)]
    assert "aspirational (60-70 % is success)" in head
    assert "owner Lea Meier" in head
    assert "includes 1 aligned objective" in head
    assert 'class="bar-fill" style="width: 50.0%"' in head
    # The aspirational pace: 0.6 of the elapsed share.
    assert f'class="bar-marker" style="left: {round(EXPECTED_SHARE * 0.6 * 100, 2)}%"' in head
    assert '<span class="pill status-on_track">on track</span>' in head


def test_alignment_tree_nests_children_under_their_parent(client: FlaskClient) -> None:
    tree = section(html(client, "/"), "alignment")
    roots = re.findall(r'<li data-objective="([a-z-]+)" data-depth="0"', tree)
    assert roots == ["newcomer-onboarding", "existing-customers", "win-customers", "ship-safely"]
    children = re.findall(r'<li data-objective="([a-z-]+)" data-depth="1"', tree)
    assert children == ["web-conversion", "fast-support"]
    parent = tree.index('data-objective="existing-customers"')
    child = tree.index('data-objective="fast-support"')
    assert parent < child < tree.index('data-objective="win-customers"')
    assert tree.index("<ul>", parent) < child  # inside the parent's nested list


def test_source_health_comes_after_the_progress_and_checkin_sources_are_never_red(
    client: FlaskClient, store_path: Path
) -> None:
    engine = create_engine(f"sqlite:///{store_path}")
    with Session(engine) as session:
        session.add(run("research", NOW - timedelta(minutes=2), "failed", "push only"))
        session.commit()
    engine.dispose()
    page = html(client, "/")
    assert page.index('aria-label="source health"') > page.rindex('<section class="group"')
    start = page.index('data-source="research"')
    research = page[page.rindex("<li", 0, start) : page.index("</li>", start)]
    assert "source-checkin" in research and "source-failing" not in research
    assert "values by check-in" in research
    assert "push only" not in research


def test_charts_have_even_ticks_and_a_today_line(client: FlaskClient) -> None:
    # Month starts in Zurich (CEST on 1 Oct, CET after 25 Oct), through the cycle's end.
    assert x_ticks(CYCLE_START, CYCLE_END, ZURICH) == [
        CYCLE_START,
        datetime(2026, 10, 31, 23, tzinfo=UTC),
        datetime(2026, 11, 30, 23, tzinfo=UTC),
        CYCLE_END,
    ]
    # A 14-day cycle gets Mondays.
    short = x_ticks(CYCLE_START, CYCLE_START + timedelta(days=14), ZURICH)
    assert [t.astimezone(ZURICH).weekday() for t in short] == [0, 0]
    assert y_ticks((0.376, 0.724)) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    # 21,500 / 4 = 5,375 rounds up to a step of 10,000.
    assert y_ticks((86000, 107500)) == [80000, 90000, 100000, 110000]
    assert y_ticks(None) == []

    page = html(client, "/kr/booking-5d")
    for label in ("01 Oct", "01 Nov", "01 Dec", "01 Jan", "40 %", "50 %", "70 %"):
        assert f">{label}</text>" in page
    assert 'class="swatch swatch-today"' in page


def test_a_browser_signs_in_with_a_form_or_basic_auth(
    demo_config: LoadedConfig, store: Store, store_path: Path
) -> None:
    client = dashboard_app(demo_config, store_path, token=TOKEN).test_client()
    form = client.get("/kr/booking-5d")
    assert form.status_code == 401
    text = form.get_data(as_text=True)
    assert '<form method="post" action="/login">' in text
    assert 'name="next" value="/kr/booking-5d"' in text

    wrong = client.post("/login", data={"token": "guess", "next": "/"})
    assert wrong.status_code == 401
    assert "Set-Cookie" not in wrong.headers

    right = client.post("/login", data={"token": TOKEN, "next": "/kr/booking-5d"})
    assert right.status_code == 303
    assert right.headers["Location"] == "/kr/booking-5d"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie
    assert client.get("/kr/booking-5d").status_code == 200  # the cookie now rides along
    assert client.get("/api/v1/objectives").status_code == 200

    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 401

    # Elsewhere after signing in is never another site.
    away = client.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
    assert away.headers["Location"] == "/"

    basic = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
    fresh = dashboard_app(demo_config, store_path, token=TOKEN).test_client()
    assert fresh.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    bad = base64.b64encode(b"anyone:nope").decode()
    assert fresh.get("/", headers={"Authorization": f"Basic {bad}"}).status_code == 401


def test_the_dashboard_formats_numbers_in_the_configured_locale(
    demo_config: LoadedConfig, store: Store, store_path: Path
) -> None:
    swiss = dataclasses.replace(
        demo_config, config=demo_config.config.model_copy(update={"locale": "de_DE"})
    )
    with using_locale("en"):  # the app sets the process's locale; put it back afterwards
        page = html(dashboard_app(swiss, store_path).test_client(), "/")
        revenue = kr_markup(page, "revenue-per-customer")
        assert '<span class="kr-value">1.350 CHF</span>' in revenue
        assert '<dd class="kr-range">CHF 1.300 → 1.560</dd>' in revenue
        assert '<dd class="kr-forecast">67,61 % (score 0.92)</dd>' in kr_markup(page, "booking-5d")
