"""A query's digest is computed once per query object and always equals its content's digest."""

from __future__ import annotations

import gc
import hashlib
import json
from datetime import UTC, datetime

from syncd.abc import _FINGERPRINTS, MetricRequest, QueryModel, Window


class Query(QueryModel):
    sql: str
    params: dict[str, int] = {}


def digest(content: dict[str, object]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def test_the_digest_is_the_contents_and_kept_per_query():
    query = Query(sql="SELECT 1", params={"b": 2, "a": 1})
    expected = digest({"sql": "SELECT 1", "params": {"a": 1, "b": 2}})
    assert query.fingerprint() == expected
    assert query.fingerprint() == expected  # from the cache
    assert Query(sql="SELECT 1", params={"a": 1, "b": 2}).fingerprint() == expected
    assert Query(sql="SELECT 2").fingerprint() == digest({"sql": "SELECT 2", "params": {}})


def test_a_dropped_query_leaves_no_digest_behind():
    query = Query(sql="SELECT 3")
    query.fingerprint()
    key = id(query)
    assert key in _FINGERPRINTS
    del query
    gc.collect()
    assert key not in _FINGERPRINTS


def test_a_request_key_is_computed_once_and_equal_for_equal_requests():
    window = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    first = MetricRequest("warehouse", Query(sql="SELECT 1"), window)
    second = MetricRequest("warehouse", Query(sql="SELECT 1"), window)
    assert first.key is first.key
    assert first.key == second.key
    assert first == second
    assert first.key[1] == digest({"sql": "SELECT 1", "params": {}})
