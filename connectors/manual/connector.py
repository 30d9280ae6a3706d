"""The ``manual`` source: validates checked-in values; there is nothing to pull."""

from __future__ import annotations

import math

from connectors.manual.config import ManualQuery, ManualSourceConfig
from syncd.abc import CheckinSource, QueryModel
from syncd.errors import QueryError


class ManualConnector(CheckinSource[ManualSourceConfig, ManualQuery]):
    """Values pushed by people with ``syncd checkin``; the scheduler never pulls them."""

    config_model = ManualSourceConfig
    query_model = ManualQuery

    @classmethod
    def check_value(cls, value: float, query: QueryModel | None) -> float:
        """Return ``value`` as a float if it is finite and within the query's bounds.

        Raises :class:`~syncd.errors.QueryError` naming the violated bound otherwise.
        """
        if query is not None and not isinstance(query, ManualQuery):
            raise TypeError(f"expected a ManualQuery, got {type(query).__name__}")
        number = float(value)
        if not math.isfinite(number):
            raise QueryError(f"a checked-in value must be a finite number, got {value!r}")
        if query is not None and query.min is not None and number < query.min:
            raise QueryError(f"value {number:g} is below the metric's min {query.min:g}")
        if query is not None and query.max is not None and number > query.max:
            raise QueryError(f"value {number:g} is above the metric's max {query.max:g}")
        return number

    @classmethod
    def describe(cls, source: str, query: QueryModel) -> str:
        """Where the values come from, and the bounds they must respect."""
        assert isinstance(query, ManualQuery)
        bounds = [
            f"{label} {bound:g}"
            for label, bound in (("min", query.min), ("max", query.max))
            if bound is not None
        ]
        suffix = f" ({', '.join(bounds)})" if bounds else ""
        return f"manual check-ins for {source}{suffix}"
