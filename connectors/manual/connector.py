"""The ``manual`` connector: validates checked-in values; there is nothing to pull."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from connectors.manual.config import ManualQuery, ManualSourceConfig
from syncd.abc import CollectResult, Connector, MetricRequest, QueryModel, RequestFailed
from syncd.errors import QueryError

PUSH_ONLY = "values of a manual source arrive by `syncd checkin`; there is nothing to pull"


class ManualConnector(Connector[ManualSourceConfig, ManualQuery]):
    """Values pushed by people; ``pull`` is False so the scheduler never calls :meth:`collect`."""

    config_model = ManualSourceConfig
    query_model = ManualQuery
    pull = False

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

    def collect(self, requests: Sequence[MetricRequest]) -> Iterable[CollectResult]:
        """Fail every request: a manual source is never pulled (see :data:`PUSH_ONLY`)."""
        return [
            RequestFailed(request, QueryError(PUSH_ONLY, source=self.context.source))
            for request in requests
        ]

    def describe(self, request: MetricRequest) -> str:
        """Where the values of this request come from, and the bounds they must respect."""
        query = request.query
        assert isinstance(query, ManualQuery)
        bounds = [
            f"{label} {bound:g}"
            for label, bound in (("min", query.min), ("max", query.max))
            if bound is not None
        ]
        suffix = f" ({', '.join(bounds)})" if bounds else ""
        return f"manual check-ins for {request.source} over {request.window}{suffix}"
