"""The store's summed read (``summaries``) against numbers worked out by hand, and progress from
the sums against progress from every point (the straightforward computation), on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from syncd.config.models import Config, Cycle
from syncd.cycles import cycle_bounds
from syncd.overview import reduced_from_histories, reduced_from_store
from syncd.store.records import SeriesSummary

from .helpers import DAY0, day, item, kr, objective


def summed_config() -> Config:
    """Cycle 2026-Q4 in Zurich; KRs ``rising``, ``tied``, ``single``, ``empty`` (0 → 100) and
    ``kept`` (maintain), whose score needs every point."""
    return Config(
        timezone="Europe/Zurich",
        cycles={"2026-Q4": Cycle(start=date(2026, 10, 1), end=date(2026, 12, 31))},
        objectives=[
            objective(
                "o1",
                kr("rising", target=100.0),
                kr("tied", target=100.0),
                kr("single", target=100.0),
                kr("empty", target=100.0),
                kr("kept", baseline=None, target=None, maintain={"at_least": 5}),
            )
        ],
    )


@pytest.fixture
def summed_store(store):
    store.sync_definitions(summed_config())
    store.record_measurements(
        [
            item("rising", 10.0, 1),
            item("rising", 20.0, 2),
            item("rising", 40.0, 3),
            item("rising", 999.0, 40),  # after `until`: not summed
            # Two windows end at day 5: the one collected last is the latest value.
            item("tied", 3.0, 3),
            item("tied", 7.0, 5, collected=day(5) + timedelta(hours=1)),
            item("tied", 9.0, 5, start_day=4, collected=day(5) + timedelta(hours=2)),
            item("single", 4.0, 2, source="sheet"),
            item("kept", 6.0, 1),
            item("kept", 4.0, 2),
        ]
    )
    return store


def test_summaries_hold_the_least_squares_sums_and_the_latest_value(summed_store):
    found = summed_store.summaries(
        ["rising", "tied", "single", "empty"], since=DAY0, until=day(30), origin=DAY0
    )
    assert set(found) == {"rising", "tied", "single"}
    # x = days since DAY0: rising at x = 1, 2, 3 with y = 10, 20, 40.
    assert found["rising"] == SeriesSummary(
        key_result_id="rising",
        points=3,
        slots=3,
        latest_value=40.0,
        latest_at=day(3),
        latest_source="web",
        latest_collected=day(3) + timedelta(hours=1),
        newest_collected=day(3) + timedelta(hours=1),
        sum_x=pytest.approx(6.0, abs=1e-6),
        sum_y=70.0,
        sum_xx=pytest.approx(14.0, abs=1e-6),
        sum_xy=pytest.approx(10 + 40 + 120, abs=1e-5),
    )
    tied = found["tied"]
    # x = 3, 5, 5; y = 3, 7, 9.
    assert (tied.points, tied.slots) == (3, 2)
    assert (tied.latest_value, tied.latest_at) == (9.0, day(5))
    assert tied.newest_collected == day(5) + timedelta(hours=2)
    assert (tied.sum_x, tied.sum_y) == (pytest.approx(13.0), 19.0)
    assert (tied.sum_xx, tied.sum_xy) == (pytest.approx(59.0), pytest.approx(9 + 35 + 45))
    single = found["single"]
    assert (single.points, single.slots, single.latest_value, single.latest_source) == (
        1,
        1,
        4.0,
        "sheet",
    )


def test_progress_from_the_sums_equals_progress_from_every_point(summed_store):
    config = summed_config()
    now = day(30)
    bounds = cycle_bounds(config.cycles["2026-Q4"], config.tz)
    ids = [key_result.id for _, key_result in config.key_results()]
    every_point = reduced_from_histories(
        config, summed_store.points(ids, since=bounds.start, until=now)
    )
    summed = reduced_from_store(config, summed_store, now)
    assert set(summed) >= {"rising", "tied", "single", "kept"}
    for kr_id in ("rising", "tied", "single", "kept"):
        fast, straight = summed[kr_id], every_point[kr_id]
        if straight.forecast is None:
            assert fast.forecast is None, kr_id
        else:
            assert fast.forecast == pytest.approx(straight.forecast, rel=1e-9, abs=1e-9), kr_id
        assert replace(fast, forecast=None) == replace(straight, forecast=None), kr_id
    # By hand: slope 15 a day through (day 2, 70/3); the cycle ends at local midnight of
    # 1 January (23:00 UTC on 31 December), 89 days 23 hours after day 2.
    assert summed["rising"].forecast == pytest.approx(70 / 3 + 15 * (89 + 23 / 24), rel=1e-9)
    # tied: slope (89 - 13·19/3) / (59 - 13²/3) = 2.5 through (13/3, 19/3).
    tied_end = 89 + 23 / 24 + 2 - 13 / 3
    assert summed["tied"].forecast == pytest.approx(19 / 3 + 2.5 * tied_end, rel=1e-9)
    assert summed["single"].forecast is None
    assert summed["kept"].points == 2
    assert "empty" not in summed or summed["empty"].points == 0
