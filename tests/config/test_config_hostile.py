"""Hostile or mistyped files: bounded YAML, bounded secret files, out-of-range dates and
durations, schedules that never fire, non-finite numbers. Each is an issue with a place."""

from __future__ import annotations

import os

import pytest
from config_helpers import BASE, issues_of, load, write

from syncd.config import yamlfile
from syncd.config.secrets import MAX_SECRET_BYTES

OBJECTIVE = """
objectives:
  - id: grow
    title: Grow
    team: growth
    cycle: q4
    key_results:
      - {{id: users, title: Users, metric: deals, focus: user, {kr}}}
      - {{id: money, title: Money, metric: leads, focus: business, baseline: 1, target: 2}}
"""
KR_LINE = 17  # the line of the first KR in BASE + OBJECTIVE


def with_kr(tmp_path, kr: str, base: str = BASE):
    return write(tmp_path, "c.yaml", base + OBJECTIVE.format(kr=kr))


def billion_laughs(levels: int = 10) -> str:
    text = "x-0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in range(1, levels):
        text += f"x-{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
    return text


def test_billion_laughs_stops_at_the_value_budget(tmp_path):
    path = write(tmp_path, "c.yaml", billion_laughs())
    [issue] = issues_of(path)
    assert issue.file == str(path)
    assert (
        issue.message
        == f"builds more than {yamlfile.MAX_VALUES:,} values: aliases (*name) expand too much"
    )
    assert issue.path == ("x-5",) or issue.path[0].startswith("x-")
    assert issue.line is not None and 1 <= issue.line <= 10


def test_a_few_aliases_still_work(tmp_path):
    text = (
        BASE
        + "x-kr: &kr {metric: deals, focus: user, baseline: 1, target: 2}\n"
        + OBJECTIVE.format(kr="baseline: 1, target: 2").replace(
            "{id: money, title: Money, metric: leads, focus: business, baseline: 1, target: 2}",
            "{<<: *kr, id: money, title: Money, focus: business}",
        )
    )
    loaded = load(write(tmp_path, "c.yaml", text))
    _, kr = loaded.config.key_result("money")
    assert (kr.metric, kr.focus, kr.baseline, kr.target) == ("deals", "business", 1.0, 2.0)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("x-a: &a [1, *a]\n", 1, 6),
        ("x-a: &a {b: 1, c: [*a]}\n", 1, 6),
        ("x-a: &a {b: 1, <<: *a}\n", 1, 6),
    ],
)
def test_recursive_anchors_are_an_issue(tmp_path, text, line, column):
    path = write(tmp_path, "c.yaml", text)
    [issue] = issues_of(path)
    assert issue.message == "alias *a refers to a mapping or list that contains it"
    assert (issue.file, issue.line, issue.column) == (str(path), line, column)


