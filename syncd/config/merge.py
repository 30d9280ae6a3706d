"""Finding the config files of a path and merging them into one document, positions kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.config.sourcemap import SourceMap
from syncd.config.yamlfile import ParsedFile
from syncd.errors import ConfigIssue

MAPPING_SECTIONS = ("sources", "sinks", "cycles", "metrics")
LIST_SECTIONS = ("objectives", "initiatives")
EXTENSION_PREFIX = "x-"
"""Top-level keys starting with this are ignored: they hold YAML anchors (``&name``) to reuse."""


def config_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``*.yaml``/``*.yml`` below a directory, sorted, recursively."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


@dataclass
class Merged:
    """The merged document, where each key came from, and the conflicts found."""

    data: dict[str, Any] = field(default_factory=dict)
    positions: SourceMap = field(default_factory=SourceMap)
    issues: list[ConfigIssue] = field(default_factory=list)


def merge(files: list[ParsedFile]) -> Merged:
    """Merge files in order: named sections by name, lists concatenated, scalars set once."""
    merged = Merged()
    for parsed in files:
        if parsed.data is None:
            continue
        if not isinstance(parsed.data, dict):
            merged.issues.append(
                ConfigIssue(
                    f"the top level must be a mapping of sections, not a "
                    f"{type(parsed.data).__name__}",
                    file=str(parsed.path),
                    line=1,
                    hint="start with keys such as 'sources:', 'metrics:' or 'objectives:'",
                )
            )
            continue
        for key, value in parsed.data.items():
            if value is None and key in (*MAPPING_SECTIONS, *LIST_SECTIONS):
                continue  # 'sources:' with nothing under it contributes nothing
            if key.startswith(EXTENSION_PREFIX):
                continue  # a holder for YAML anchors, as in docker-compose
            if key in MAPPING_SECTIONS and isinstance(value, dict):
                _merge_mapping(merged, parsed, key, value)
            elif key in LIST_SECTIONS and isinstance(value, list):
                _merge_list(merged, parsed, key, value)
            else:
                _merge_once(merged, parsed, key, value)
    return merged


def _take(merged: Merged, parsed: ParsedFile, path: tuple[str, ...]) -> None:
    for at, position in parsed.positions.under(path).items():
        merged.positions.add(at, position)


def _merge_mapping(merged: Merged, parsed: ParsedFile, section: str, value: dict[str, Any]) -> None:
    target = merged.data.get(section)
    if not isinstance(target, dict):
        if section in merged.data and target is not None:
            _merge_once(merged, parsed, section, value)
            return
        target = merged.data[section] = {}
    _take_key(merged, parsed, (section,))
    below = parsed.positions.children((section,))
    for name, entry in value.items():
        if name in target:
            first = merged.positions.get((section, name))
            here = parsed.positions.get((section, name))
            where = f"{first.file}:{first.line}" if first else "another file"
            merged.issues.append(
                ConfigIssue(
                    f"{section[:-1]} {name!r} is defined twice: here and at {where}",
                    path=(section, name),
                    file=here.file if here else str(parsed.path),
                    line=here.line if here else None,
                    column=here.column if here else None,
                    hint=f"names in '{section}' are shared by all files; rename one of them",
                )
            )
            continue
        target[name] = entry
        for at, position in below.get(name, {}).items():
            merged.positions.add(at, position)


def _merge_list(merged: Merged, parsed: ParsedFile, section: str, value: list[Any]) -> None:
    target = merged.data.get(section)
    if not isinstance(target, list):
        if section in merged.data and target is not None:
            _merge_once(merged, parsed, section, value)
            return
        target = merged.data[section] = []
    _take_key(merged, parsed, (section,))
    merged.positions.add_shifted(parsed.positions, section, len(target))
    target.extend(value)


def _take_key(merged: Merged, parsed: ParsedFile, path: tuple[str, ...]) -> None:
    position = parsed.positions.get(path)
    if position is not None:
        merged.positions.add(path, position)


def _merge_once(merged: Merged, parsed: ParsedFile, key: str, value: Any) -> None:
    if key not in merged.data:
        merged.data[key] = value
        _take(merged, parsed, (key,))
        return
    if merged.data[key] == value:
        return
    first = merged.positions.get((key,))
    here = parsed.positions.get((key,))
    where = f"{first.file}:{first.line}" if first else "another file"
    merged.issues.append(
        ConfigIssue(
            f"{key!r} is set differently here and at {where}",
            path=(key,),
            file=here.file if here else str(parsed.path),
            line=here.line if here else None,
            column=here.column if here else None,
            hint=f"set '{key}' in one file only",
        )
    )
