"""Reading one YAML file into plain data plus the position of every key (ruamel.yaml, safe).

The file is *composed* into a node tree, which keeps the start mark of every node, and the plain
values are built from it here, so duplicate keys are reported (all of them, with both lines)
instead of stopping at the first.

Hostile or mistyped files are bounded: the file's size, its nesting depth (ruamel.yaml's
``max_depth``, before Python's recursion limit) and the number of values built, which is what
aliases multiply ("billion laughs"); an alias to one of its own ancestors is an error. A scalar
YAML cannot construct (a 5,000-digit integer) is an issue at its line, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from syncd.config import fastyaml
from syncd.config.bounded import RefusedFile, read_regular_file
from syncd.config.sourcemap import KeyPath, Position, SourceMap
from syncd.errors import ConfigIssue

MAX_FILE_BYTES = 2 << 20
"""A config file larger than this is refused (a large one is a few hundred KiB)."""
MAX_DEPTH = 64
"""Deepest nesting of values; the language itself needs about ten levels."""
MAX_VALUES = 200_000
"""Most values one file may build, counting each use of an alias anew."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG = "tag:yaml.org,2002:int"
_YAML_HINT = (
    "check indentation (spaces only), the ':' after each key, and quote values that contain "
    "': ', '#', '{' or start with '*', '&', '@' or '%'"
)


@dataclass
class ParsedFile:
    """One file's data (``None`` when empty), where its keys are, and what was wrong with it."""

    path: Path
    data: Any = None
    positions: SourceMap = field(default_factory=SourceMap)
    issues: list[ConfigIssue] = field(default_factory=list)


def read_yaml_file(path: Path) -> ParsedFile:
    """Parse ``path``; syntax errors and duplicate keys become issues, never exceptions."""
    parsed = ParsedFile(path)
    name = str(path)
    try:
        text = read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except RefusedFile as exc:
        parsed.issues.append(
            ConfigIssue(
                f"not read: the path {exc}",
                file=name,
                hint="point -c at a YAML file or a directory of them; split a large file",
            )
        )
        return parsed
    except UnicodeDecodeError as exc:
        parsed.issues.append(
            ConfigIssue(f"cannot read the file: {exc}", file=name, hint="save it as UTF-8")
        )
        return parsed
    except OSError as exc:
        parsed.issues.append(ConfigIssue(f"cannot read the file: {exc.strerror}", file=name))
        return parsed
    # libyaml composes ten times faster; a file it leaves, or one with an issue, is read again
    # by ruamel.yaml, so every message about a file is ruamel.yaml's (see syncd.config.fastyaml).
    try:
        fast = _compose_and_build(text, path, fastyaml.compose)
        if not fast.issues:
            return fast
    except fastyaml.NotComposed:
        pass
    return _compose_and_build(text, path, None)


def _compose_and_build(
    text: str, path: Path, compose: Callable[[str, int], Node | None] | None
) -> ParsedFile:
    """``text`` composed by ``compose`` (ruamel.yaml's when ``None``), built into a file."""
    parsed = ParsedFile(path)
    name = str(path)
    yaml = YAML(typ="safe", pure=True)
    yaml.max_depth = MAX_DEPTH  # composing recurses per level: stop before Python does
    try:
        root = yaml.compose(text) if compose is None else compose(text, MAX_DEPTH)
        if root is not None:
            parsed.data = _Builder(yaml, name, parsed).build(root, ())
    except _Refused as exc:
        parsed.issues.append(exc.issue)
        parsed.data = None
    except MaxDepthExceededError as exc:
        parsed.issues.append(_too_deep(exc, name))
        parsed.data = None
    except MarkedYAMLError as exc:
        parsed.issues.append(_syntax_issue(exc, name))
        parsed.data = None
    except YAMLError as exc:
        parsed.issues.append(ConfigIssue(f"invalid YAML: {exc}", file=name, hint=_YAML_HINT))
        parsed.data = None
    return parsed


