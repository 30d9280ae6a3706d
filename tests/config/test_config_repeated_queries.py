"""Queries written alike in many metrics are validated once, and each still gets its issues."""

from __future__ import annotations

from config_helpers import issues_of, load, write

from syncd.config.typed import _content

HEAD = """
sources:
  crm: {type: fake, token: "${env:FAKE_TOKEN}"}
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
metrics:
"""


def test_alike_queries_share_one_instance_and_differ_from_others(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        HEAD
        + "  a: {source: crm, query: {count: deals}}\n"
        + "  b: {source: crm, query: {count: deals}}\n"
        + "  c: {source: crm, query: {count: leads}}\n",
    )
    metrics = load(path).config.metrics
    assert metrics["a"].query is metrics["b"].query
    assert metrics["c"].query is not None and metrics["c"].query.count == "leads"
    assert metrics["a"].query is not None and metrics["a"].query.count == "deals"


def test_a_repeated_invalid_query_is_reported_at_every_metric(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        HEAD
        + "  a: {source: crm, query: {cuont: deals}}\n"
        + "  b: {source: crm, query: {cuont: deals}}\n",
    )
    unknown = [i for i in issues_of(path) if i.message == "unknown key 'cuont'"]
    assert [(i.path, i.line) for i in unknown] == [
        (("metrics", "a", "query", "cuont"), 6),
        (("metrics", "b", "query", "cuont"), 7),
    ]


def test_content_keeps_types_and_order():
    assert _content({"n": 1}) != _content({"n": 1.0})
    assert _content({"n": 1}) != _content({"n": True})
    assert _content({"a": 1, "b": 2}) != _content({"b": 2, "a": 1})
    assert _content({"a": [1, "x"]}) == _content({"a": [1, "x"]})
