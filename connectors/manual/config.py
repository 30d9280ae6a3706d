"""Settings of a ``manual`` source and the bounds a checked-in value must respect."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from syncd.abc import QueryModel, SourceConfig


class ManualSourceConfig(SourceConfig):
    """A source whose values arrive by ``syncd checkin``; it has no settings."""

    type: Literal["manual"]


class ManualQuery(QueryModel):
    """Optional plausibility bounds (inclusive) for the values checked in for a metric."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ManualQuery:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self
