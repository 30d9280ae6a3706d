"""Secrets are references, never literals (one rule for every SecretStr field), and a
configuration that measures nothing is not valid."""

from __future__ import annotations

import pytest
from config_helpers import BASE, issues_of, load, write

from syncd.config import load_config, require_key_results
from syncd.errors import ConfigError

REFERENCES = "${env:NAME}, ${file:/absolute/path} or ${credential:NAME}"


def test_a_connector_token_written_out_is_refused_without_echoing_it(tmp_path):
    path = write(tmp_path, "c.yaml", BASE.replace('"${env:FAKE_TOKEN}"', "plain-token-12345"))
    [issue] = issues_of(path)
    assert issue.path == ("sources", "crm", "token")
    assert (issue.file, issue.line, issue.column) == (str(path), 2, 21)
    assert (
        issue.message
        == "a secret written out in the config: secrets are references, never literals"
    )
    assert issue.hint is not None and REFERENCES in issue.hint
    assert "plain-token-12345" not in issue.render()


def test_the_rule_is_also_checked_when_references_are_not_read(tmp_path):
    path = write(tmp_path, "c.yaml", BASE.replace('"${env:FAKE_TOKEN}"', "plain-token-12345"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={}, read_secrets=False)
    assert [issue.path for issue in caught.value.issues] == [("sources", "crm", "token")]


def test_framework_secret_fields_follow_the_same_rule(tmp_path):
    text = (
        BASE
        + "store: postgresql+psycopg://syncd:hunter2@db/syncd\n"
        + "daemon: {listen_token: s3cret-bearer}\n"
        + "notifications:\n"
        + "  channels:\n"
        + "    hook: {url: 'json://user:p4ss@hooks.example/okr', teams: ['*']}\n"
    )
    issues = issues_of(write(tmp_path, "c.yaml", text))
    assert [(issue.path, issue.line) for issue in issues] == [
        (("store",), 10),
        (("daemon", "listen_token"), 11),
        (("notifications", "channels", "hook", "url"), 14),
    ]
    assert issues[0].message == (
        "a password written out in the URL: secrets are references, never literals"
    )
    rendered = "\n".join(issue.render() for issue in issues)
    assert "hunter2" not in rendered and "s3cret-bearer" not in rendered and "p4ss" not in rendered


def test_urls_without_a_password_and_references_may_be_written_out(tmp_path):
    text = (
        BASE
        + 'store: "postgresql+psycopg://syncd:${env:PGPASSWORD}@db/syncd"\n'
        + "notifications:\n"
        + "  channels:\n"
        + "    hook: {url: 'json://hooks.example/okr', teams: ['*']}\n"
    )
    loaded = load(
        write(tmp_path, "c.yaml", text), {"FAKE_TOKEN": "tok-0123456789", "PGPASSWORD": "pw"}
    )
    assert loaded.config.store.get_secret_value() == "postgresql+psycopg://syncd:pw@db/syncd"
    channel = loaded.config.notifications.channels["hook"]  # type: ignore[union-attr]
    assert channel.url.get_secret_value() == "json://hooks.example/okr"


def test_a_reference_with_a_written_out_default_is_a_reference(tmp_path):
    path = write(
        tmp_path, "c.yaml", BASE.replace("${env:FAKE_TOKEN}", "${env:NOPE:-sandbox-token}")
    )
    loaded = load(path, {})
    assert loaded.config.sources["crm"].token.get_secret_value() == "sandbox-token"  # type: ignore[attr-defined]


def test_an_empty_config_loads_but_measures_nothing(tmp_path):
    loaded = load(write(tmp_path, "c.yaml", BASE))
    with pytest.raises(ConfigError) as caught:
        require_key_results(loaded)
    [issue] = caught.value.issues
    assert issue.message == "this configuration measures nothing: no objectives"
    assert issue.file == str(tmp_path / "c.yaml")
    assert issue.hint is not None and "add an objective with key results" in issue.hint


def test_objectives_without_key_results_measure_nothing(tmp_path):
    text = BASE + "objectives:\n  - {id: grow, title: Grow, team: growth, cycle: q4}\n"
    loaded = load(write(tmp_path, "c.yaml", text))
    with pytest.raises(ConfigError) as caught:
        require_key_results(loaded)
    [issue] = caught.value.issues
    assert issue.message == "this configuration measures nothing: objectives without key results"
    assert (issue.path, issue.line) == (("objectives",), 10)


def test_a_config_with_a_key_result_measures_something(tmp_path):
    text = BASE + (
        "objectives:\n"
        "  - id: grow\n    title: Grow\n    team: growth\n    cycle: q4\n    key_results:\n"
        "      - {id: users, title: Users, metric: deals, focus: user, baseline: 1, target: 2}\n"
    )
    loaded = load(write(tmp_path, "c.yaml", text))
    require_key_results(loaded)  # no error
    assert [kr.id for _, kr in loaded.config.key_results()] == ["users"]