def test_deep_nesting_is_an_issue_not_a_recursion_error(tmp_path):
    path = write(tmp_path, "c.yaml", "x-a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    [issue] = issues_of(path)
    assert issue.message == f"nested more than {yamlfile.MAX_DEPTH} levels deep"
    # The top-level mapping is the first level: the 64th bracket, at column 69, is one too many.
    assert (issue.line, issue.column) == (1, 5 + yamlfile.MAX_DEPTH)


def test_nesting_through_chained_aliases_is_bounded(tmp_path):
    # Each anchor is shallow; built out, the last one is 200 levels deep.
    text = "x-0: &a0 [1]\n" + "".join(f"x-{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 200))
    [issue] = issues_of(write(tmp_path, "c.yaml", text))
    assert issue.message == f"nested more than {yamlfile.MAX_DEPTH} levels deep (through aliases)"


def test_a_complex_key_is_an_issue(tmp_path):
    path = write(tmp_path, "c.yaml", "cycles:\n  ? [a, b]\n  : {start: 2026-10-01}\n")
    [issue] = issues_of(path)
    assert issue.message == "a key must be a plain name, not a mapping or a list"
    assert (issue.line, issue.path) == (2, ("cycles",))


def test_a_5000_digit_integer_is_an_issue_at_its_line(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "notifications:\n  attempts: " + "9" * 5000 + "\n")
    [issue] = issues_of(path)
    assert issue.message == "an integer of 5,000 digits is out of range"
    assert (issue.file, issue.line, issue.column) == (str(path), 11, 13)


def test_an_impossible_date_is_a_date_error_at_its_key(tmp_path):
    path = write(tmp_path, "c.yaml", BASE.replace("end: 2026-12-31", "end: 2026-02-30"))
    [issue] = issues_of(path)
    assert issue.path == ("cycles", "q4", "end")
    assert issue.message == "invalid value '2026-02-30': expected a date (YYYY-MM-DD)"
    assert issue.line == 5


@pytest.mark.parametrize(
    ("cycle", "bad"),
    [
        ("{start: 0001-01-01, end: 2026-12-31}", "0001-01-01"),
        ("{start: 2026-10-01, end: 9999-12-31}", "9999-12-31"),
    ],
)
def test_cycles_near_the_ends_of_time_are_refused(tmp_path, cycle, bad):
    base = BASE.replace("{start: 2026-10-01, end: 2026-12-31}", cycle)
    [issue] = issues_of(with_kr(tmp_path, "baseline: 1, target: 2", base))
    assert issue.line == 5
    assert issue.message == (
        f"date {bad} is out of range: use a date from 1900-01-01 to 2999-12-31"
    )


def test_since_year_one_is_refused(tmp_path):
    base = BASE.replace(
        "nps: {source: survey, query: {max: 100}}",
        "nps: {source: survey, query: {max: 100}, window: 'since:0001-01-01'}",
    )
    [issue] = issues_of(with_kr(tmp_path, "baseline: 1, target: 2", base))
    assert issue.path == ("metrics", "nps", "window")
    assert "date 0001-01-01 is out of range" in issue.message


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 0 30 2 *", "cron expression '0 0 30 2 *' never fires"),
        ("0 0 31 4,6 *", "cron expression '0 0 31 4,6 *' never fires"),
        ("every 99999999999d", "'every 99999999999d': the longest interval is 366d"),
    ],
)
def test_schedules_that_never_fire_are_refused(tmp_path, schedule, message):
    [issue] = issues_of(with_kr(tmp_path, f"baseline: 1, target: 2, schedule: '{schedule}'"))
    assert issue.path == ("objectives", 0, "key_results", 0, "schedule")
    assert issue.line == KR_LINE
    assert issue.message.startswith(message)


def test_a_schedule_without_a_slot_in_its_cycle_is_refused(tmp_path):
    # 2 January comes after the Q4 cycle's end (1 January 00:00 is still its closing slot).
    [issue] = issues_of(with_kr(tmp_path, "baseline: 1, target: 2, schedule: '0 6 2 1 *'"))
    assert issue.path == ("objectives", 0, "key_results", 0, "schedule")
    assert issue.line == KR_LINE
    assert issue.message == (
        "schedule '0 6 2 1 *' has no slot in cycle 'q4' (2026-10-01 to 2026-12-31): key result "
        "'users' would never be measured"
    )


def test_a_yearly_schedule_with_a_slot_in_its_cycle_loads(tmp_path):
    loaded = load(with_kr(tmp_path, "baseline: 1, target: 2, schedule: '0 6 1 11 *'"))
    assert loaded.config.key_result("users")[1].schedule == "0 6 1 11 *"


def test_huge_durations_are_refused(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "daemon: {catch_up: 99999999999999d}\n")
    [issue] = issues_of(path)
    assert issue.path == ("daemon", "catch_up")
    assert issue.message == "duration '99999999999999d' is too long; at most 3660d"


