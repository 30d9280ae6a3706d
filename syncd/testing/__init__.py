"""Test helpers for connector and sink authors: the conformance kits (need pytest) and sandbox
plumbing.

:class:`ConnectorConformance` and :class:`SinkConformance` are imported on first use, so
:mod:`syncd.testing.sandbox` (which the vendor sandboxes, and so ``syncd demo``, import) works
where pytest is not installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from syncd.abc import CollectResult, RequestFailed

if TYPE_CHECKING:
    from syncd.testing.conformance import ConnectorConformance
    from syncd.testing.sinks import SinkConformance

__all__ = ["ConnectorConformance", "SinkConformance", "first_failure"]


def first_failure(results: Iterable[CollectResult]) -> None:
    """Raise the error of the first failed result (tests: ``pytest.raises`` around a collect)."""
    for result in results:
        if isinstance(result, RequestFailed):
            raise result.error


def __getattr__(name: str) -> Any:
    if name == "ConnectorConformance":
        from syncd.testing.conformance import ConnectorConformance

        return ConnectorConformance
    if name == "SinkConformance":
        from syncd.testing.sinks import SinkConformance

        return SinkConformance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
