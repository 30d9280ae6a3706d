"""Phase one of validation: the connector-typed parts of a configuration.

Each ``sources.<name>`` is validated by the model of the connector its ``type`` names, and each
metric query (``metrics.<m>.query`` and inline ``{source, query}`` operands) by that connector's
query model. Likewise each ``sinks.<name>`` by the model of the sink type it names, and each
KR's ``push.<sink name>`` by that sink's target model (an unknown sink name is reported here, with
the closest configured one). Only the sink types a config names are loaded. The raw mappings are
replaced by the typed instances; an entry that fails here is replaced by a bare placeholder
instance so phase two does not report it a second time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from syncd import registry
from syncd.abc import QueryModel, Sink, SinkConfig, SourceConfig, SourcePlugin, TargetModel
from syncd.config.issues import validation_issues
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue

OPERAND_KEYS = ("ratio", "growth", "sum", "difference")


@dataclass
class Typed:
    """The data with typed sources and queries, each source's connector class, the issues."""

    data: dict[str, Any]
    connectors: dict[str, type[SourcePlugin[Any, Any]]] = field(default_factory=dict)
    sinks: dict[str, type[Sink[Any, Any]]] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)
    queries: dict[tuple[type[BaseModel], Any], QueryModel] = field(default_factory=dict)
    """Valid queries by model and content: many metrics ask alike (query models are frozen)."""


def type_connector_parts(data: dict[str, Any], positions: SourceMap) -> Typed:
    """Validate sources and metric queries with their connectors' own models."""
    typed = Typed(data=dict(data))
    sources = data.get("sources")
    if isinstance(sources, dict):
        typed.data["sources"] = {
            name: _source(name, entry, positions, typed) for name, entry in sources.items()
        }
    metrics = data.get("metrics")
    if isinstance(metrics, dict):
        typed.data["metrics"] = {
            name: _metric(name, entry, positions, typed) for name, entry in metrics.items()
        }
    sinks = data.get("sinks")
    if isinstance(sinks, dict):
        typed.data["sinks"] = {
            name: _sink(name, entry, positions, typed) for name, entry in sinks.items()
        }
    objectives = data.get("objectives")
    if isinstance(objectives, list):
        typed.data["objectives"] = [
            _objective_pushes(index, objective, positions, typed, sinks)
            for index, objective in enumerate(objectives)
        ]
    return typed


def iter_leaves(metric: Any, path: KeyPath) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """Every ``{source, query}`` mapping of a raw metric: itself, or its inline operands."""
    if not isinstance(metric, dict):
        return
    if "source" in metric or "query" in metric:
        yield path, metric
    for key in OPERAND_KEYS:
        for operand_path, operand in iter_operands(metric.get(key), (*path, key), key):
            if isinstance(operand, dict):
                yield operand_path, operand


def iter_operands(value: Any, path: KeyPath, key: str) -> Iterator[tuple[KeyPath, Any]]:
    """The operands of one derived definition (``ratio``, ``growth``, ``sum``, ``difference``)."""
    if key in ("sum", "difference") and isinstance(value, list):
        yield from (((*path, index), item) for index, item in enumerate(value))
    elif key == "ratio" and isinstance(value, dict):
        yield from (((*path, k), value[k]) for k in ("numerator", "denominator") if k in value)
    elif key == "growth" and isinstance(value, dict) and "of" in value:
        yield (*path, "of"), value["of"]


def _issue(message: str, path: KeyPath, positions: SourceMap, hint: str | None) -> ConfigIssue:
    return positions.issue(message, path, hint)


def _source(name: str, entry: Any, positions: SourceMap, typed: Typed) -> Any:
    path: KeyPath = ("sources", name)
    placeholder = SourceConfig(type=str(entry.get("type")) if isinstance(entry, dict) else "?")
    if not isinstance(entry, dict):
        typed.issues.append(
            _issue("a source must be a mapping with a 'type'", path, positions, _types_hint())
        )
        return placeholder
    kind = entry.get("type")
    if not isinstance(kind, str):
        message = "missing key 'type'" if kind is None else "'type' must be a connector name"
        typed.issues.append(_issue(message, path, positions, _types_hint()))
        return placeholder
    try:
        connector = registry.load_connector(kind)
    except registry.UnknownConnector as exc:
        close = difflib.get_close_matches(kind, exc.available, n=1)
        hint = f"did you mean {close[0]!r}?" if close else _types_hint(exc.available)
        typed.issues.append(
            _issue(f"unknown source type {kind!r}", (*path, "type"), positions, hint)
        )
        return placeholder
    except registry.ConnectorLoadError as exc:
        typed.issues.append(_issue(str(exc), (*path, "type"), positions, None))
        return placeholder
    typed.connectors[name] = connector
    instance = _validate(connector.config_model, entry, path, positions, typed)
    return placeholder if instance is None else instance


