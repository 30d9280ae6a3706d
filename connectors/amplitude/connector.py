"""The ``amplitude`` connector: product-analytics KRs from Amplitude's Dashboard REST API.

Plain httpx through :mod:`syncd.http`: Amplitude's official Python package only sends events.
One request is one call: an event segmentation over the request's whole days in the project's
time zone (``request.days``, set by the planner), or a saved chart read as it stands now.

Which number of the answer is the value, as the chart's bar would show it over the range:

- ``uniques``, ``average``, ``value_avg``, ``pct_dau``, ``formula``: ``seriesCollapsed`` (users
  over the whole range are not the sum of each day's users);
- ``totals`` and ``sums``: the daily ``series`` added up (whole numbers stay whole).
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from connectors.amplitude import wire
from connectors.amplitude.budget import CostBudget
from connectors.amplitude.client import AmplitudeClient, segmentation_cost, segmentation_params
from connectors.amplitude.config import AmplitudeQuery, AmplitudeSourceConfig
from syncd.abc import (
    Connector,
    ConnectorContext,
    DaySpan,
    MetricRequest,
    QueryTraits,
    RateLimit,
    RawValue,
    UpstreamFloat,
    ValueKind,
)
from syncd.errors import QueryError
from syncd.evaluate import DayRule
from syncd.http import Json

_KINDS = {
    "uniques": ValueKind.COUNT,
    "totals": ValueKind.COUNT,
    "sums": ValueKind.SUM,
    "average": ValueKind.NUMBER,
    "value_avg": ValueKind.NUMBER,
    "pct_dau": ValueKind.NUMBER,
    "formula": ValueKind.NUMBER,
}
SUMMED = ("totals", "sums")

Request = MetricRequest[AmplitudeQuery]


class AmplitudeConnector(Connector[AmplitudeSourceConfig, AmplitudeQuery]):
    """Answers product metrics from one Amplitude project."""

    sdk_modules = ("httpx",)
    config_model = AmplitudeSourceConfig
    query_model = AmplitudeQuery
    default_concurrency = wire.CONCURRENT_REQUESTS - 1
    """One below the project's 5 concurrent requests, which its own dashboards share."""
    default_rate_limit = RateLimit(requests=wire.COST_PER_5_MINUTES, per_seconds=300)
    """A call costs at least 1; the cost budget (:mod:`~connectors.amplitude.budget`) paces
    by what each query really costs."""

    def __init__(
        self,
        config: AmplitudeSourceConfig,
        context: ConnectorContext,
        *,
        client: AmplitudeClient | None = None,
    ) -> None:
        super().__init__(config, context)
        self._client = client
        self.budget = CostBudget(
            [(300.0, config.cost_per_5_minutes), (3600.0, config.cost_per_hour)],
            max_wait=context.retry.max_retry_after,
            source=context.source,
            sleep=context.sleep,
        )

    @classmethod
    def traits(
        cls, config: AmplitudeSourceConfig, query: AmplitudeQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Segmentation counts whole days of the project's zone, any past window; a saved
        chart answers for its own saved range as of now, so only the present."""
        if query.chart is not None:
            return QueryTraits(past_windows=False, past_snapshots=False, kind=ValueKind.NUMBER)
        return QueryTraits(day_zone=config.zone, kind=_KINDS[query.measure])

    @property
    def client(self) -> AmplitudeClient:
        if self._client is None:
            self._client = AmplitudeClient(
                self.config, source=self.context.source, call=self.call, budget=self.budget
            )
        return self._client

    # ---- fetching ----------------------------------------------------------------------------

    def fetch(self, request: Request) -> RawValue:
        query = request.query
        if query.chart is not None:
            data = self.client.chart(query.chart)
            return self._collapsed(data, query.series, f"chart {query.chart}")
        days = self._days(request)
        data = self.client.segmentation(query, days.first, days.last)
        if query.measure in SUMMED:
            return self._summed(data)
        return self._collapsed(data, 0, "the segmentation")

    def _days(self, request: Request) -> DaySpan:
        if request.window.is_snapshot:
            raise self._fail(
                "event segmentation counts days, not moments: give the metric a window such as "
                "trailing_28d or cycle_to_date"
            )
        # Outside the planner (a direct caller) the days are the planner's rule's.
        days = request.days or DayRule(self.config.zone).span(request.window)
        assert days is not None
        if days.days < 1:
            raise self._fail(
                f"the window {request.window} holds no whole day in {self.config.timezone}"
            )
        if days.days > wire.MAX_DAYS:
            raise self._fail(
                f"daily segmentation covers at most {wire.MAX_DAYS} days, not {days.days}"
            )
        return days

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _bad(self, what: str) -> QueryError:
        return self._fail(f"Amplitude answered without {what}")

    def _collapsed(self, data: Json, index: int, what: str) -> RawValue:
        """``seriesCollapsed[index][0].value``, as sent."""
        collapsed = data.get(wire.COLLAPSED) if isinstance(data, dict) else None
        if not isinstance(collapsed, list):
            raise self._bad(f"{wire.COLLAPSED} for {what} (not an event segmentation?)")
        if index >= len(collapsed):
            raise self._fail(f"{what} has {len(collapsed)} series; series {index} is not one")
        group = collapsed[index]
        first = group[0] if isinstance(group, list) and group else None
        if not isinstance(first, dict) or wire.VALUE not in first:
            raise self._bad(f"a value in {wire.COLLAPSED}[{index}]")
        return _raw(first[wire.VALUE])

    def _summed(self, data: Json) -> RawValue:
        """The days of ``series[0]`` added up; a value that is no finite number is returned
        as sent, for the runner to refuse quoting it."""
        series = data.get(wire.SERIES) if isinstance(data, dict) else None
        if not isinstance(series, list) or not series or not isinstance(series[0], list):
            raise self._bad(wire.SERIES)
        total: int | float = 0
        floats: list[float] = []
        for value in series[0]:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return _raw(value)
            if isinstance(value, float) and not math.isfinite(value):
                return value
            if isinstance(value, int):
                total += value
            else:
                floats.append(value)
        return math.fsum([total, *floats]) if floats else total

    def check(self) -> str:
        """The project's event list (``GET /api/2/events/list``), proving the keys."""
        body = self.client.events()
        events = body.get(wire.DATA) if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise self._bad("an event list")
        return f"{len(events)} events visible in the project at {self.config.base_url}"

    # ---- the rest of the contract -----------------------------------------------------------

    def describe(self, request: Request) -> str:
        """The Amplitude call behind a request, without credentials."""
        query = request.query
        base = self.config.base_url
        if query.chart is not None:
            return f"saved chart {query.chart} (series {query.series}) on {base}, as of now"
        try:
            days = self._days(request)
        except QueryError as error:
            return f"event segmentation on {base}: {error}"
        params = segmentation_params(query, days.first, days.last)
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        cost = segmentation_cost(query, days.days)
        return (
            f"GET {wire.SEGMENTATION} {shown} on {base} ({self.config.timezone} days, cost {cost})"
        )

    def close(self) -> None:
        """Close the HTTP connection pool (idempotent)."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _raw(value: object) -> RawValue:
    """A value as Amplitude sent it, for the runner to check (a string, a float, null…)."""
    if isinstance(value, UpstreamFloat | int | float | str) and not isinstance(value, bool):
        return value
    return repr(value)
