"""The cost choice: the cheapest strategy of each group, and the floor of its calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from syncd import cost
from syncd.abc import Connector, MetricRequest, QueryModel, Strategy, Window

WINDOW = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def strategy(name: str, calls: int, rows: int = 0) -> Strategy[QueryModel]:
    return Strategy(name, [], calls=calls, rows=rows)


def test_fewest_calls_then_fewest_rows_then_the_first() -> None:
    each, scan, scan_wide = strategy("each", 40), strategy("scan", 6, 900), strategy("w", 6, 1200)
    assert cost.cheapest([each, scan_wide, scan]) is scan
    tie = strategy("also each", 40)
    assert cost.cheapest([each, tie]) is each
    assert cost.plain([each, scan]) is each
    assert cost.named("each")([scan, each]) is each
    assert cost.named("absent")([each, scan]) is scan


@pytest.mark.parametrize(
    ("calls", "latency", "concurrency", "rate", "expected"),
    [
        (100, 0.08, 4, None, 2.0),  # 100 × 0.08 / 4
        (100, 0.08, 25, 5.0, 20.0),  # the rate binds: 100 / 5
        (10, 0.5, 1, 100.0, 5.0),  # one at a time: 10 × 0.5
        (0, 0.08, 4, 5.0, 0.0),
    ],
)
def test_floor_is_the_slower_of_latency_and_rate(
    calls: int, latency: float, concurrency: int, rate: float | None, expected: float
) -> None:
    floor = cost.floor_seconds(
        calls, latency=latency, concurrency=concurrency, rate_per_second=rate
    )
    assert floor == pytest.approx(expected)


class _Two(Connector):  # type: ignore[type-arg]
    """Offers a request each, or all in one call."""

    def strategies(self, requests: Sequence[MetricRequest[QueryModel]]) -> list[list[Strategy]]:  # type: ignore[type-arg]
        each = Strategy("each", [[r] for r in requests], calls=len(requests))
        together = Strategy("together", [list(requests)], calls=1, rows=len(requests))
        return [[each, together]]


def test_plan_takes_each_groups_cheapest_and_sums_it() -> None:
    from zoneinfo import ZoneInfo

    from syncd.abc import ConnectorContext, SourceConfig

    connector = _Two(SourceConfig(type="two"), ConnectorContext("s", ZoneInfo("UTC")))
    requests = [MetricRequest("s", QueryModel(), WINDOW) for _ in range(3)]
    plan = cost.plan(connector, requests)
    assert [c.chosen.name for c in plan.choices] == ["together"]
    assert (plan.calls, plan.rows, plan.plain_calls) == (1, 3, 3)
    assert cost.plan(connector, requests, cost.plain).calls == 3