@pytest.mark.parametrize(
    ("kr", "key", "shown"),
    [
        ("baseline: .nan, target: 2", "baseline", "nan"),
        ("baseline: 1, target: .inf", "target", "inf"),
        ("baseline: 1, target: -.inf", "target", "-inf"),
        ("baseline: 'nan', target: 2", "baseline", "'nan'"),
        ("baseline: 1, target: 2, weight: .inf", "weight", "inf"),
    ],
)
def test_non_finite_kr_numbers_are_refused(tmp_path, kr, key, shown):
    [issue] = issues_of(with_kr(tmp_path, kr))
    assert issue.path == ("objectives", 0, "key_results", 0, key)
    assert issue.line == KR_LINE
    assert issue.message == f"invalid value {shown}: expected a finite number"


def test_non_finite_band_pacing_and_thresholds_are_refused(tmp_path):
    text = (
        BASE
        + """progress: {at_risk_gap: .nan}
objectives:
  - id: grow
    title: Grow
    team: growth
    cycle: q4
    key_results:
      - {id: users, title: Users, metric: deals, focus: user, maintain: {at_least: -.inf}}
      - id: money
        title: Money
        metric: leads
        focus: business
        baseline: 1
        target: 2
        pacing: {points: [{at: 2026-11-01, expected: .inf}]}
"""
    )
    issues = issues_of(write(tmp_path, "c.yaml", text))
    assert {issue.path: issue.line for issue in issues} == {
        ("progress", "at_risk_gap"): 10,
        ("objectives", 0, "key_results", 0, "maintain", "at_least"): 17,
        ("objectives", 0, "key_results", 1, "pacing", "points", 0, "expected"): 24,
    }
    assert {issue.message for issue in issues} == {
        "invalid value nan: expected a finite number",
        "invalid value -inf: expected a finite number",
        "invalid value inf: expected a finite number",
    }


def test_numbers_beyond_the_largest_are_refused(tmp_path):
    issues = issues_of(with_kr(tmp_path, "baseline: -1e300, target: 1e300"))
    assert [(issue.path[-1], issue.message) for issue in issues] == [
        ("baseline", "-1e+300 is out of range: use a number within ±1e+15"),
        ("target", "1e+300 is out of range: use a number within ±1e+15"),
    ]


def test_non_finite_numbers_in_a_connector_query_are_refused(tmp_path):
    base = BASE.replace("query: {max: 100}", "query: {max: .inf}")
    [issue] = issues_of(with_kr(tmp_path, "baseline: 1, target: 2", base))
    assert issue.path == ("metrics", "nps", "query", "max")
    assert issue.line == 9
    assert issue.message == "invalid value inf: expected a finite number"


def test_a_secret_file_that_is_a_device_is_refused(tmp_path):
    path = write(tmp_path, "c.yaml", 'store: "${file:/dev/zero}"\n')
    [issue] = issues_of(path, {})
    assert issue.message == "secret file /dev/zero is not a regular file (a device)"
    assert (issue.path, issue.line) == (("store",), 1)


def test_a_secret_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    [issue] = issues_of(write(tmp_path, "c.yaml", f'store: "${{file:{fifo}}}"\n'), {})
    assert issue.message == f"secret file {fifo} is not a regular file (a FIFO)"


def test_a_secret_file_over_the_bound_is_refused(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"k" * (MAX_SECRET_BYTES + 1))
    [issue] = issues_of(write(tmp_path, "c.yaml", f'store: "${{file:{big}}}"\n'), {})
    assert issue.message == f"secret file {big} is larger than 64 KiB"
    assert "k" * 20 not in issue.render()


def test_a_config_path_that_is_a_device_is_refused():
    [issue] = issues_of(__import__("pathlib").Path("/dev/zero"))
    assert issue.file == "/dev/zero"
    assert issue.message == "not read: the path is not a regular file (a device)"


def test_a_config_file_over_the_bound_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 1000)
    path = write(tmp_path, "c.yaml", "# " + "x" * 1000 + "\n")
    [issue] = issues_of(path)
    assert issue.message == "not read: the path is larger than 1000 bytes"
