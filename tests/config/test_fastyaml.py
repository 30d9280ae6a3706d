"""The libyaml path reads a file exactly as ruamel.yaml's pure-Python one does (values, YAML 1.2
types, positions, issues), and hands anything unusual to ruamel.yaml (issue 12: the config is
read by every command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import fastyaml
from syncd.config.yamlfile import MAX_DEPTH, ParsedFile, read_yaml_file

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "yaml 1.2 scalars": """
        words: [yes, no, on, off, y, n, True, FALSE, ~, null, Null, '']
        numbers: [010, 0o17, 0x1F, 1_000, 1:20, +5, -0, .5, 1e3, 6.02E+23, .inf, -.Inf, .NaN]
        days: [2026-10-01, 2026-10-01T06:00:00Z, 2026-10-01 06:00:00+02:00, 2026-02-30]
        keys: {2026-10: month, 12: twelve, true: flag}
        quoted: ["010", 'yes', "a\\tb", 'it''s']
        tagged: [!!str 42, !!int "7", !!float 1, ! 12]
    """,
    "block scalars and unicode": """
        note: |
          first line
            indented
        folded: >-
          one
          two
        name: "Zürich 東京 🚀"
        empty:
        comment: value # trailing
    """,
    "anchors, aliases and merge keys": """
        base: &base {window: 7d, source: warehouse}
        other: &list [1, 2, 3]
        metric:
          <<: *base
          window: 30d
          items: *list
        several:
          <<: [*base, {extra: 1}]
    """,
    "duplicate keys": """
        timezone: UTC
        cycles:
          q4: {start: 2026-10-01, end: 2026-12-31}
          q4: {start: 2027-01-01, end: 2027-03-31}
    """,
    "windows line ends and tabs in values": "a: 1\r\nb:\r\n  - x\tand y\r\n  - 'q'\r\n",
    "a byte order mark": "\ufeffkey: value\nlist: [1, 2]\n",
    "an empty file": "",
    "only a comment": "# nothing here\n",
    "a syntax error": "cycles:\n  q4: {start: 2026-10-01, end: 2026-12-31\nmetrics: {}\n",
    "a tab indent": "a:\n\tb: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "an undefined alias": "a: *nowhere\n",
    "a yaml 1.1 directive": "%YAML 1.1\n---\nflag: yes\n",
    "a huge integer": "n: " + "9" * 5000 + "\n",
    "an alias inside its own anchor": "a: &loop [1, *loop]\n",
    "a non-scalar key": "? [a, b]\n: 1\n",
    "deep nesting": "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",
    "nesting near the limit": "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n",
    "a yaml 1.1 line break": "a: one\u2028two\nb: 2\n",
}


def pure(path: Path, monkeypatch: pytest.MonkeyPatch) -> ParsedFile:
    """``read_yaml_file`` on ruamel.yaml's pure-Python composer alone."""

    def refuse(text: str, max_depth: int) -> None:
        raise fastyaml.NotComposed

    with monkeypatch.context() as patch:
        patch.setattr(fastyaml, "compose", refuse)
        return read_yaml_file(path)


def same(fast: ParsedFile, slow: ParsedFile) -> None:
    assert repr(fast.data) == repr(slow.data)  # repr: NaN != NaN, and int vs bool vs float
    assert fast.positions == slow.positions
    assert fast.issues == slow.issues


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fast_path_reads_each_case_as_ruamel_yaml_does(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASES[name].replace("\n        ", "\n"), encoding="utf-8", newline="")
    same(read_yaml_file(path), pure(path, monkeypatch))


@pytest.mark.parametrize("name", ["demo.yaml", "example.yaml"])
def test_the_shipped_configs_read_the_same_on_both_paths(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ROOT / "config" / name
    fast = read_yaml_file(path)
    assert fast.issues == []
    assert fast.positions.get(("sources",)) is not None
    same(fast, pure(path, monkeypatch))


def test_the_demo_config_takes_the_fast_path() -> None:
    text = (ROOT / "config" / "demo.yaml").read_text(encoding="utf-8")
    root = fastyaml.compose(text, MAX_DEPTH)
    assert root is not None and root.tag == "tag:yaml.org,2002:map"


@pytest.mark.parametrize(
    "text",
    [
        "%YAML 1.1\n---\na: 1\n",
        "a: [1\n",
        "a: 1\n---\nb: 2\n",
        "a: x\u2028y\n",
        "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
    ],
)
def test_what_the_fast_path_leaves_to_ruamel_yaml(text: str) -> None:
    with pytest.raises(fastyaml.NotComposed):
        fastyaml.compose(text, MAX_DEPTH)
