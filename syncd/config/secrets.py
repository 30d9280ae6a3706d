"""Secret references in string values: ``${env:NAME}``, ``${env:NAME:-default}``,
``${file:/abs/path}`` and ``${credential:NAME}`` (systemd ``LoadCredential=``).

They are resolved only under ``store``, ``sources``, ``sinks``, ``daemon`` and
``notifications``; elsewhere they are an error. Resolved values are collected so the logger can
redact them and never appear in any message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.config.bounded import RefusedFile, read_regular_file
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue

MAX_SECRET_BYTES = 64 << 10
"""A secret file larger than this is refused: keys and tokens are a few KiB at most."""

SECRET_SECTIONS = ("store", "sources", "sinks", "daemon", "notifications")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYNTAX = "${env:NAME}, ${env:NAME:-default}, ${file:/absolute/path} or ${credential:NAME}"
PLACEHOLDER = "SECRET"  # stands in for a reference that is checked but not read


class _Unresolved(Exception):
    """A reference that cannot be resolved; ``message`` and ``hint`` never hold its value."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Resolution:
    """The data with references replaced, the secret values found, and the problems."""

    data: dict[str, Any]
    secrets: set[str] = field(default_factory=set)
    issues: list[ConfigIssue] = field(default_factory=list)
    placeholders: set[KeyPath] = field(default_factory=set)  # values standing in for secrets


def resolve_secrets(
    data: dict[str, Any],
    positions: SourceMap,
    environ: Mapping[str, str] | None = None,
    *,
    read: bool | Collection[str] = True,
) -> Resolution:
    """Resolve references under ``store``/``sources``; flag any found elsewhere.

    With ``read=False`` each reference is checked for its syntax only and replaced by
    ``PLACEHOLDER`` (or its written-out default): an analyst validates OKR files without the
    production secrets. ``read`` may instead name the sections whose references are read
    (a read-only command reads the store's, never a source's).
    """
    env = os.environ if environ is None else environ
    resolution = Resolution(data={})
    for key, value in data.items():
        allowed = key in SECRET_SECTIONS
        reads = read if isinstance(read, bool) else key in read
        resolution.data[key] = _walk(value, (key,), allowed, env, positions, resolution, reads)
    return resolution


def _walk(
    value: Any,
    path: KeyPath,
    allowed: bool,
    env: Mapping[str, str],
    positions: SourceMap,
    resolution: Resolution,
    read: bool,
) -> Any:
    if isinstance(value, dict):
        return {
            k: _walk(v, (*path, k), allowed, env, positions, resolution, read)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _walk(v, (*path, i), allowed, env, positions, resolution, read)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value
    if not allowed:
        _report(
            resolution,
            positions,
            path,
            "secret references are resolved only in store, sources, sinks, daemon and "
            "notifications",
            "write the value itself here, or move the secret to a source's settings",
        )
        return value

    problems: list[_Unresolved] = []

    def substitute(match: re.Match[str]) -> str:
        try:
            text, secret = _resolve(match.group(1), env, read)
        except _Unresolved as exc:
            problems.append(exc)
            return match.group(0)
        if secret and text and read:
            resolution.secrets.add(text)
        return text

    resolved = _REFERENCE.sub(substitute, value)
    if not read and not problems:
        resolution.placeholders.add(path)
    for problem in problems:
        _report(resolution, positions, path, problem.message, problem.hint)
    return value if problems else resolved


def _report(
    resolution: Resolution, positions: SourceMap, path: KeyPath, message: str, hint: str
) -> None:
    resolution.issues.append(positions.issue(message, path, hint))


def _resolve(reference: str, env: Mapping[str, str], read: bool) -> tuple[str, bool]:
    """The referenced text, and whether it is a secret (a written-out default is not)."""
    scheme, _, argument = reference.partition(":")
    if scheme == "env":
        return _from_env(argument, env, read)
    if scheme == "file":
        return _from_file(argument, read), True
    if scheme == "credential":
        return _from_credential(argument, env, read), True
    raise _Unresolved(f"unknown secret reference '${{{scheme}:…}}'", f"use {_SYNTAX}")


def _from_env(argument: str, env: Mapping[str, str], read: bool) -> tuple[str, bool]:
    name, has_default, default = argument.partition(":-")
    if not _ENV_NAME.match(name):
        raise _Unresolved(f"invalid environment variable name {name!r}", f"use {_SYNTAX}")
    if not read:
        return (default, False) if has_default else (PLACEHOLDER, False)
    if name in env:
        return env[name], True
    if has_default:
        return default, False
    raise _Unresolved(
        f"environment variable {name} is not set",
        f"export {name}=… before starting syncd, or use LoadCredential= and "
        f"${{credential:{name.lower()}}}",
    )


def _from_file(argument: str, read: bool) -> str:
    path = Path(argument)
    if not path.is_absolute():
        raise _Unresolved(
            f"secret file path {argument!r} is not absolute", "write ${file:/absolute/path}"
        )
    return _read_secret(path, f"secret file {argument}") if read else PLACEHOLDER


def _from_credential(name: str, env: Mapping[str, str], read: bool) -> str:
    if not name or "/" in name:
        raise _Unresolved(f"invalid credential name {name!r}", "use ${credential:NAME}")
    if not read:
        return PLACEHOLDER
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        raise _Unresolved(
            f"credential {name!r} asked for, but CREDENTIALS_DIRECTORY is not set",
            f"run syncd under systemd with LoadCredential={name}:/path/to/secret, or use "
            f"${{env:…}} or ${{file:/absolute/path}} instead",
        )
    return _read_secret(Path(directory) / name, f"credential {name!r}")


def _read_secret(path: Path, what: str) -> str:
    try:
        text = read_regular_file(path, MAX_SECRET_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise _Unresolved(
            f"{what} does not exist", f"create {path} (mode 0600) or fix the path"
        ) from None
    except RefusedFile as exc:
        raise _Unresolved(
            f"{what} {exc}", "point the reference at a regular file holding only the secret"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unresolved(
            f"cannot read {what}: {exc.__class__.__name__}",
            f"make {path} readable by the user syncd runs as",
        ) from None
    return text.removesuffix("\n")
