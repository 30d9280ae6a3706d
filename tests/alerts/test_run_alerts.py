"""run_alerts end to end: store → overview → events → a local webhook, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from syncd.config import load_config
from syncd.notify_teams import deliver, detect_events, run_alerts
from syncd.overview import build_overview
from syncd.statuses import last_statuses
from syncd.store import Store, open_store
from syncd.store.notifications import OutgoingMessage
from tests.alerts.conftest import NOW, measure, write_config

DAY = timedelta(days=1)


@pytest.fixture
def setup(tmp_path, store_url, webhook):
    """A config whose growth team alerts to the webhook, a store holding NPS 60 (on track)."""
    loaded = write_config(
        tmp_path, {"hook": f'{{url: "json://127.0.0.1:{webhook.port}/okr", teams: [growth]}}'}
    )
    with open_store(store_url) as store:
        store.sync_definitions(loaded.config)
        # attainment (60 - 50) / 20 = 0.5, expected 0.5 at NOW: on track
        measure(store, "nps", 60.0, NOW - DAY)
        measure(store, "churn", 4.0, NOW - DAY)
        yield loaded, store


def fall_behind(store):
    """NPS 56 half a day later: attainment 0.3 vs expected 46.5/92 = 0.505, gap 0.205: at risk."""
    measure(store, "nps", 56.0, NOW + DAY / 2)


def test_the_first_run_records_states_and_a_change_alerts_once(setup, webhook, store_url):
    loaded, store = setup
    assert run_alerts(loaded, store, now=NOW) == 0
    assert last_statuses(store.outbox)["kr:nps"] == ("on_track", 0)
    fall_behind(store)
    later = NOW + DAY / 2
    assert run_alerts(loaded, store, now=later) == 1
    [request] = webhook.requests
    payload = request.json()
    assert payload["title"] == "[growth] NPS from 50 to 70: on track → at risk"
    assert "Attainment 0.30, expected by now 0.51." in payload["message"]
    assert last_statuses(store.outbox)["kr:nps"] == ("at_risk", 1)
    # Again, and after a restart (new config and store objects): nothing new to say.
    assert run_alerts(loaded, store, now=later) == 0
    with open_store(store_url) as restarted:
        reloaded = load_config(loaded.files[0])
        assert run_alerts(reloaded, restarted, now=later + timedelta(minutes=5)) == 0
    assert len(webhook.requests) == 1


def test_the_same_events_delivered_twice_send_once(setup, webhook):
    loaded, store = setup
    run_alerts(loaded, store, now=NOW)
    fall_behind(store)
    later = NOW + DAY / 2
    states = last_statuses(store.outbox)
    events = detect_events(
        {s: status for s, (status, _) in states.items()},
        build_overview(loaded, store, later),
        generations={s: generation for s, (_, generation) in states.items()},
    )
    assert [e.key for e in events] == ["alert:kr:nps:0:on_track>at_risk"]
    assert deliver(events, loaded.config, store, now=later) == 1
    assert deliver(events, loaded.config, store, now=later + timedelta(hours=1)) == 0
    assert len(webhook.requests) == 1


def test_a_crash_between_claim_and_send_is_retried_after_the_lease(setup, webhook):
    loaded, store = setup
    run_alerts(loaded, store, now=NOW)
    fall_behind(store)
    later = NOW + DAY / 2
    # A dead instance claimed the alert and never sent it (nor advanced the state).
    dead = OutgoingMessage(
        key="alert:kr:nps:0:on_track>at_risk",
        kind="status_changed",
        team="growth",
        title="[growth] NPS from 50 to 70: on track → at risk",
        body="claimed by the dead instance",
    )
    assert store.claim_delivery(dead, "hook", owner="dead", lease=timedelta(minutes=10), now=later)
    assert run_alerts(loaded, store, now=later + timedelta(minutes=5)) == 0
    assert webhook.requests == []
    assert run_alerts(loaded, store, now=later + timedelta(minutes=11)) == 1
    [request] = webhook.requests
    assert request.json()["message"] == "claimed by the dead instance"
    assert run_alerts(loaded, store, now=later + timedelta(minutes=30)) == 0
    assert len(webhook.requests) == 1


def test_a_refused_alert_is_retried_after_the_lease(setup, webhook):
    loaded, store = setup
    run_alerts(loaded, store, now=NOW)
    fall_behind(store)
    later = NOW + DAY / 2
    webhook.status = 503
    assert run_alerts(loaded, store, now=later) == 0
    [failed] = store.deliveries(key_prefix="alert:")
    assert failed.sent_at is None and "503" in (failed.error or "")
    webhook.status = 200
    assert run_alerts(loaded, store, now=later + timedelta(minutes=5)) == 0
    assert run_alerts(loaded, store, now=later + timedelta(minutes=11)) == 1
    assert [r.json()["title"] for r in webhook.requests] == [
        "[growth] NPS from 50 to 70: on track → at risk"
    ] * 2


def test_a_failing_source_alerts_the_teams_reading_it(setup, webhook):
    loaded, store = setup
    ok = store.start_run(source="survey", trigger="schedule")
    store.finish_run(
        ok, outcome="ok", error=None, upstream_calls=1, retries=0, requests=1, measurements=1
    )
    run_alerts(loaded, store, now=NOW)
    failed = store.start_run(source="survey", trigger="schedule")
    store.finish_run(
        failed,
        outcome="failed",
        error="AuthError: token expired",
        upstream_calls=1,
        retries=0,
        requests=1,
        measurements=0,
    )
    assert run_alerts(loaded, store, now=NOW + timedelta(minutes=1)) == 1
    payload = webhook.requests[0].json()
    assert payload["title"] == "Source survey is failing"
    assert payload["message"].endswith("Error: AuthError: token expired")
    assert payload["type"] == "failure"


@pytest.mark.postgres
def test_two_instances_on_one_postgresql_send_once(tmp_path, postgres_url, webhook):
    loaded = write_config(
        tmp_path, {"hook": f'{{url: "json://127.0.0.1:{webhook.port}/okr", teams: [growth]}}'}
    )
    with Store.open(postgres_url) as first, Store.open(postgres_url) as second:
        first.sync_definitions(loaded.config)
        measure(first, "nps", 60.0, NOW - DAY)
        measure(first, "churn", 4.0, NOW - DAY)
        assert run_alerts(loaded, first, now=NOW) == 0
        fall_behind(first)
        later = NOW + DAY / 2
        sent: list[int] = []
        barrier = threading.Barrier(2)

        def instance(store: Store, owner: str) -> None:
            barrier.wait()
            sent.append(run_alerts(loaded, store, now=later, owner=owner))

        threads = [
            threading.Thread(target=instance, args=(first, "instance-1")),
            threading.Thread(target=instance, args=(second, "instance-2")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(sent) == [0, 1]
        assert len(webhook.requests) == 1
        assert last_statuses(first.outbox)["kr:nps"] == ("at_risk", 1)
        assert run_alerts(loaded, second, now=later + timedelta(hours=1)) == 0
    assert len(webhook.requests) == 1
