"""Validation errors: friendly messages, hints, exact key paths and lines, each reported once."""

from __future__ import annotations

from config_helpers import BASE, issues_of, load, write


def objective(kr: str) -> str:
    """BASE plus one objective whose only KR is ``kr`` (the KR's first line is line 16)."""
    return (
        BASE
        + """objectives:
  - id: growth
    title: Grow
    team: growth
    cycle: q4
    key_results:
"""
        + kr
    )


def test_unknown_key_suggests_the_field(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        objective(
            "      - id: k1\n"
            "        title: K\n"
            "        focus: user\n"
            "        baseline: 1\n"
            "        targte: 2\n"
        ),
    )
    issues = issues_of(path)
    [unknown] = [i for i in issues if i.message == "unknown key 'targte'"]
    assert unknown.path == ("objectives", 0, "key_results", 0, "targte")
    assert (unknown.file, unknown.line, unknown.column) == (str(path), 20, 9)
    assert unknown.hint == "did you mean 'target'?"


def test_unknown_key_without_close_match_lists_allowed_keys(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "progress: {zzz: 1}\n")
    [issue] = issues_of(path)
    assert issue.path == ("progress", "zzz") and issue.line == 10
    assert issue.hint == "allowed keys: at_risk_gap, off_track_gap, ceiling"


def test_missing_key_points_at_the_parent_mapping(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        objective("      - id: k1\n        focus: user\n        baseline: 1\n        target: 2\n"),
    )
    [issue] = issues_of(path)
    assert issue.message == "missing key 'title'"
    assert issue.path == ("objectives", 0, "key_results", 0, "title")
    assert (issue.line, issue.column) == (16, 9)
    assert issue.hint == "add 'title: …' here"


def test_baseline_equal_to_target_uses_the_validator_text(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        objective("      - {id: k1, title: K, focus: user, baseline: 3, target: 3}\n"),
    )
    [issue] = issues_of(path)
    assert issue.path == ("objectives", 0, "key_results", 0)
    assert (issue.file, issue.line) == (str(path), 16)
    assert issue.message == "baseline and target are both 3.0: nothing to make progress on"


def test_cycle_ending_before_it_starts(tmp_path):
    path = write(tmp_path, "c.yaml", "cycles:\n  q1:\n    start: 2027-03-31\n    end: 2027-01-01\n")
    [issue] = issues_of(path)
    assert (issue.path, issue.line, issue.column) == (("cycles", "q1"), 2, 3)
    assert issue.message == "the cycle ends (2027-01-01) before it starts (2027-03-31)"


def test_type_error_shows_the_bad_value(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        objective(
            "      - {id: k1, title: K, focus: user, baseline: 1, target: 2, weight: heavy}\n"
        ),
    )
    [issue] = issues_of(path)
    assert issue.path == ("objectives", 0, "key_results", 0, "weight")
    assert issue.message == "invalid value 'heavy': expected a number"
    assert issue.line == 16


def test_literal_error_suggests_the_option(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        objective("      - {id: k1, title: K, focus: users, baseline: 1, target: 2}\n"),
    )
    [issue] = issues_of(path)
    assert issue.path == ("objectives", 0, "key_results", 0, "focus")
    assert issue.message == "invalid value 'users': expected 'user' or 'business'"
    assert issue.hint == "did you mean 'user'?"


def test_invalid_name_key_is_located_at_the_key(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "  Bad Name: {source: crm, query: {count: x}}\n")
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("metrics", "Bad Name"), 10)
    assert issue.message == "invalid name 'Bad Name'"
    assert issue.hint == "use lower-case letters, digits, '-', '_' and '.'"


def test_wrong_type_for_every_union_branch_is_one_issue(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "  rate: {ratio: {numerator: 5, denominator: deals}}\n")
    [issue] = issues_of(path)
    assert issue.path == ("metrics", "rate", "ratio", "numerator")
    assert issue.message == "invalid value 5: expected a string, or a mapping"
    assert issue.line == 10


def test_union_branch_that_fits_the_input_is_the_one_reported(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE + "  rate: {ratio: {numerator: {source: crm}, denominator: deals}}\n",
    )
    [issue] = issues_of(path)
    assert issue.path == ("metrics", "rate", "ratio", "numerator", "query")
    assert issue.message == "missing key 'query'"


def test_connector_config_errors_carry_the_full_path(tmp_path):
    path = write(tmp_path, "c.yaml", "sources:\n  web:\n    type: fake\n    retries: many\n")
    issues = issues_of(path)
    assert [(i.path, i.line, i.message) for i in issues] == [
        (("sources", "web", "token"), 2, "missing key 'token'"),
        # Nothing under sources is ever echoed: it may be a secret.
        (("sources", "web", "retries"), 4, "invalid value: expected an integer"),
    ]


def test_connector_query_errors_carry_the_full_path_also_inline(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE
        + "  bad: {source: crm, query: {cnt: x}}\n"
        + "  rate:\n"
        + "    ratio:\n"
        + "      numerator: {source: crm, query: {count: 1, extra: y}}\n"
        + "      denominator: deals\n",
    )
    issues = issues_of(path)
    assert [(i.path, i.line, i.message) for i in issues] == [
        # Sorted by column: the missing key points at its parent 'query', before 'cnt'.
        (("metrics", "bad", "query", "count"), 10, "missing key 'count'"),
        (("metrics", "bad", "query", "cnt"), 10, "unknown key 'cnt'"),
        (
            ("metrics", "rate", "ratio", "numerator", "query", "count"),
            13,
            "invalid value 1: expected a string",
        ),
        (("metrics", "rate", "ratio", "numerator", "query", "extra"), 13, "unknown key 'extra'"),
    ]
    assert issues[1].hint == "did you mean 'count'?"


def test_unknown_source_type_suggests_a_registered_one(tmp_path):
    path = write(tmp_path, "c.yaml", "sources:\n  web: {type: fak, token: abcdefghij}\n")
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("sources", "web", "type"), 2)
    assert issue.message == "unknown source type 'fak'"
    assert issue.hint == "did you mean 'fake'?"


def test_a_bad_source_is_reported_once_and_its_metrics_not_at_all(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        "sources:\n  web: {type: nope}\nmetrics:\n  m: {source: web, query: {anything: 1}}\n",
    )
    [issue] = issues_of(path)
    assert issue.message == "unknown source type 'nope'"
    assert "checkin" in (issue.hint or "") and "fake" in (issue.hint or "")


def test_all_issues_are_reported_together(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        "timezone: Mars/Olympus\nprogress: {ceiling: 0.5}\ncycles:\n  q: {start: 2026-01-01}\n",
    )
    issues = issues_of(path)
    assert [(i.path, i.line) for i in issues] == [
        (("timezone",), 1),
        (("progress", "ceiling"), 2),
        (("cycles", "q", "end"), 4),
    ]
    assert issues[0].message.startswith("unknown time zone 'Mars/Olympus'")


def test_valid_config_is_fully_typed(tmp_path):
    from config_helpers import FakeConfig, FakeQuery

    loaded = load(write(tmp_path, "c.yaml", BASE))
    source = loaded.config.sources["crm"]
    assert isinstance(source, FakeConfig)
    assert source.token.get_secret_value() == "tok-0123456789"
    query = loaded.config.metrics["deals"].query
    assert isinstance(query, FakeQuery) and query.count == "deals"


def test_list_length_is_explained(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "  total: {sum: [deals]}\n")
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("metrics", "total", "sum"), 10)
    assert issue.message == "needs at least 2 items, has 1"
