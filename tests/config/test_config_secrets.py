"""Secret references: resolution, placement, missing values, and never leaking a value."""

from __future__ import annotations

import pytest
from config_helpers import BASE, issues_of, load, write

from syncd.config import load_config
from syncd.config.models import Config
from syncd.errors import ConfigError


def test_env_reference_embedded_in_a_url(tmp_path):
    path = write(tmp_path, "c.yaml", 'store: "postgresql://u:${env:PW}@${env:HOST:-db}/x"\n')
    loaded = load(path, {"PW": "pa55word"})
    assert loaded.config.store.get_secret_value() == "postgresql+psycopg://u:pa55word@db/x"
    # A default written in the file is not a secret; the variable's value is.
    assert loaded.secrets == frozenset({"pa55word"})


def test_file_reference_strips_one_trailing_newline(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("file-token-123\n")
    path = write(
        tmp_path, "c.yaml", f'sources:\n  crm: {{type: fake, token: "${{file:{secret}}}"}}\n'
    )
    loaded = load(path, {})
    assert loaded.config.sources["crm"].token.get_secret_value() == "file-token-123"  # type: ignore[attr-defined]
    assert loaded.secrets == frozenset({"file-token-123"})


def test_credential_reference_reads_the_credentials_directory(tmp_path):
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "crm").write_text("cred-token-456")
    path = write(tmp_path, "c.yaml", 'sources:\n  crm: {type: fake, token: "${credential:crm}"}\n')
    loaded = load(path, {"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")})
    assert loaded.config.sources["crm"].token.get_secret_value() == "cred-token-456"  # type: ignore[attr-defined]


def test_credential_without_credentials_directory(tmp_path):
    path = write(tmp_path, "c.yaml", 'sources:\n  crm: {type: fake, token: "${credential:crm}"}\n')
    [issue] = issues_of(path, {})
    assert (issue.path, issue.line) == (("sources", "crm", "token"), 2)
    assert issue.message == "credential 'crm' asked for, but CREDENTIALS_DIRECTORY is not set"
    assert "LoadCredential=crm:" in (issue.hint or "")


def test_missing_env_var_is_an_issue_with_a_hint(tmp_path):
    path = write(tmp_path, "c.yaml", BASE)
    [issue] = issues_of(path, {})
    assert issue.path == ("sources", "crm", "token")
    assert (issue.file, issue.line, issue.column) == (str(path), 2, 21)
    assert issue.message == "environment variable FAKE_TOKEN is not set"
    assert issue.hint is not None and issue.hint.startswith("export FAKE_TOKEN=…")


def test_unreadable_file_reference(tmp_path):
    missing = tmp_path / "nope"
    path = write(tmp_path, "c.yaml", f'store: "${{file:{missing}}}"\n')
    [issue] = issues_of(path, {})
    assert (issue.path, issue.line) == (("store",), 1)
    assert issue.message == f"secret file {missing} does not exist"


def test_reference_outside_store_and_sources(tmp_path):
    path = write(
        tmp_path, "c.yaml", BASE + '  x: {source: crm, query: {count: "${env:FAKE_TOKEN}"}}\n'
    )
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("metrics", "x", "query", "count"), 10)
    assert (
        issue.message
        == "secret references are resolved only in store, sources, sinks, daemon and notifications"
    )


def test_secret_never_leaks_into_messages_or_reprs(tmp_path):
    secret = "Xq7z"  # the fake connector's validator echoes a too-short token
    path = write(
        tmp_path,
        "c.yaml",
        'sources:\n  crm: {type: fake, token: "${env:TOK}", retries: "${env:TOK}"}\n',
    )
    issues = issues_of(path, {"TOK": secret})
    rendered = "\n".join(i.render() + repr(i) for i in issues)
    assert secret not in rendered
    assert [(i.path, i.message) for i in issues] == [
        (("sources", "crm", "token"), "token *** is shorter than 8 characters"),
        (("sources", "crm", "retries"), "invalid value: expected an integer"),
    ]


def test_loaded_config_repr_hides_secrets(tmp_path):
    loaded = load(write(tmp_path, "c.yaml", BASE))
    assert "tok-0123456789" in loaded.secrets
    assert "tok-0123456789" not in repr(loaded)
    assert "tok-0123456789" not in repr(loaded.config)
    assert isinstance(loaded.config, Config)


def test_syntax_only_mode_reads_no_secret_but_still_checks_references(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("never-read-789")
    path = write(
        tmp_path,
        "c.yaml",
        'store: "postgresql://u:${env:PW}@${env:HOST:-db}/x"\n'
        f'sources:\n  crm: {{type: fake, token: "${{file:{secret}}}"}}\n',
    )
    loaded = load_config(path, environ={}, read_secrets=False)
    assert loaded.config.store.get_secret_value() == "postgresql+psycopg://u:SECRET@db/x"
    # The fake's tokens need 8 characters: the placeholder's failing that is not an issue.
    assert "crm" in loaded.config.sources
    assert loaded.secrets == frozenset()

    broken = write(tmp_path, "d.yaml", 'store: "${file:relative/path}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(broken, environ={}, read_secrets=False)
    [issue] = caught.value.issues
    assert issue.message == "secret file path 'relative/path' is not absolute"