def _sink(name: str, entry: Any, positions: SourceMap, typed: Typed) -> Any:
    path: KeyPath = ("sinks", name)
    placeholder = SinkConfig(type=str(entry.get("type")) if isinstance(entry, dict) else "?")
    if not isinstance(entry, dict):
        typed.issues.append(
            _issue("a sink must be a mapping with a 'type'", path, positions, _sink_types_hint())
        )
        return placeholder
    kind = entry.get("type")
    if not isinstance(kind, str):
        message = "missing key 'type'" if kind is None else "'type' must be a sink type name"
        typed.issues.append(_issue(message, path, positions, _sink_types_hint()))
        return placeholder
    try:
        sink = registry.load_sink(kind)
    except registry.UnknownSink as exc:
        close = difflib.get_close_matches(kind, exc.available, n=1)
        hint = f"did you mean {close[0]!r}?" if close else _sink_types_hint(exc.available)
        typed.issues.append(_issue(f"unknown sink type {kind!r}", (*path, "type"), positions, hint))
        return placeholder
    except registry.SinkLoadError as exc:
        typed.issues.append(_issue(str(exc), (*path, "type"), positions, None))
        return placeholder
    typed.sinks[name] = sink
    instance = _validate(sink.config_model, entry, path, positions, typed)
    return placeholder if instance is None else instance


def _sink_types_hint(available: list[str] | None = None) -> str:
    names = registry.available_sinks() if available is None else available
    return "sink types: " + (", ".join(names) or "none installed")


def _objective_pushes(
    index: int, objective: Any, positions: SourceMap, typed: Typed, sinks: Any
) -> Any:
    """``objective`` with each KR's ``push`` mappings typed by their sinks' target models."""
    if not isinstance(objective, dict) or not isinstance(objective.get("key_results"), list):
        return objective
    configured = sorted(sinks) if isinstance(sinks, dict) else []
    krs = []
    for kr_index, kr in enumerate(objective["key_results"]):
        push = kr.get("push") if isinstance(kr, dict) else None
        if not isinstance(push, dict):
            krs.append(kr)
            continue
        path: KeyPath = ("objectives", index, "key_results", kr_index, "push")
        typed_push = {
            sink: _target(sink, target, (*path, sink), positions, typed, configured)
            for sink, target in push.items()
        }
        krs.append({**kr, "push": typed_push})
    return {**objective, "key_results": krs}


def _target(
    sink: Any,
    raw: Any,
    path: KeyPath,
    positions: SourceMap,
    typed: Typed,
    configured: list[str],
) -> TargetModel:
    if sink not in configured:
        close = difflib.get_close_matches(str(sink), configured, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif configured:
            hint = "configured sinks: " + ", ".join(configured)
        else:
            hint = "add the sink under 'sinks:' (see docs/sinks.md)"
        typed.issues.append(_issue(f"unknown sink {sink!r}", path, positions, hint))
        return TargetModel()
    cls = typed.sinks.get(sink)
    if cls is None:  # the sink itself is broken: reported at its entry
        return TargetModel()
    instance = _validate(cls.target_model, raw, path, positions, typed)
    return TargetModel() if instance is None else instance


def _types_hint(available: list[str] | None = None) -> str:
    names = registry.available_connectors() if available is None else available
    return "source types: " + (", ".join(names) or "none installed")


def _metric(name: str, entry: Any, positions: SourceMap, typed: Typed) -> Any:
    if not isinstance(entry, dict):
        return entry
    replaced: dict[KeyPath, Any] = {}
    for path, leaf in iter_leaves(entry, ("metrics", name)):
        if "query" not in leaf:
            continue
        source = leaf.get("source")
        connector = typed.connectors.get(source) if isinstance(source, str) else None
        query = None
        if connector is not None:
            query = _query(connector.query_model, leaf["query"], (*path, "query"), positions, typed)
        # Without a usable source the query cannot be typed; the reference check reports why.
        replaced[path] = {**leaf, "query": query if query is not None else QueryModel()}
    return _rebuild(entry, ("metrics", name), replaced)


def _query(
    model: type[QueryModel], raw: Any, path: KeyPath, positions: SourceMap, typed: Typed
) -> QueryModel | None:
    """``raw`` validated by ``model``, once per distinct content; an invalid one is validated
    (and reported) at each of its paths."""
    key = (model, _content(raw))
    known = typed.queries.get(key)
    if known is not None:
        return known
    query = _validate(model, raw, path, positions, typed)
    if not isinstance(query, QueryModel):
        return None
    typed.queries[key] = query
    return query


def _content(value: Any) -> Any:
    """A hashable, exact image of a plain YAML value: types are kept (``1``, ``1.0`` and
    ``true`` differ), and so is key order."""
    if isinstance(value, dict):
        return ("map", tuple((_content(k), _content(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(_content(item) for item in value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))  # not plain YAML: never shared
    return (type(value), value)


def _rebuild(value: Any, path: KeyPath, replaced: dict[KeyPath, Any]) -> Any:
    if path in replaced:
        value = replaced[path]
    if isinstance(value, dict):
        return {k: _rebuild(v, (*path, k), replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebuild(v, (*path, i), replaced) for i, v in enumerate(value)]
    return value


def _validate(
    model: type[BaseModel], raw: Any, path: KeyPath, positions: SourceMap, typed: Typed
) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        typed.issues.extend(
            validation_issues(exc, model=model, data=raw, prefix=path, positions=positions)
        )
        return None
