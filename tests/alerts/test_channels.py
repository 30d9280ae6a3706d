"""Each kind of channel, through Apprise, to a local receiver: webhook, Slack, Teams, e-mail."""

from __future__ import annotations

import json

import pytest
from apprise import NotifyType
from apprise.plugins.slack import NotifySlack

from syncd.config import load_config
from syncd.errors import ConfigError
from syncd.notify_teams.channels import channels_for, send
from tests.alerts.conftest import write_config
from tests.alerts.receivers import HttpReceiver, throwaway_tls


def test_a_json_webhook_receives_title_and_markdown(webhook):
    error = send(
        f"json://127.0.0.1:{webhook.port}/hooks/okr",
        title="[growth] NPS: on track → at risk",
        body="**NPS** is now **at risk**",
        notify_type=NotifyType.WARNING,
    )
    assert error is None
    [request] = webhook.requests
    assert request.path == "/hooks/okr"
    payload = request.json()
    assert payload["title"] == "[growth] NPS: on track → at risk"
    assert payload["message"] == "**NPS** is now **at risk**"
    assert payload["type"] == "warning"


def test_slack_webhook_payload(webhook, monkeypatch):
    # Apprise's Slack plugin posts to a class-level webhook base; point it at the receiver.
    monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{webhook.port}/services")
    error = send(
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
        title="Source web is failing",
        body="The sync of **web** failed",
    )
    assert error is None
    [request] = webhook.requests
    assert request.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    [attachment] = request.json()["attachments"]
    assert attachment["title"] == "Source web is failing"
    # Slack's mrkdwn bolds with single asterisks: Apprise translated the Markdown.
    assert attachment["text"] == "The sync of *web* failed"


def test_teams_workflow_payload_over_verified_tls(tmp_path, monkeypatch):
    context, certificate = throwaway_tls(tmp_path)
    receiver = HttpReceiver().start(context)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
        error = send(
            f"workflows://127.0.0.1:{receiver.port}/wf123/sig456/",
            title="[support] Churn: at risk → on track",
            body="Churn is on track again",
        )
    finally:
        receiver.stop()
    assert error is None
    [request] = receiver.requests
    assert request.path.startswith("/workflows/wf123/triggers/manual/paths/invoke?")
    assert "sig=sig456" in request.path
    [attachment] = request.json()["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = {block.get("id"): block.get("text") for block in attachment["content"]["body"]}
    assert texts["title"] == "[support] Churn: at risk → on track"
    assert texts["body"] == "Churn is on track again"


def test_a_refusing_channel_reports_why(webhook):
    webhook.status = 500
    error = send(f"json://127.0.0.1:{webhook.port}/x", title="t", body="b")
    assert error is not None and "500" in error
    assert len(webhook.requests) == 1


def test_an_invalid_url_is_reported_not_raised():
    assert send("nonsense://nowhere", title="t", body="b") == (
        "not a valid Apprise URL (see https://appriseit.com/services/)"
    )


def test_channels_serve_their_teams_and_purposes(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", "s3cret")
    loaded = write_config(
        tmp_path,
        {
            "all": '{url: "json://127.0.0.1:1/${env:HOOK_TOKEN}", teams: ["*"], digest: false}',
            "growth": '{url: "json://127.0.0.1:1/g", teams: [growth], alerts: false}',
        },
    )
    notifications = loaded.config.notifications
    assert notifications is not None
    assert notifications.channels["all"].url.get_secret_value() == "json://127.0.0.1:1/s3cret"
    assert "s3cret" in loaded.secrets
    assert channels_for(notifications, "growth", "alerts") == ["all"]
    assert channels_for(notifications, "growth", "digest") == ["growth"]
    assert channels_for(notifications, "support", "digest") == []
    dumped = json.dumps(loaded.config.model_dump(mode="json"))
    assert "s3cret" not in dumped


@pytest.mark.parametrize("section", ["objectives", "cycles"])
def test_secret_references_stay_refused_outside_their_sections(tmp_path, section):
    path = tmp_path / "syncd.yaml"
    if section == "cycles":
        path.write_text('cycles:\n  q: {start: "${env:X}", end: 2026-12-31}\n')
    else:
        path.write_text('objectives:\n  - {id: o, title: "${env:X}", team: t, cycle: q}\n')
    with pytest.raises(ConfigError, match="resolved only in store, sources, sinks, daemon and"):
        load_config(path, environ={"X": "1"})
