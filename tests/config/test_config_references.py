"""Cross-reference checks, each at the offending key."""

from __future__ import annotations

from config_helpers import BASE, issues_of, load, write


def kr(kr_id: str, metric: str = "deals", focus: str = "user") -> str:
    return (
        f"      - {{id: {kr_id}, title: T, metric: {metric}, focus: {focus}, "
        "baseline: 1, target: 2}\n"
    )


def obj(obj_id: str, *krs: str, cycle: str = "q4", parent: str | None = None) -> str:
    text = f"  - id: {obj_id}\n    title: O\n    team: growth\n    cycle: {cycle}\n"
    if parent:
        text += f"    parent: {parent}\n"
    return text + "    key_results:\n" + "".join(krs)


def test_metric_naming_a_missing_source(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "  won:\n    source: crn\n    query: {count: won}\n")
    [issue] = issues_of(path)
    assert issue.path == ("metrics", "won", "source")
    assert (issue.file, issue.line, issue.column) == (str(path), 11, 5)
    assert issue.message == "unknown source 'crn'"
    assert issue.hint == "did you mean 'crm'?"


def test_inline_operand_naming_a_missing_source(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE + "  rate:\n    ratio:\n      numerator: {source: web, query: {count: x}}\n"
        "      denominator: deals\n",
    )
    [issue] = issues_of(path)
    assert issue.path == ("metrics", "rate", "ratio", "numerator", "source")
    assert issue.line == 12
    assert issue.hint == "defined sources: crm, survey"


def test_kr_metric_and_objective_cycle_must_exist(tmp_path):
    path = write(
        tmp_path, "c.yaml", BASE + "objectives:\n" + obj("o", kr("a", "dealz"), cycle="q5")
    )
    issues = issues_of(path)
    assert [(i.path, i.line, i.message, i.hint) for i in issues] == [
        (("objectives", 0, "cycle"), 14, "unknown cycle 'q5'", "defined cycles: q4"),
        (
            ("objectives", 0, "key_results", 0, "metric"),
            16,
            "unknown metric 'dealz'",
            "did you mean 'deals'?",
        ),
    ]


def test_parent_must_exist(tmp_path):
    path = write(tmp_path, "c.yaml", BASE + "objectives:\n" + obj("o", kr("a"), parent="top"))
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("objectives", 0, "parent"), 15)
    assert issue.message == "unknown objective 'top'"


def test_alignment_cycle(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE + "objectives:\n" + obj("a", kr("k1"), parent="b") + obj("b", kr("k2"), parent="a"),
    )
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("objectives", 0, "parent"), 15)
    assert issue.message == "objectives align to each other in a circle: a → b → a"


def test_duplicate_objective_and_kr_ids_across_files(tmp_path):
    conf = tmp_path / "conf"
    a = write(conf, "a.yaml", BASE + "objectives:\n" + obj("o", kr("k1"), kr("k2")))
    b = write(conf, "b.yaml", "objectives:\n" + obj("o", kr("k3"), kr("k1")))
    issues = issues_of(conf)
    assert [(i.path, i.file, i.line, i.message) for i in issues] == [
        (("objectives", 1, "id"), str(b), 2, f"objective id 'o' is used twice (first at {a}:11)"),
        (
            ("objectives", 1, "key_results", 1, "id"),
            str(b),
            8,
            f"key result id 'k1' is used twice (first at {a}:16)",
        ),
    ]


def test_initiative_must_move_an_existing_kr(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE
        + "objectives:\n"
        + obj("o", kr("k1"))
        + "initiatives:\n  - id: i\n    title: I\n    start: 2026-10-02\n"
        + "    moves: [{key_result: k1}, {key_result: k9, by: 3}]\n",
    )
    [issue] = issues_of(path)
    assert (issue.path, issue.line) == (("initiatives", 0, "moves", 1, "key_result"), 21)
    assert issue.message == "unknown key result 'k9'"


def test_derived_metric_references_exist_and_are_not_circular(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE
        + "  a: {sum: [deals, b]}\n"
        + "  b: {difference: [a, leads]}\n"
        + "  c: {growth: {of: missing}}\n",
    )
    issues = issues_of(path)
    assert [(i.path, i.line, i.message) for i in issues] == [
        (("metrics", "a", "sum", 1), 10, "metrics refer to each other in a circle: a → b → a"),
        (("metrics", "c", "growth", "of"), 12, "unknown metric 'missing'"),
    ]


def test_derived_metric_cannot_use_a_manual_source(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        BASE
        + "  per_deal: {ratio: {numerator: nps, denominator: deals}}\n"
        + "  total: {sum: [deals, {source: survey, query: {max: 5}}]}\n",
    )
    issues = issues_of(path)
    assert [(i.path, i.line) for i in issues] == [
        (("metrics", "per_deal", "ratio", "numerator"), 10),
        (("metrics", "total", "sum", 1), 11),
    ]
    assert "check-ins" in issues[0].message


def test_a_kr_may_use_a_manual_metric(tmp_path):
    loaded = load(write(tmp_path, "c.yaml", BASE + "objectives:\n" + obj("o", kr("k1", "nps"))))
    assert loaded.config.key_result("k1")[1].metric == "nps"
