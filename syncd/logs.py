"""Logging: structlog events to stderr, JSON under journald (or with ``--log-format json``),
human-readable elsewhere (coloured on a terminal).

Every event passes :func:`redact` last, which replaces each registered secret value (resolved
``${env:…}``/``${file:…}`` references) wherever it appears, so a secret that slips into an
exception text still never reaches a log line. Tests assert on events with
``structlog.testing.capture_logs()``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

import structlog

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


def configure(*, level: str = "info", fmt: Literal["auto", "json", "console"] = "auto") -> None:
    """Set up structlog for the CLI and the daemon (stderr, journald-friendly JSON)."""
    use_json = fmt == "json" or (fmt == "auto" and _stderr_is_journal())
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    if use_json:
        processors.append(structlog.processors.JSONRenderer())
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
