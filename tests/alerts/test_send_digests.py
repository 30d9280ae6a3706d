"""send_due_digests: the e-mail digest through a real SMTP server, once per slot and channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.errors import ConfigError
from syncd.notify_teams import preview_digest, send_due_digests
from syncd.store import open_store
from tests.alerts.conftest import NOW, measure, write_config

MONDAY_9 = datetime(2026, 11, 16, 9, 5, tzinfo=UTC)  # 5 minutes after the "0 9 * * 1" slot


@pytest.fixture
def setup(tmp_path, smtp, store_url):
    port, mailbox = smtp
    mail = f"mailto://127.0.0.1:{port}?from=syncd@example.com&to=growth@example.com&mode=insecure"
    loaded = write_config(tmp_path, {"growth-mail": f'{{url: "{mail}", teams: [growth]}}'})
    with open_store(store_url) as store:
        store.sync_definitions(loaded.config)
        measure(store, "nps", 60.0, NOW - timedelta(days=1))
        yield loaded, store, mailbox


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def test_the_e_mail_digest_is_sent_once_per_slot_with_the_change_over_7_days(setup):
    loaded, store, mailbox = setup
    assert send_due_digests(loaded, store, now=MONDAY_9) == 1
    assert send_due_digests(loaded, store, now=MONDAY_9 + timedelta(hours=2)) == 0
    [(recipients, message)] = mailbox.messages
    assert recipients == ["growth@example.com"]
    assert message["Subject"] == "Weekly OKR digest: growth, Mon 16 Nov 2026"
    assert "<td>60 points</td><td>new in the last 7 days</td>" in html_of(message)

    measure(store, "nps", 62.0, datetime(2026, 11, 22, tzinfo=UTC))
    next_monday = MONDAY_9 + timedelta(days=7)
    assert send_due_digests(loaded, store, now=next_monday) == 1
    second = mailbox.messages[1][1]
    assert second["Subject"] == "Weekly OKR digest: growth, Mon 23 Nov 2026"
    # Measured against the value a week before (60 on 15 Nov), not against the last digest.
    assert "<td>62 points</td><td>+2 points in 7 days</td>" in html_of(second)
    assert len(mailbox.messages) == 2


def test_a_slot_missed_by_more_than_late_is_skipped(setup):
    loaded, store, mailbox = setup
    assert send_due_digests(loaded, store, now=MONDAY_9 + timedelta(days=1, minutes=1)) == 0
    assert mailbox.messages == []


def test_preview_shows_the_change_over_the_last_7_days_from_the_measurements(setup):
    loaded, store, _ = setup
    measure(store, "nps", 55.0, datetime(2026, 11, 8, tzinfo=UTC))
    measure(store, "nps", 59.0, datetime(2026, 11, 17, tzinfo=UTC))
    # No digest was ever sent: the change still reads from the value on 10 Nov (55).
    preview = preview_digest(loaded, store, "growth", datetime(2026, 11, 17, 12, tzinfo=UTC))
    assert preview.startswith("# Weekly OKR digest: growth, Tue 17 Nov 2026\n\n")
    assert "- NPS from 50 to 70: 59 points (+4 points in 7 days), on track" in preview
    assert "Open the dashboard" not in preview
    with pytest.raises(ConfigError, match="no objectives of team 'nobody'"):
        preview_digest(loaded, store, "nobody", MONDAY_9)


def test_the_digest_links_the_teams_dashboard_when_configured(tmp_path, store_url):
    hook = '{url: "json://127.0.0.1:9/hook", teams: [growth]}'
    url = "dashboard_url: https://okr.example.com/syncd/\n"
    loaded = write_config(tmp_path, {"hook": hook}, extra=url)
    with open_store(store_url) as store:
        store.sync_definitions(loaded.config)
        preview = preview_digest(loaded, store, "growth", MONDAY_9)
    assert preview.rstrip().endswith(
        "[Open the dashboard](https://okr.example.com/syncd/?team=growth)"
    )