class _Refused(Exception):
    """The file cannot be used as a whole; ``issue`` says where and why."""

    def __init__(self, issue: ConfigIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _too_deep(exc: MaxDepthExceededError, file: str) -> ConfigIssue:
    mark = exc.problem_mark
    return ConfigIssue(
        f"nested more than {MAX_DEPTH} levels deep",
        file=file,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
        hint="a config needs a few levels; check for runaway brackets or indentation",
    )


def _syntax_issue(exc: MarkedYAMLError, file: str) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    words = " ".join(part for part in (exc.problem, exc.context) if part)
    return ConfigIssue(
        f"invalid YAML: {words or exc}",
        file=file,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
        hint=_YAML_HINT,
    )


def _position(node: Node, file: str) -> Position:
    return Position(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into dicts, lists and scalars, recording positions."""

    def __init__(self, yaml: YAML, file: str, parsed: ParsedFile) -> None:
        self._constructor = yaml.constructor
        self._file = file
        self._parsed = parsed
        self._built = 0
        self._open: set[int] = set()  # ids of the collections being built: the ancestors

    def build(self, node: Node, path: KeyPath) -> Any:
        self._count(node, path)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self._open:
            raise _Refused(
                self._issue(
                    node,
                    f"alias *{node.anchor} refers to a mapping or list that contains it",
                    "an alias must not point into its own anchor: that value would be infinite",
                    path,
                )
            )
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            items = []
            for index, item in enumerate(node.value):
                self._parsed.positions.add((*path, index), _position(item, self._file))
                items.append(self.build(item, (*path, index)))
            return items
        finally:
            self._open.discard(id(node))

    def _count(self, node: Node, path: KeyPath) -> None:
        self._built += 1
        if self._built > MAX_VALUES:
            raise _Refused(
                self._issue(
                    node,
                    f"builds more than {MAX_VALUES:,} values: aliases (*name) expand too much",
                    "reuse anchors sparingly; an alias of an alias of an alias multiplies",
                    path[:1],
                )
            )
        if len(path) > MAX_DEPTH:
            raise _Refused(
                self._issue(
                    node,
                    f"nested more than {MAX_DEPTH} levels deep (through aliases)",
                    "aliases of aliases nest their values; write the value out instead",
                    path,
                )
            )

    def _issue(self, node: Node, message: str, hint: str, path: KeyPath) -> ConfigIssue:
        here = _position(node, self._file)
        return ConfigIssue(
            message, path=path, file=self._file, line=here.line, column=here.column, hint=hint
        )

    def _scalar(self, node: ScalarNode) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            if node.tag == _TIMESTAMP_TAG:
                # '2026-02-30' is not a date: keep the text, validation says what is wanted.
                return str(node.value)
            if node.tag == _INT_TAG:
                message = f"an integer of {len(node.value):,} digits is out of range"
            else:
                message = f"invalid value {str(node.value)[:40]!r}: {exc}"
            raise _Refused(
                self._issue(node, message, "write a number of a sensible size, or quote text", ())
            ) from None

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            key = self._key(key_node, path)
            here = _position(key_node, self._file)
            if key in seen:
                self._parsed.issues.append(
                    ConfigIssue(
                        f"duplicate key {key!r} (first at line {seen[key]})",
                        path=(*path, key),
                        file=self._file,
                        line=here.line,
                        column=here.column,
                        hint="YAML keeps only one of them; remove or rename one",
                    )
                )
                continue
            seen[key] = here.line
            self._parsed.positions.add((*path, key), here)
            result[key] = self.build(value_node, (*path, key))
        # '<<: *anchor' merge keys: explicit keys win over merged ones, as YAML specifies.
        for source in merged:
            parts = source.value if isinstance(source, SequenceNode) else [source]
            for part in parts:
                if not isinstance(part, MappingNode):
                    continue
                merged_in = self.build(part, path)
                for key, value in merged_in.items():
                    result.setdefault(key, value)
        return result

    def _key(self, node: Node, path: KeyPath) -> str:
        # Keys of the config language are names: keep the text as written ("2026-10" stays a
        # string rather than becoming a date).
        if isinstance(node, ScalarNode):
            return str(node.value)
        raise _Refused(
            self._issue(
                node,
                "a key must be a plain name, not a mapping or a list",
                "write 'name: value'; a '?' starts a complex key",
                path,
            )
        )
