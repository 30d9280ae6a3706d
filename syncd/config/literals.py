"""Secrets are references, never literals: the one rule for every secret field.

A secret field is one a model declares as ``SecretStr``: the framework's (``store``,
``daemon.listen_token``, a notification channel's ``url``) and every connector's (tokens,
passwords, private keys, client secrets). Written as plain text it is an error, whichever
connector declares it. A URL may be literal as long as it holds no password
(``sqlite:///syncd.db``, ``json://host/hook``); ``user:${env:PASSWORD}@host`` keeps it out.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from syncd.abc import Sink, SourcePlugin
from syncd.config.models import Config
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue

_REFERENCES = "${env:NAME}, ${file:/absolute/path} or ${credential:NAME}"


def literal_secret_issues(
    data: dict[str, Any],
    positions: SourceMap,
    connectors: dict[str, type[SourcePlugin[Any, Any]]],
    sinks: dict[str, type[Sink[Any, Any]]] | None = None,
) -> list[ConfigIssue]:
    """An issue for each secret field of the merged raw ``data`` written as a literal."""
    found: dict[KeyPath, ConfigIssue] = {}
    for name, field in Config.model_fields.items():
        if name not in data:
            continue
        if name == "sources":
            sources = data[name]
            for source, entry in (sources if isinstance(sources, dict) else {}).items():
                if source in connectors:
                    _model(connectors[source].config_model, entry, (name, source), positions, found)
            continue
        if name == "sinks":
            entries = data[name]
            for sink, entry in (entries if isinstance(entries, dict) else {}).items():
                if sinks and sink in sinks:
                    _model(sinks[sink].config_model, entry, (name, sink), positions, found)
            continue
        _value(field.annotation, data[name], (name,), positions, found)
    return list(found.values())


def _model(
    model: type[BaseModel],
    raw: Any,
    path: KeyPath,
    positions: SourceMap,
    found: dict[KeyPath, ConfigIssue],
) -> None:
    if not isinstance(raw, dict):
        return
    for name, field in model.model_fields.items():
        if name in raw:
            _value(field.annotation, raw[name], (*path, name), positions, found)


def _value(
    annotation: Any,
    raw: Any,
    path: KeyPath,
    positions: SourceMap,
    found: dict[KeyPath, ConfigIssue],
) -> None:
    members = _members(annotation)
    if SecretStr in members:
        issue = _literal(raw, path, positions)
        if issue is not None:
            found.setdefault(path, issue)
        return
    for member in members:
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            _model(member, raw, path, positions, found)
        elif origin is dict and isinstance(raw, dict):
            for key, item in raw.items():
                _value(get_args(member)[1], item, (*path, key), positions, found)
        elif origin is list and isinstance(raw, list):
            for index, item in enumerate(raw):
                _value(get_args(member)[0], item, (*path, index), positions, found)


def _literal(raw: Any, path: KeyPath, positions: SourceMap) -> ConfigIssue | None:
    if not isinstance(raw, str) or not raw.strip() or "${" in raw:
        return None
    if "://" in raw:
        try:
            password = urlsplit(raw).password
        except ValueError:  # a malformed URL: its own validation says so
            return None
        if not password:
            return None
        return positions.issue(
            "a password written out in the URL: secrets are references, never literals",
            path,
            "write the password as a reference, e.g. scheme://user:${env:DB_PASSWORD}@host/…",
        )
    return positions.issue(
        "a secret written out in the config: secrets are references, never literals",
        path,
        f"keep it in the environment, a file or a systemd credential and write {_REFERENCES}",
    )


def _members(annotation: Any) -> list[Any]:
    """The types an annotation admits: ``Annotated`` unwrapped, unions flattened."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg) if m is not type(None)]
    return [annotation]
