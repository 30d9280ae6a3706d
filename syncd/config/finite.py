"""Non-finite numbers in connector settings and queries.

The framework's own models refuse NaN and infinities as they validate (``allow_inf_nan`` off);
a connector's models are its own, so their validated values are checked here, in one place:
``timeout_seconds: .inf`` or a filter value ``.nan`` is an error, whichever connector reads it.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.errors import ConfigIssue


def nonfinite_issues(data: Any, positions: SourceMap) -> list[ConfigIssue]:
    """An issue for each NaN or infinite number held by a model instance within ``data``."""
    issues: list[ConfigIssue] = []
    _walk(data, (), positions, issues, in_model=False)
    return issues


def _walk(
    value: Any, path: KeyPath, positions: SourceMap, issues: list[ConfigIssue], *, in_model: bool
) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _walk(getattr(value, name), (*path, name), positions, issues, in_model=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, (*path, key), positions, issues, in_model=in_model)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, (*path, index), positions, issues, in_model=in_model)
    elif in_model and isinstance(value, float) and not math.isfinite(value):
        issues.append(
            positions.issue(
                f"invalid value {value!r}: expected a finite number",
                path,
                "NaN and infinities cannot be compared or summed; write a real number",
            )
        )
