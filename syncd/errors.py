"""The one exception tree of syncd.

Every error syncd raises on purpose is a ``SyncdError``; callers catch the branch they can act on::

    SyncdError
    ├── ConfigError               the configuration is wrong; carries every issue found, each with
    │                             file, line, key path and a hint
    ├── SourceError               an upstream source failed to answer a metric request
    │   ├── AuthError             credentials rejected: fatal for the source until fixed
    │   ├── RateLimited           the source asked us to slow down for ``retry_after`` seconds:
    │   │                         retryable
    │   ├── TransientSourceError  timeouts, 5xx, dropped connections: retryable
    │   └── QueryError            the request itself is wrong (unknown field, no row, NULL, text):
    │                             fatal for that request only
    └── StoreError                the measurement store cannot be reached or refused a write

Messages never contain secret values: connectors build them from redacted descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass


class SyncdError(Exception):
    """Base class of every error syncd raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem found in the configuration, located as precisely as the input allows."""

    message: str
    path: tuple[str | int, ...] = ()
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    @property
    def key_path(self) -> str:
        """The dotted key path, e.g. ``objectives[0].key_results[1].target``."""
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += f".{part}" if out else str(part)
        return out

    def render(self) -> str:
        """``file:line:col: key.path: message (hint: …)`` — one line an editor can jump to."""
        place = self.file or ("<config>" if self.path or self.line else "")
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        text = f"{self.key_path}: {self.message}" if self.path else self.message
        if place:
            text = f"{place}: {text}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(SyncdError):
    """The configuration is invalid; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: list[ConfigIssue] | ConfigIssue | str) -> None:
        if isinstance(issues, str):
            issues = [ConfigIssue(issues)]
        elif isinstance(issues, ConfigIssue):
            issues = [issues]
        self.issues: list[ConfigIssue] = list(issues)
        count = len(self.issues)
        head = f"{count} configuration error{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(issue.render() for issue in self.issues))


class SourceError(SyncdError):
    """An upstream source failed to answer. ``retryable`` tells the retry layer what to do."""

    retryable: bool = False

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(message)


class AuthError(SourceError):
    """The source rejected our credentials; retrying cannot help."""


class RateLimited(SourceError):
    """The source asked us to slow down; wait ``retry_after`` seconds (when it said) and retry."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, source: str | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, source=source)


class TransientSourceError(SourceError):
    """A failure that may pass by itself: timeout, 5xx, a dropped connection."""

    retryable = True


class QueryError(SourceError):
    """This request is wrong (bad field, no row, NULL or text result); other requests go on."""


class StoreError(SyncdError):
    """The measurement store cannot be reached, is not migrated, or refused a write."""
