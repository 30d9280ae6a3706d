"""Reading files: YAML syntax, duplicate keys, and merging a directory with positions kept."""

from __future__ import annotations

from config_helpers import BASE, issues_of, load, write

OBJECTIVE = """
  - id: {id}
    title: Objective {id}
    team: growth
    cycle: q4
    key_results:
      - {{id: {id}-users, title: Users, metric: deals, focus: user, baseline: 1, target: 2}}
      - {{id: {id}-money, title: Money, metric: leads, focus: business, baseline: 1, target: 2}}
"""


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        """
        cycles:
          q4: {start: 2026-10-01, end: 2026-12-31
        metrics: {}
        """,
    )
    [issue] = issues_of(path)
    assert issue.file == str(path)
    # The flow mapping opened on line 2 is still open when 'metrics:' arrives on line 3.
    assert (issue.line, issue.column) == (3, 8)
    assert issue.message.startswith("invalid YAML:")
    assert issue.hint is not None and "indentation" in issue.hint


def test_duplicate_key_in_one_file_names_both_lines(tmp_path):
    path = write(
        tmp_path,
        "dup.yaml",
        """
        timezone: UTC
        cycles:
          q4: {start: 2026-10-01, end: 2026-12-31}
          q4: {start: 2027-01-01, end: 2027-03-31}
        """,
    )
    [issue] = issues_of(path)
    assert (issue.path, issue.file, issue.line, issue.column) == (("cycles", "q4"), str(path), 4, 3)
    assert issue.message == "duplicate key 'q4' (first at line 3)"


def test_top_level_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    [issue] = issues_of(path)
    assert issue.file == str(path) and issue.line == 1
    assert "top level must be a mapping" in issue.message


def test_empty_file_contributes_nothing(tmp_path):
    write(tmp_path, "conf/empty.yaml", "")
    write(tmp_path, "conf/base.yaml", BASE)
    loaded = load(tmp_path / "conf")
    assert sorted(loaded.config.metrics) == ["deals", "leads", "nps"]
    assert [p.name for p in loaded.files] == ["base.yaml", "empty.yaml"]


def test_directory_merge_keeps_positions_of_the_right_file(tmp_path):
    conf = tmp_path / "conf"
    write(
        conf,
        "a.yaml",
        BASE + "objectives:" + OBJECTIVE.format(id="one") + OBJECTIVE.format(id="two"),
    )
    # b.yaml's only objective becomes objectives[2]; its bad KR sits on line 7 of b.yaml.
    b = write(
        conf,
        "teams/b.yml",
        """
        objectives:
          - id: three
            title: Third
            team: sales
            cycle: q4
            key_results:
              - {id: t1, title: T, metric: deals, focus: user, baseline: 5, target: 5}
        """,
    )
    [issue] = issues_of(conf)
    assert issue.path == ("objectives", 2, "key_results", 0)
    assert (issue.file, issue.line, issue.column) == (str(b), 7, 9)
    assert issue.message == "baseline and target are both 5.0: nothing to make progress on"


def test_merged_locate_maps_each_list_item_to_its_file(tmp_path):
    conf = tmp_path / "conf"
    a = write(conf, "a.yaml", BASE + "objectives:" + OBJECTIVE.format(id="one"))
    b = write(conf, "b.yaml", "objectives:" + OBJECTIVE.format(id="two"))
    loaded = load(conf)
    assert [o.id for o in loaded.config.objectives] == ["one", "two"]
    # BASE has 9 lines, then "objectives:" and a blank-free item starting on line 11.
    assert loaded.locate(("objectives", 0)) == (str(a), 11)
    assert loaded.locate(("objectives", 1, "key_results", 1)) == (str(b), 8)
    assert loaded.locate(("metrics", "nps", "query", "max")) == (str(a), 9)
    # A key left at its default is located at its closest written ancestor.
    assert loaded.locate(("objectives", 1, "commitment")) == (str(b), 2)


def test_same_name_in_two_files_names_both(tmp_path):
    conf = tmp_path / "conf"
    a = write(conf, "a.yaml", BASE)
    b = write(
        conf,
        "b.yaml",
        """
        metrics:
          revenue: {source: crm, query: {count: revenue}}
          deals: {source: crm, query: {count: other}}
        """,
    )
    [issue] = issues_of(conf)
    assert issue.path == ("metrics", "deals")
    assert (issue.file, issue.line) == (str(b), 3)
    assert issue.message == f"metric 'deals' is defined twice: here and at {a}:7"


def test_scalar_section_may_be_set_by_one_file_or_identically(tmp_path):
    conf = tmp_path / "conf"
    write(conf, "a.yaml", "timezone: Europe/Zurich\n" + BASE)
    write(conf, "b.yaml", "timezone: Europe/Zurich\n")
    assert load(conf).config.timezone == "Europe/Zurich"
    c = write(conf, "c.yaml", "# other team\ntimezone: UTC\n")
    [issue] = issues_of(conf)
    assert (issue.path, issue.file, issue.line) == (("timezone",), str(c), 2)
    assert issue.message == f"'timezone' is set differently here and at {conf / 'a.yaml'}:1"


def test_anchors_merge_keys_and_x_holders(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        """
        x-quarter: &quarter {start: 2026-10-01, end: 2026-12-31}
        cycles:
          q4: {<<: *quarter}
          q4-short: {<<: *quarter, end: 2026-11-30}
        """,
    )
    loaded = load(path)
    assert {
        name: (c.start.isoformat(), c.end.isoformat()) for name, c in loaded.config.cycles.items()
    } == {
        "q4": ("2026-10-01", "2026-12-31"),
        "q4-short": ("2026-10-01", "2026-11-30"),
    }
    # The explicit key is located where it is written, the merged one at the anchor.
    assert loaded.locate(("cycles", "q4-short", "end")) == (str(path), 4)
    assert loaded.locate(("cycles", "q4", "start")) == (str(path), 1)
