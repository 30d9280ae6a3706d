"""The KR movement around an initiative's start: value then and now, slope before and after."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from syncd.config.models import InitiativeMove, KeyResult
from syncd.progress import Point
from syncd.reports.model import Movement

_DAY = timedelta(days=1)


def slope_per_day(points: Sequence[Point]) -> float | None:
    """The least-squares slope of value over slot, in units per day; ``None`` below two slots."""
    if len({p.at for p in points}) < 2:
        return None
    origin = points[0].at
    xs = [(p.at - origin) / _DAY for p in points]
    slope, _ = statistics.linear_regression(xs, [p.value for p in points])
    return slope


def movement(
    move: InitiativeMove, kr: KeyResult, points: Sequence[Point], start: datetime
) -> Movement:
    """How ``kr`` moved after ``start`` (an initiative's first instant), from its ``points``.

    Points with a slot at or before ``start`` are "before"; later ones are "after". Without a
    point on one side the numbers that need it are ``None``: nothing is extrapolated.
    """
    ordered = sorted(points, key=lambda p: (p.at, p.collected_at))
    before = [p for p in ordered if p.at <= start]
    after = [p for p in ordered if p.at > start]
    anchor = before[-1] if before else None
    latest = after[-1] if after else None
    change = latest.value - anchor.value if anchor and latest else None
    share_of_expected = change / move.by if change is not None and move.by else None
    share_of_range = None
    if change is not None and kr.baseline is not None and kr.target is not None:
        share_of_range = change / (kr.target - kr.baseline)
    return Movement(
        key_result=kr.id,
        title=kr.title,
        unit=kr.unit,
        expected_by=move.by,
        start_at=anchor.at if anchor else None,
        start_value=anchor.value if anchor else None,
        latest_at=latest.at if latest else None,
        latest_value=latest.value if latest else None,
        change=change,
        share_of_expected=share_of_expected,
        share_of_range=share_of_range,
        slope_before=slope_per_day(before),
        slope_after=slope_per_day(after),
        points_before=len(before),
        points_after=len(after),
    )
