"""``load_config``: files → merged data → secrets → connector-typed parts → ``Config``.

Every stage reports what it finds instead of stopping, so one run lists all the problems of a
configuration; a :class:`~syncd.errors.ConfigError` carries them, with file, line and key path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from syncd.config.finite import nonfinite_issues
from syncd.config.hygiene import HygieneWarning, hygiene_warnings
from syncd.config.issues import validation_issues
from syncd.config.literals import literal_secret_issues
from syncd.config.merge import config_files, merge
from syncd.config.models import Config
from syncd.config.references import check_references
from syncd.config.runnable import unrunnable_issues
from syncd.config.secrets import resolve_secrets
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.config.typed import type_connector_parts
from syncd.config.yamlfile import read_yaml_file
from syncd.errors import ConfigError, ConfigIssue

REDACTED = "***"


@dataclass(frozen=True)
class LoadedConfig:
    """A valid configuration with what it was read from and what it mentions."""

    config: Config
    files: tuple[Path, ...]
    warnings: tuple[HygieneWarning, ...]
    secrets: frozenset[str] = field(repr=False)
    positions: SourceMap = field(default_factory=SourceMap, repr=False)

    def locate(self, path: KeyPath) -> tuple[str, int] | None:
        """``(file, line)`` of a key path, or of its closest ancestor written in the files."""
        found = self.positions.nearest(path)
        return (found.file, found.line) if found else None


def load_config(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    read_secrets: bool | Collection[str] = True,
) -> LoadedConfig:
    """Read, merge, resolve and validate the configuration at ``path`` (a file or directory).

    ``environ`` replaces ``os.environ`` for secret references; with ``read_secrets=False``
    references are checked for syntax only (``syncd validate`` without ``--secrets``): such a
    config is for reporting issues, not for syncing. Raises
    :class:`~syncd.errors.ConfigError` listing every issue found.
    """
    root = Path(path)
    if not root.exists():
        raise ConfigError(ConfigIssue(f"no such file or directory: {root}", file=str(root)))
    files = config_files(root)
    if not files:
        raise ConfigError(ConfigIssue("no *.yaml or *.yml files in this directory", file=str(root)))
    parsed = [read_yaml_file(file) for file in files]
    issues = [issue for file in parsed for issue in file.issues]
    merged = merge(parsed)
    issues += merged.issues
    resolved = resolve_secrets(merged.data, merged.positions, environ, read=read_secrets)
    issues += resolved.issues
    typed = type_connector_parts(resolved.data, merged.positions)
    issues += typed.issues
    issues += nonfinite_issues(typed.data, merged.positions)
    issues += literal_secret_issues(merged.data, merged.positions, typed.connectors, typed.sinks)
    issues += check_references(typed.data, merged.positions, typed.connectors)
    config = None
    try:
        config = Config.model_validate(typed.data)
    except ValidationError as exc:
        issues += validation_issues(
            exc, model=Config, data=typed.data, prefix=(), positions=merged.positions
        )
    else:
        issues += unrunnable_issues(config, merged.positions)
    secrets = frozenset(resolved.secrets)
    # A placeholder may break a connector's own check of a secret's format: not a real issue.
    issues = [issue for issue in issues if issue.path not in resolved.placeholders]
    if issues or config is None:
        raise ConfigError(_ordered([_redact(issue, secrets) for issue in issues]))
    return LoadedConfig(
        config=config,
        files=tuple(files),
        warnings=tuple(hygiene_warnings(config, merged.positions)),
        secrets=secrets,
        positions=merged.positions,
    )


def require_key_results(loaded: LoadedConfig) -> None:
    """Raise :class:`~syncd.errors.ConfigError` if the configuration measures nothing.

    A config without key results loads (a team may write its sources and metrics first and
    preview them), but ``syncd validate`` must not call it valid: it would run and measure
    nothing.
    """
    if loaded.config.key_results():
        return
    where = loaded.positions.get(("objectives",))
    file = where.file if where else str(loaded.files[0]) if loaded.files else None
    what = "objectives without key results" if loaded.config.objectives else "no objectives"
    raise ConfigError(
        ConfigIssue(
            f"this configuration measures nothing: {what}",
            path=("objectives",) if where else (),
            file=file,
            line=where.line if where else None,
            hint="add an objective with key results (see config/example.yaml), "
            "each bound to a metric",
        )
    )


def _redact(issue: ConfigIssue, secrets: frozenset[str]) -> ConfigIssue:
    """Belt and braces: a connector's own validator might echo a value; never let it out."""
    message, hint = issue.message, issue.hint
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, REDACTED)
        hint = hint.replace(secret, REDACTED) if hint else hint
    return replace(issue, message=message, hint=hint)


def _ordered(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    return sorted(issues, key=lambda i: (i.file or "", i.line or 0, i.column or 0))
