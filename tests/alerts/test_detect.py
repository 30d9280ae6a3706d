"""detect_events: what changed since the stored statuses, and which changes are alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.notify_teams.alerts import current_states, detect_events, source_teams, wanted
from tests.alerts.builders import kr, objective, run
from tests.alerts.conftest import write_config

T0 = datetime(2026, 11, 16, 8, tzinfo=UTC)


def test_new_and_unchanged_subjects_are_not_announced():
    overview = [objective(kr("nps", "at_risk"), kr("csat", "on_track"))]
    assert detect_events({"kr:csat": "on_track"}, overview) == []


def test_a_status_change_names_the_change_and_the_generation_it_leaves():
    overview = [
        objective(
            kr(
                "nps",
                "at_risk",
                title="NPS from 50 to 70",
                value=56.0,
                attainment=0.3,
                expected=0.5054,
                forecast=61.0,
                forecast_score=0.55,
            )
        )
    ]
    [event] = detect_events({"kr:nps": "on_track"}, overview, generations={"kr:nps": 3})
    assert event.kind == "status_changed"
    assert event.teams == ("growth",)
    assert (event.previous, event.current) == ("on_track", "at_risk")
    assert event.key == "alert:kr:nps:3:on_track>at_risk"
    assert event.title == "[growth] NPS from 50 to 70: on track → at risk"
    assert event.body == (
        "**NPS from 50 to 70** (Customers love us) is now **at risk**, was on track.\n\n"
        "Value 56 points (baseline 50 points → target 70 points).\n\n"
        "Attainment 0.30, expected by now 0.51.\n\n"
        "Forecast at cycle end: 61 points (score 0.55)."
    )


def test_going_stale_is_its_own_kind():
    overview = [objective(kr("nps", "stale"))]
    [event] = detect_events({"kr:nps": "on_track"}, overview)
    assert event.kind == "stale"
    assert event.key == "alert:kr:nps:0:on_track>stale"
    assert "Last measured at 2026-11-15 06:00 UTC." in event.body


def test_sources_fail_and_recover_by_their_newest_finished_run():
    runs = [
        run("web", None, datetime(2026, 11, 16, 9, tzinfo=UTC)),  # in flight: not judged yet
        run("web", "failed", datetime(2026, 11, 16, 8, tzinfo=UTC), error="AuthError: 401"),
        run("web", "ok", datetime(2026, 11, 16, 7, tzinfo=UTC)),
        run("crm", "ok", datetime(2026, 11, 16, 8, tzinfo=UTC)),
        run("crm", "failed", datetime(2026, 11, 16, 7, tzinfo=UTC)),
        run("sql", "partial", datetime(2026, 11, 16, 8, tzinfo=UTC)),
    ]
    previous = {"source:web": "ok", "source:crm": "failing", "source:sql": "ok"}
    events = detect_events(
        previous, [], runs=runs, source_teams={"web": ["growth", "web"], "crm": ["sales"]}
    )
    by_subject = {event.subject: event for event in events}
    assert set(by_subject) == {"source:web", "source:crm"}
    failing = by_subject["source:web"]
    assert failing.kind == "source_failing"
    assert failing.teams == ("growth", "web")
    assert failing.title == "Source web is failing"
    assert failing.body.endswith("\n\nError: AuthError: 401")
    recovered = by_subject["source:crm"]
    assert (recovered.kind, recovered.previous, recovered.current) == (
        "source_recovered",
        "failing",
        "ok",
    )
    assert recovered.teams == ("sales",)


def test_current_states_cover_krs_and_sources():
    overview = [objective(kr("nps", "at_risk"), kr("csat", "stale"))]
    runs = [run("web", "failed", T0), run("web", "ok", datetime(2026, 11, 15, tzinfo=UTC))]
    assert current_states(overview, runs) == {
        "kr:nps": "at_risk",
        "kr:csat": "stale",
        "source:web": "failing",
    }


def test_alert_rules(tmp_path):
    loaded = write_config(tmp_path, {"hook": '{url: "json://127.0.0.1:1/x", teams: [growth]}'})
    notifications = loaded.config.notifications
    assert notifications is not None
    overview = [objective(kr("a", "on_track"), kr("b", "at_risk"), kr("c", "on_track"))]
    previous = {"kr:a": "not_started", "kr:b": "on_track", "kr:c": "at_risk"}
    decided = {e.subject: wanted(e, notifications) for e in detect_events(previous, overview)}
    # A first measurement that is on track is no news; leaving or entering at_risk is.
    assert decided == {"kr:a": False, "kr:b": True, "kr:c": True}


def test_source_teams_follow_metrics_to_their_sources(tmp_path):
    loaded = write_config(tmp_path, {"hook": '{url: "json://127.0.0.1:1/x", teams: [growth]}'})
    assert source_teams(loaded.config) == {"survey": ["growth"], "panel": ["support"]}
