"""Cross-reference checks: every name a config refers to exists, and nothing refers in circles.

They run on the merged data (not the validated models) so they report even when other parts
of the same entry are invalid; malformed parts are skipped here and reported by validation.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from syncd.abc import SourcePlugin
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.config.typed import OPERAND_KEYS, iter_leaves, iter_operands
from syncd.errors import ConfigIssue


@dataclass
class _Checker:
    data: dict[str, Any]
    positions: SourceMap
    connectors: dict[str, type[SourcePlugin[Any, Any]]]
    issues: list[ConfigIssue] = field(default_factory=list)

    def report(self, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.issues.append(self.positions.issue(message, path, hint))

    def where(self, path: KeyPath) -> str:
        found = self.positions.get(path)
        return f"{found.file}:{found.line}" if found else "elsewhere"

    def unique(
        self, what: str, value: Any, path: KeyPath, seen: dict[str, KeyPath], hint: str
    ) -> None:
        """Report ``value`` if an earlier ``what`` already used it, else remember it."""
        if not isinstance(value, str):
            return
        if value in seen:
            first = self.where(seen[value])
            self.report(f"{what} id {value!r} is used twice (first at {first})", path, hint)
        else:
            seen[value] = path

    def names(self, section: str) -> dict[str, Any]:
        value = self.data.get(section)
        return value if isinstance(value, dict) else {}

    def items(self, section: str) -> list[tuple[int, dict[str, Any]]]:
        value = self.data.get(section)
        if not isinstance(value, list):
            return []
        return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]

    def missing(self, what: str, name: Any, known: Iterable[str], path: KeyPath) -> None:
        options = sorted(known)
        close = difflib.get_close_matches(str(name), options, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif options:
            hint = f"defined {what}s: " + ", ".join(options)
        else:
            hint = f"no {what}s are defined"
        self.report(f"unknown {what} {name!r}", path, hint)


def check_references(
    data: dict[str, Any], positions: SourceMap, connectors: dict[str, type[SourcePlugin[Any, Any]]]
) -> list[ConfigIssue]:
    """Every reference problem of the merged config, each at the offending key."""
    checker = _Checker(data, positions, connectors)
    _check_metrics(checker)
    kr_ids = _check_objectives(checker)
    _check_initiatives(checker, kr_ids)
    return checker.issues


def _check_metrics(checker: _Checker) -> None:
    sources = checker.names("sources")
    metrics = checker.names("metrics")
    for name, metric in metrics.items():
        for path, leaf in iter_leaves(metric, ("metrics", name)):
            source = leaf.get("source")
            if isinstance(source, str) and source not in sources:
                checker.missing("source", source, sources, (*path, "source"))
        if not isinstance(metric, dict):
            continue
        for key in OPERAND_KEYS:
            for path, operand in iter_operands(metric.get(key), ("metrics", name, key), key):
                _check_operand(checker, path, operand, metrics)
    _check_cycles_between_metrics(checker, metrics)


def _check_operand(checker: _Checker, path: KeyPath, operand: Any, metrics: dict[str, Any]) -> None:
    """A named operand must exist; no operand may read a pushed (``pull = False``) source."""
    if isinstance(operand, str):
        if operand not in metrics:
            checker.missing("metric", operand, metrics, path)
            return
        # A named operand reads a source only if it is itself a source+query metric.
        operand = metrics[operand]
    source = operand.get("source") if isinstance(operand, dict) else None
    connector = checker.connectors.get(source) if isinstance(source, str) else None
    if connector is not None and not connector.pull:
        checker.report(
            f"a derived metric cannot use source {source!r}: its values are check-ins, "
            "not pulled data",
            path,
            "bind the key result to the manual metric directly, or derive from pulled sources",
        )


def _metric_refs(metric: Any, name: str) -> list[tuple[KeyPath, str]]:
    if not isinstance(metric, dict):
        return []
    refs = []
    for key in OPERAND_KEYS:
        for path, operand in iter_operands(metric.get(key), ("metrics", name, key), key):
            if isinstance(operand, str):
                refs.append((path, operand))
    return refs


def _check_cycles_between_metrics(checker: _Checker, metrics: dict[str, Any]) -> None:
    graph = {name: _metric_refs(metric, name) for name, metric in metrics.items()}
    reported: set[frozenset[str]] = set()
    for start in graph:
        # Depth-first walk from each metric; a path back to it is a circle.
        stack: list[tuple[str, list[str], KeyPath | None]] = [(start, [start], None)]
        while stack:
            node, trail, first_path = stack.pop()
            for path, ref in graph.get(node, []):
                step = first_path or path
                if ref == start:
                    loop = frozenset(trail)
                    if loop not in reported:
                        reported.add(loop)
                        checker.report(
                            "metrics refer to each other in a circle: "
                            + " → ".join([*trail, start]),
                            step,
                            "a derived metric must bottom out in metrics read from sources",
                        )
                elif ref in graph and ref not in trail:
                    stack.append((ref, [*trail, ref], step))


def _check_objectives(checker: _Checker) -> set[str]:
    cycles = checker.names("cycles")
    metrics = checker.names("metrics")
    objectives = checker.items("objectives")
    first_objective: dict[str, KeyPath] = {}
    first_kr: dict[str, KeyPath] = {}
    parents: dict[str, tuple[str, KeyPath]] = {}
    for index, objective in objectives:
        path: KeyPath = ("objectives", index)
        oid = objective.get("id")
        checker.unique(
            "objective",
            oid,
            (*path, "id"),
            first_objective,
            "objective ids are unique across all files",
        )
        cycle = objective.get("cycle")
        if isinstance(cycle, str) and cycle not in cycles:
            checker.missing("cycle", cycle, cycles, (*path, "cycle"))
        parent = objective.get("parent")
        if isinstance(parent, str) and isinstance(oid, str):
            parents.setdefault(oid, (parent, (*path, "parent")))
        krs = objective.get("key_results")
        for kr_index, kr in enumerate(krs if isinstance(krs, list) else []):
            if not isinstance(kr, dict):
                continue
            kr_path: KeyPath = (*path, "key_results", kr_index)
            checker.unique(
                "key result",
                kr.get("id"),
                (*kr_path, "id"),
                first_kr,
                "key result ids are global: unique across all objectives and files",
            )
            metric = kr.get("metric")
            if isinstance(metric, str) and metric not in metrics:
                checker.missing("metric", metric, metrics, (*kr_path, "metric"))
    _check_parents(checker, parents, set(first_objective))
    return set(first_kr)


def _check_parents(
    checker: _Checker, parents: dict[str, tuple[str, KeyPath]], known: set[str]
) -> None:
    reported: set[frozenset[str]] = set()
    for oid, (parent, path) in parents.items():
        if parent not in known:
            checker.missing("objective", parent, known, path)
            continue
        trail = [oid]
        current = parent
        while current in parents and current not in trail:
            trail.append(current)
            current = parents[current][0]
        if current == oid and frozenset(trail) not in reported:
            reported.add(frozenset(trail))
            checker.report(
                "objectives align to each other in a circle: " + " → ".join([*trail, oid]),
                path,
                "alignment is a tree: the company objective at its top has no parent",
            )


def _check_initiatives(checker: _Checker, kr_ids: set[str]) -> None:
    jira = sorted(
        name
        for name, source in checker.names("sources").items()
        # a source is its typed config here, or a dict when it failed to type
        if (source.get("type") if isinstance(source, dict) else getattr(source, "type", None))
        == "jira"
    )
    for index, initiative in checker.items("initiatives"):
        named = initiative.get("jira_source")
        if isinstance(named, str) and named not in jira:
            checker.missing("jira source", named, jira, ("initiatives", index, "jira_source"))
        elif initiative.get("jira") is not None and named is None and len(jira) != 1:
            checker.report(
                "an initiative's Jira epic needs one jira source"
                + (f"; there are {len(jira)}" if jira else ", and there is none"),
                ("initiatives", index, "jira"),
                "name it with jira_source" if jira else "add a source of type jira",
            )
        moves = initiative.get("moves")
        for move_index, move in enumerate(moves if isinstance(moves, list) else []):
            if not isinstance(move, dict):
                continue
            kr = move.get("key_result")
            if isinstance(kr, str) and kr not in kr_ids:
                checker.missing(
                    "key result",
                    kr,
                    kr_ids,
                    ("initiatives", index, "moves", move_index, "key_result"),
                )
