"""Reading one YAML file into plain data plus the position of every key (ruamel.yaml, safe).

The file is *composed* into a node tree, which keeps the start mark of every node, and the plain
values are built from it here, so duplicate keys are reported (all of them, with both lines)
instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from syncd.config.sourcemap import KeyPath, Position, SourceMap
from syncd.errors import ConfigIssue

_MERGE_TAG = "tag:yaml.org,2002:merge"
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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        parsed.issues.append(ConfigIssue(f"cannot read the file: {exc}", file=name))
        return parsed
    yaml = YAML(typ="safe", pure=True)
    try:
        root = yaml.compose(text)
        if root is not None:
            parsed.data = _Builder(yaml, name, parsed).build(root, ())
    except MarkedYAMLError as exc:
        parsed.issues.append(_syntax_issue(exc, name))
        parsed.data = None
    except YAMLError as exc:
        parsed.issues.append(ConfigIssue(f"invalid YAML: {exc}", file=name, hint=_YAML_HINT))
        parsed.data = None
    return parsed


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

    def build(self, node: Node, path: KeyPath) -> Any:
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self._parsed.positions.add((*path, index), _position(item, self._file))
                items.append(self.build(item, (*path, index)))
            return items
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            key = self._key(key_node)
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
                for key, value in self._mapping(part, path).items():
                    result.setdefault(key, value)
        return result

    def _key(self, node: Node) -> str:
        # Keys of the config language are names: keep the text as written ("2026-10" stays a
        # string rather than becoming a date).
        if isinstance(node, ScalarNode):
            return str(node.value)
        return str(self._constructor.construct_object(node, deep=True))
