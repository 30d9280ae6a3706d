"""Initiative movement read from points directly: sides of the start, local midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from syncd.config.models import InitiativeMove, KeyResult
from syncd.progress import Point
from syncd.reports.movement import movement, slope_per_day

ZRH = ZoneInfo("Europe/Zurich")
KR = KeyResult(id="churn", title="Churn", focus="business", baseline=5.0, target=3.0)


def p(at: datetime, value: float) -> Point:
    return Point(at=at, value=value, collected_at=at)


def test_start_is_local_midnight_and_decrease_krs_move_by_negative_amounts():
    # 2026-11-01 00:00 in Zurich is 2026-10-31 23:00 UTC: a slot at 23:30 UTC is already after.
    start = datetime(2026, 11, 1, tzinfo=ZRH)
    points = [
        p(datetime(2026, 10, 29, 23, 0, tzinfo=UTC), 5.0),
        p(datetime(2026, 10, 31, 23, 0, tzinfo=UTC), 4.8),
        p(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), 4.7),
        p(datetime(2026, 11, 4, 23, 30, tzinfo=UTC), 4.3),
    ]
    result = movement(InitiativeMove(key_result="churn", by=-1.0), KR, points, start)
    assert (result.start_value, result.latest_value) == (4.8, 4.3)
    assert result.change == pytest.approx(-0.5)
    assert result.share_of_expected == pytest.approx(0.5)
    # −0.5 on a 5 → 3 KR is a quarter of the way: (4.3 − 4.8) / (3 − 5).
    assert result.share_of_range == pytest.approx(0.25)
    assert result.slope_before == pytest.approx(-0.1)  # −0.2 over two days
    assert result.slope_after == pytest.approx(-0.1)  # −0.4 over four days
    assert (result.points_before, result.points_after) == (2, 2)


def test_no_expected_amount_and_a_single_slot_give_none():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    points = [p(datetime(2026, 10, 20, tzinfo=UTC), 5.0), p(datetime(2026, 11, 2, tzinfo=UTC), 4.0)]
    result = movement(InitiativeMove(key_result="churn"), KR, points, start)
    assert result.change == pytest.approx(-1.0)
    assert result.share_of_expected is None
    assert (result.slope_before, result.slope_after) == (None, None)


def test_slope_needs_two_distinct_slots():
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    assert slope_per_day([p(moment, 1.0), p(moment, 2.0)]) is None
    assert slope_per_day([]) is None
    later = datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert slope_per_day([p(moment, 1.0), p(later, 6.0)]) == pytest.approx(2.0)
