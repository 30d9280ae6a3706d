"""Logging: structlog events to stderr, JSON under journald (or with ``--log-format json``),
human-readable elsewhere (coloured on a terminal).

structlog itself (about 50 ms of imports: asyncio, rich's tracebacks) loads only when something
logs: syncd's modules take their logger from :func:`get_logger`, and :func:`configure` applies
the settings the moment structlog is first imported, by whatever module imports it. A command
that logs nothing (``status``, ``--help``) never pays for it.

Every event passes :func:`redact` last, which replaces each registered secret value (resolved
``${env:…}``/``${file:…}`` references) wherever it appears, so a secret that slips into an
exception text still never reaches a log line. Tests assert on events with
``structlog.testing.capture_logs()``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, TextIO

_secrets: set[str] = set()
REDACTED = "***"


def register_secrets(values: Iterable[str]) -> None:
    """Remember secret values so that :func:`redact` masks them from now on."""
    # Very short values would mask ordinary words; a secret that short is not worth hiding.
    _secrets.update(value for value in values if len(value) >= 4)


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, BaseException):
        return scrub(f"{type(value).__name__}: {value}")
    if isinstance(value, dict):
        return {key: _scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_value(item) for item in value)
    return value


def redact(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor masking registered secrets in every field of an event."""
    if not _secrets:
        return event_dict
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub_value(value)
    return event_dict


def _stderr_is_journal() -> bool:
    """Whether stderr is systemd's journal stream (``$JOURNAL_STREAM`` names its device:inode)."""
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    try:
        stat = os.fstat(sys.stderr.fileno())
        return (stat.st_dev, stat.st_ino) == (int(device), int(inode))
    except (ValueError, OSError, AttributeError):
        return False


LogFormat = Literal["auto", "json", "console"]


def configure(*, level: str = "info", fmt: LogFormat = "auto") -> None:
    """Set up structlog for the CLI and the daemon (stderr, journald-friendly JSON): now if
    structlog is loaded, else as soon as anything imports it."""
    settings = _Settings(
        level=level.upper(),
        json=fmt == "json" or (fmt == "auto" and _stderr_is_journal()),
        stream=sys.stderr,
        colors=sys.stderr.isatty(),
    )
    _pending.clear()
    if "structlog" in sys.modules:
        settings.apply()
        return
    _pending.append(settings)
    if not any(isinstance(finder, _ConfigureOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ConfigureOnImport())


def get_logger(name: str) -> Any:
    """A logger for ``name`` that imports structlog on its first use, not at import time."""
    return _LazyLogger(name)


@dataclass(frozen=True)
class _Settings:
    level: str
    json: bool
    stream: TextIO
    colors: bool

    def apply(self) -> None:
        import logging

        import structlog

        processors: list[Any] = [
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
        ]
        if self.json:
            processors.append(structlog.processors.JSONRenderer())
        else:
            processors.append(structlog.dev.ConsoleRenderer(colors=self.colors))
        structlog.configure(
            processors=processors,
            wrapper_class=structlog.make_filtering_bound_logger(
                logging.getLevelNamesMapping()[self.level]
            ),
            logger_factory=structlog.PrintLoggerFactory(file=self.stream),
            cache_logger_on_first_use=False,
        )


_pending: list[_Settings] = []


def _apply_pending() -> None:
    while _pending:
        _pending.pop().apply()


class _LazyLogger:
    """Stands in for ``structlog.get_logger(name)`` until a method of it is used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import structlog

        return getattr(structlog.get_logger(self._name), attribute)


class _ConfigureOnImport(importlib.abc.MetaPathFinder):
    """Applies a pending :func:`configure` right after structlog is imported, so a module that
    imports structlog directly logs with syncd's settings too."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "structlog":
            return None
        # Once: the other finders (whichever installed structlog) find it, then its loader is
        # wrapped. Leaving sys.meta_path mid-search is safe: with a spec the search ends; without
        # one, the finders after this one found nothing just now either.
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenConfigure(spec.loader)
        return spec


class _ThenConfigure(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _apply_pending()
