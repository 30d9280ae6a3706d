"""Composing a config file with libyaml (PyYAML's C parser), ten times faster than ruamel.yaml's
pure-Python composer: about 5 ms instead of 50 for the demo config, paid by every command.

The result is the node tree ruamel.yaml would compose: tags are resolved by ruamel.yaml's own
YAML 1.2 resolver (so ``yes`` stays a string and ``010`` a decimal, as on the pure path), nodes
are ruamel.yaml's, aliases stay shared nodes, and each node keeps its start line and column.
Whatever this path does not handle as the pure one does raises :class:`NotComposed`, and the
caller composes with ruamel.yaml, whose messages say what is wrong and where: a syntax error, a
``%`` directive (YAML 1.1 files), deep nesting, line breaks that YAML 1.1 and 1.2 count
differently, a tab (ruamel.yaml refuses one in a plain value, libyaml accepts it), or no libyaml
at all. The caller also re-reads with ruamel.yaml a file in which it finds an issue, so every
message about a file is ruamel.yaml's.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

try:
    from yaml import YAMLError as LibYAMLError
    from yaml import nodes as libyaml_nodes
    from yaml._yaml import CParser
    from yaml.resolver import BaseResolver
except ImportError:  # pragma: no cover - PyYAML comes with apprise, libyaml with its wheels
    CParser = None

_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_PURE_ONLY = re.compile("[\t\x85\u2028\u2029]")


class NotComposed(Exception):
    """This text is for the pure-Python composer."""


def compose(text: str, max_depth: int) -> Node | None:
    """The node tree of ``text`` (``None`` for an empty document), or :class:`NotComposed`."""
    if CParser is None or _DIRECTIVE.search(text) or _PURE_ONLY.search(text):
        raise NotComposed
    try:
        root = _Parser(text).get_single_node()
    except LibYAMLError:
        raise NotComposed from None
    return None if root is None else _Converter(max_depth).node(root, 0)


if CParser is not None:
    _KINDS: dict[type[Any], type[Node]] = {
        libyaml_nodes.ScalarNode: ScalarNode,
        libyaml_nodes.SequenceNode: SequenceNode,
        libyaml_nodes.MappingNode: MappingNode,
    }

    class _Parser(CParser, BaseResolver):  # type: ignore[misc]
        """libyaml's composer asking ruamel.yaml's YAML 1.2 resolver for each implicit tag."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            BaseResolver.__init__(self)
            self._resolver = VersionedResolver(version=(1, 2))
            # A config repeats the same few scalars (names, windows, sources) thousands of
            # times; the resolver's regex walk is the same for each, so it runs once.
            self._resolved: dict[tuple[Any, str | None, Any], str] = {}

        def resolve(self, kind: type[Any], value: str | None, implicit: Any) -> str:
            key = (kind, value, implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = str(self._resolver.resolve(_KINDS[kind], value, implicit))
                self._resolved[key] = tag
            return tag


class _Converter:
    """libyaml's nodes as ruamel.yaml's; a node reached twice (an alias) converts once."""

    def __init__(self, max_depth: int) -> None:
        self._max_depth = max_depth
        self._done: dict[int, Node] = {}
        # One Tag per distinct tag text: a Tag decodes its text on first use and keeps it.
        self._tags: dict[str, Tag] = {}

    def _tag(self, text: str) -> Tag:
        tag = self._tags.get(text)
        if tag is None:
            tag = self._tags[text] = Tag(suffix=text)
        return tag

    def node(self, node: Any, depth: int) -> Node:
        done = self._done.get(id(node))
        if done is not None:
            return done
        if depth > self._max_depth // 2:  # rare in a config: ruamel.yaml judges it
            raise NotComposed
        if isinstance(node, libyaml_nodes.ScalarNode):
            converted: Node = ScalarNode(
                self._tag(node.tag), node.value, node.start_mark, node.end_mark, style=node.style
            )
            self._done[id(node)] = converted
            return converted
        items: list[Any] = []
        kind = MappingNode if isinstance(node, libyaml_nodes.MappingNode) else SequenceNode
        converted = kind(
            self._tag(node.tag), items, node.start_mark, node.end_mark, node.flow_style
        )
        self._done[id(node)] = converted  # before the children: an alias may point back here
        if kind is MappingNode:
            items.extend(
                (self.node(key, depth + 1), self.node(value, depth + 1))
                for key, value in node.value
            )
        else:
            items.extend(self.node(item, depth + 1) for item in node.value)
        return converted
