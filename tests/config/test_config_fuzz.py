"""Config fuzzing: mutated copies of the example and demo configs go through the loader.

Each mutation deletes keys, swaps types, inserts huge or non-finite numbers, impossible dates,
odd strings, deep nesting, shared and recursive anchors, or raw YAML text. The loader either
loads the result or raises ``ConfigError`` whose every issue names its file and line; any
other exception is a bug. ``SYNCD_FUZZ_EXAMPLES`` raises the number of examples for a long run.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from syncd.config import load_config
from syncd.errors import ConfigError

ROOT = Path(__file__).parents[2]
SEEDS = {name: ROOT / "config" / f"{name}.yaml" for name in ("example", "demo")}
EXAMPLES = int(os.environ.get("SYNCD_FUZZ_EXAMPLES", "40"))

# Written into the document as raw YAML text, in place of a value.
RAW = [
    "9" * 5000,
    "-" + "1" * 400,
    ".nan",
    ".inf",
    "-.inf",
    "1e400",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "2026-13-01T25:61:00",
    "*undefined",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "!!float abc",
    "[" * 200 + "]" * 200,
    "{a: 1, a: 2}",
    "&loop [*loop]",
    "'${file:/dev/zero}'",
    "'${env:}'",
    "'${file:relative}'",
    "'${nope:x}'",
    "'every 99999999999d'",
    "'every 0m'",
    "'0 0 30 2 *'",
    "'61 25 * * *'",
    "'since:0001-01-01'",
    "'since:2026-02-30'",
    "'trailing_0d'",
    "'trailing_99999d'",
    "'99999999999999999999d'",
    "'Mars/Olympus'",
    "'host:99999'",
    '"\\u0000\\ud800"',
]
PLAIN = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(),
    st.just("x" * 5000),
    st.just(""),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

_yaml = YAML(typ="safe", pure=True)


def _read(path: Path) -> Any:
    return _yaml.load(path.read_text(encoding="utf-8"))


SEED_DATA = {name: _read(path) for name, path in SEEDS.items()}


class Raw:
    """Raw YAML text to splice in where this object is dumped."""

    def __init__(self, text: str) -> None:
        self.text = text


def _paths(value: Any) -> list[tuple[Any, ...]]:
    """Every path into ``value``, each shared or recursive container walked once."""
    found: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        found.append(path)
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((item, (*path, key)) for key, item in items)
    return found


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        root = root[part]
    return root


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, list[Raw]]:
    """A seed config with one to four mutations, as YAML text."""
    doc = _copy(SEED_DATA[draw(st.sampled_from(sorted(SEED_DATA)))])
    raws: list[Raw] = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        kind = draw(st.sampled_from(["delete", "plain", "raw", "swap", "share", "nest", "recurse"]))
        target = _get(doc, path)
        if kind == "delete" and path:
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        elif kind == "plain":
            doc = _set(doc, path, draw(PLAIN))
        elif kind == "raw":
            raw = Raw(draw(st.sampled_from(RAW)))
            raws.append(raw)
            doc = _set(doc, path, raw)
        elif kind == "swap":
            if isinstance(target, dict):
                swapped: Any = list(target.values())
            elif isinstance(target, list):
                swapped = {f"k{i}": item for i, item in enumerate(target)}
            else:
                swapped = {"value": target}
            doc = _set(doc, path, swapped)
        elif kind == "share" and path:
            # The same object at two places: the dumper writes an anchor and an alias.
            other = draw(st.sampled_from(_paths(doc)))
            if other[: len(path)] != path and path[: len(other)] != other:
                doc = _set(doc, path, _get(doc, other))
        elif kind == "nest":
            depth = draw(st.integers(1, 120))
            nested: Any = target
            for _ in range(depth):
                nested = [nested]
            doc = _set(doc, path, nested)
        elif kind == "recurse" and isinstance(target, dict | list):
            if isinstance(target, dict):
                target["self"] = target
            else:
                target.append(target)
    return _dump(doc, raws), raws


def _dump(doc: Any, raws: list[Raw]) -> str:
    placeholders: dict[int, str] = {}

    def replace(value: Any, seen: set[int]) -> Any:
        if isinstance(value, Raw):
            placeholders.setdefault(id(value), f"RAWVALUE{len(placeholders)}")
            return placeholders[id(value)]
        if id(value) in seen:
            return value
        if isinstance(value, dict):
            seen.add(id(value))
            for key in list(value):
                value[key] = replace(value[key], seen)
        elif isinstance(value, list):
            seen.add(id(value))
            for index, item in enumerate(value):
                value[index] = replace(item, seen)
        return value

    doc = replace(doc, set())
    dumper = YAML(typ="safe", pure=True)
    stream = io.StringIO()
    dumper.dump(doc, stream)
    text = stream.getvalue()
    for raw in raws:
        name = placeholders.get(id(raw))
        if name is not None:
            text = re.sub(rf"\b{name}\b", lambda _, raw=raw: raw.text, text)
    return text


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated(), read_secrets=st.booleans())
def test_mutated_configs_load_or_fail_with_located_issues(tmp_path_factory, case, read_secrets):
    text, _ = case
    path = tmp_path_factory.mktemp("fuzz") / "syncd.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_config(path, environ={}, read_secrets=read_secrets)
    except ConfigError as exc:
        event(
            f"config error, {min(len(exc.issues), 3)}{'+' if len(exc.issues) > 2 else ''} issue(s)"
        )
        assert exc.issues, "a ConfigError without issues"
        for issue in exc.issues:
            assert issue.file == str(path), issue.render()
            assert issue.line is not None and issue.line >= 1, issue.render()
            assert issue.render().startswith(f"{path}:{issue.line}")
    else:
        event("loaded")
        assert loaded.files == (path,)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seed_configs_are_valid(name):
    # The fuzzing starts from valid documents: a mutation's failure is the mutation's.
    loaded = load_config(SEEDS[name], environ={}, read_secrets=False)
    assert loaded.config.key_results()
