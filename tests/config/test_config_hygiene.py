"""Hygiene warnings (DESIGN §1): reported with file and line, never blocking the load."""

from __future__ import annotations

from config_helpers import BASE, load, write

USER = "      - {{id: {id}, title: T, metric: deals, focus: user, baseline: 1, target: 2}}\n"
BUSINESS = (
    "      - {{id: {id}, title: T, metric: leads, focus: business, baseline: 1, target: 2}}\n"
)


def obj(obj_id: str, krs: str, team: str = "growth") -> str:
    return (
        f"  - id: {obj_id}\n    title: O\n    team: {team}\n    cycle: q4\n    key_results:\n{krs}"
    )


def balanced(obj_id: str, team: str = "growth") -> str:
    return obj(obj_id, USER.format(id=f"{obj_id}-u") + BUSINESS.format(id=f"{obj_id}-b"), team)


def warnings_of(tmp_path, objectives: str):
    path = write(tmp_path, "c.yaml", BASE + "objectives:\n" + objectives)
    return path, load(path).warnings


def test_balanced_objective_has_no_warnings(tmp_path):
    _, warnings = warnings_of(tmp_path, balanced("a"))
    assert warnings == ()


def test_more_than_three_objectives_per_team_and_cycle(tmp_path):
    # Each balanced objective takes 7 lines; the 4th starts on line 11 + 3 * 7 = 32.
    path, warnings = warnings_of(
        tmp_path, "".join(balanced(x) for x in "abcd") + balanced("e", team="sales")
    )
    [warning] = warnings
    assert (warning.path, warning.file, warning.line, warning.loud) == (
        ("objectives", 3),
        str(path),
        32,
        False,
    )
    assert warning.message == "team 'growth' has 4 objectives in cycle 'q4': keep it to 3 or fewer"
    assert warning.render() == (
        f"warning: {path}:32: objectives[3]: team 'growth' has 4 objectives in cycle 'q4': "
        "keep it to 3 or fewer"
    )


def test_more_than_five_objectives_is_loud(tmp_path):
    _, warnings = warnings_of(tmp_path, "".join(balanced(x) for x in "abcdef"))
    [warning] = warnings
    assert warning.loud is True
    assert warning.message.startswith("team 'growth' has 6 objectives")


def test_too_few_key_results(tmp_path):
    _, warnings = warnings_of(tmp_path, obj("a", USER.format(id="u")))
    assert [(w.path, w.line, w.message) for w in warnings] == [
        (
            ("objectives", 0),
            11,
            "objective 'a' has 1 key result; 2 to 4 keep it measurable and focused",
        ),
        (
            ("objectives", 0),
            11,
            "objective 'a' has no business key result; a balanced objective proves both the "
            "customer outcome and the business effect",
        ),
    ]


def test_too_many_key_results(tmp_path):
    krs = USER.format(id="u") + "".join(BUSINESS.format(id=f"b{i}") for i in range(4))
    _, warnings = warnings_of(tmp_path, obj("a", krs))
    assert [w.message for w in warnings] == [
        "objective 'a' has 5 key results; 2 to 4 keep it measurable and focused"
    ]


def test_objective_without_user_kr(tmp_path):
    krs = BUSINESS.format(id="b1") + BUSINESS.format(id="b2")
    _, warnings = warnings_of(tmp_path, obj("a", krs))
    assert [w.message.split(";")[0] for w in warnings] == ["objective 'a' has no user key result"]


def test_binary_kr_by_unit_and_by_zero_to_one(tmp_path):
    krs = (
        USER.format(id="u")
        + "      - {id: shipped, title: Ship it, metric: leads, focus: business, unit: done,"
        " baseline: 0, target: 1}\n"
        + "      - {id: flag, title: Flag, metric: leads, focus: business,"
        " baseline: 0, target: 1}\n"
        + "      - {id: share, title: Share, metric: leads, focus: business, unit: percent,"
        " baseline: 0, target: 1}\n"
    )
    _, warnings = warnings_of(tmp_path, obj("a", krs))
    assert [(w.path, w.line) for w in warnings] == [
        (("objectives", 0, "key_results", 1), 17),
        (("objectives", 0, "key_results", 2), 18),
    ]
    assert warnings[0].message.startswith("key result 'shipped' is binary")


def test_kr_without_metric_binding(tmp_path):
    krs = USER.format(id="u") + (
        "      - {id: manual, title: M, focus: business, baseline: 1, target: 9}\n"
    )
    path, warnings = warnings_of(tmp_path, obj("a", krs))
    [warning] = warnings
    assert (warning.path, warning.file, warning.line) == (
        ("objectives", 0, "key_results", 1),
        str(path),
        17,
    )
    assert warning.message == "key result 'manual' has no metric binding: values only by check-in"
