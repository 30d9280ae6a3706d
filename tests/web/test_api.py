"""The JSON API over the test store: values checked against the hand-made data in conftest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from syncd.config import LoadedConfig
from syncd.store import Store
from tests.web.conftest import CYCLE_END, CYCLE_START, EXPECTED_SHARE
from tests.web.helpers import dashboard_app


@pytest.fixture
def client(demo_config: LoadedConfig, store: Store, store_path: Path) -> FlaskClient:
    return dashboard_app(demo_config, store_path).test_client()


def by_id(items: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_key_results_carry_progress_pace_forecast_and_freshness(client: FlaskClient) -> None:
    answer = client.get("/api/v1/key-results")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    document = answer.get_json()
    assert document["generated_at"] == "2026-11-21T09:30:00+00:00"
    krs = by_id(document["key_results"])
    assert len(krs) == 20

    booking = krs["booking-5d"]
    assert booking["value"] == pytest.approx(0.55)
    assert booking["attainment"] == pytest.approx(0.5)
    assert booking["expected"] == pytest.approx(EXPECTED_SHARE)
    assert booking["status"] == "on_track"
    # On the line 0.40 + 0.003/day, read at the cycle's end (92 days and 1 hour).
    assert booking["forecast"] == pytest.approx(0.40 + 0.003 * (92 + 1 / 24))
    assert booking["forecast_score"] == pytest.approx(0.003 * (92 + 1 / 24) / 0.30)
    assert booking["as_of"] == "2026-11-19T22:00:00+00:00"
    assert booking["collected_at"] == "2026-11-21T09:18:00+00:00"
    assert (booking["source"], booking["source_types"], booking["points"]) == ("web", ["ga4"], 5)
    assert (booking["team"], booking["cycle"], booking["objective"]) == (
        "growth",
        "2026-Q4",
        "newcomer-onboarding",
    )

    backlog = krs["ticket-backlog"]
    assert backlog["value"] == 140
    assert backlog["band"] == {"at_least": None, "at_most": 150}
    assert backlog["in_band"] is True
    assert backlog["score"] == pytest.approx(2 / 3)
    assert backlog["attainment"] is None
    assert backlog["status"] == "on_track"

    assert krs["revenue-per-customer"]["status"] == "stale"
    assert krs["revenue-per-customer"]["value"] == 1350
    assert krs["nps"]["status"] == "not_started"
    assert krs["nps"]["value"] is None
    assert krs["nps"]["points"] == 0


def test_objectives_are_grouped_by_cycle_and_team(client: FlaskClient) -> None:
    objectives = client.get("/api/v1/objectives").get_json()["objectives"]
    assert [(o["team"], o["id"]) for o in objectives] == [
        ("customer-success", "win-customers"),
        ("delivery", "ship-safely"),
        ("growth", "newcomer-onboarding"),
        ("sales", "existing-customers"),
        ("support", "fast-support"),
        ("web", "web-conversion"),
    ]
    support = by_id(objectives)["fast-support"]
    assert support["key_results"] == ["first-reply-time", "support-csat", "ticket-backlog"]
    # Only ticket-backlog has a score (2 of 3 in band); the others have not started.
    assert support["score"] == pytest.approx(2 / 3)
    assert support["status"] == "on_track"


def test_history_lists_points_and_the_daily_pace_line(client: FlaskClient) -> None:
    answer = client.get("/api/v1/key-results/booking-5d/history")
    assert answer.status_code == 200
    history = answer.get_json()
    assert [p["value"] for p in history["points"]] == pytest.approx([0.43, 0.46, 0.49, 0.52, 0.55])
    assert [p["window_end"] for p in history["points"]] == [
        (CYCLE_START + timedelta(days=10 * k)).isoformat() for k in range(1, 6)
    ]
    assert history["cycle"] == {
        "id": "2026-Q4",
        "start": CYCLE_START.isoformat(),
        "end": CYCLE_END.isoformat(),
    }
    pace = history["pace"]
    assert len(pace) == 93  # each local midnight from 1 October to 1 January
    assert pace[0] == {"at": CYCLE_START.isoformat(), "value": pytest.approx(0.40)}
    assert pace[-1] == {"at": CYCLE_END.isoformat(), "value": pytest.approx(0.70)}
    # 1 November 00:00 CET is 31 days and 1 hour (the DST change) into the 2209-hour cycle.
    first_november = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert pace[31] == {
        "at": first_november.isoformat(),
        "value": pytest.approx(0.40 + 0.30 * (31 * 24 + 1) / 2209),
    }


def test_history_of_a_maintain_kr_has_no_pace(client: FlaskClient) -> None:
    history = client.get("/api/v1/key-results/ticket-backlog/history").get_json()
    assert [p["value"] for p in history["points"]] == [120, 160, 140]
    assert [p["source"] for p in history["points"]] == ["support"] * 3
    assert history["pace"] == []


def test_unknown_kr_is_a_json_404(client: FlaskClient) -> None:
    answer = client.get("/api/v1/key-results/no-such-kr/history")
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "no key result 'no-such-kr' is configured"}


def test_sources_report_last_success_and_last_error(client: FlaskClient) -> None:
    sources = by_id(client.get("/api/v1/sources").get_json()["sources"], "name")
    assert list(sources) == [
        "web", "sales", "crm", "support", "analytics", "product", "app", "delivery",
        "warehouse", "customer_research", "research",
    ]  # fmt: skip
    assert sources["web"] == {
        "name": "web",
        "type": "ga4",
        "failing": False,
        "last_run_at": "2026-11-21T09:18:00+00:00",
        "last_outcome": "ok",
        "last_success_at": "2026-11-21T09:18:00+00:00",
        "last_error_at": None,
        "last_error": None,
    }
    support = sources["support"]
    assert support["failing"] is True
    assert support["last_outcome"] == "partial"
    assert support["last_success_at"] == "2026-11-21T08:25:00+00:00"
    assert support["last_error_at"] == "2026-11-21T09:25:00+00:00"
    assert support["last_error"] == "2 of 5 requests timed out"
    warehouse = sources["warehouse"]
    assert (warehouse["failing"], warehouse["last_error"]) == (False, "no such table: bookings")
    assert warehouse["last_error_at"] == "2026-11-21T09:10:00+00:00"
    assert sources["research"]["last_run_at"] is None
    assert sources["research"]["failing"] is False


def test_a_kr_has_one_shape_in_the_api_and_in_status_json(
    demo_config: LoadedConfig, store: Store, client: FlaskClient
) -> None:
    from syncd.overview import build_overview
    from syncd.render import status_json
    from tests.web.conftest import NOW

    store.record_checkin(
        "booking-5d",
        at=NOW - timedelta(hours=2),
        confidence="at_risk",
        note="campaign slipped a week",
    )
    api_krs = by_id(client.get("/api/v1/key-results").get_json()["key_results"])
    types = {name: source.type for name, source in demo_config.config.sources.items()}
    cli = status_json(build_overview(demo_config, store, NOW), types)
    cli_krs = by_id(cli["key_results"])
    assert api_krs == cli_krs
    booking = api_krs["booking-5d"]
    assert (booking["owner"], booking["confidence"], booking["note"]) == (
        "Lea Meier",
        "at_risk",
        "campaign slipped a week",
    )
    assert booking["checked_in_at"] == "2026-11-21T07:30:00+00:00"
    api_objectives = by_id(client.get("/api/v1/objectives").get_json()["objectives"])
    assert api_objectives == by_id(cli["objectives"])
    assert api_objectives["newcomer-onboarding"]["owner"] == "Lea Meier"
