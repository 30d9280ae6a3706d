"""Progress summed by the store (status, dashboard, API) has the values computed from the
measurements themselves: checked against values worked out here, and against the per-point
evaluation, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from syncd.config import load_config
from syncd.documents import key_result_document
from syncd.overview import build_overview, cycle_histories, reduced_from_histories
from syncd.progress import evaluate_reduced
from syncd.render import status_json
from syncd.store import MeasurementIn, Store, open_store

NOW = datetime(2026, 11, 10, 12, tzinfo=UTC)
# Europe/Zurich: the cycle starts at 2026-09-30 22:00 UTC and ends at 2026-12-31 23:00 UTC
# (summer time ends on 25 October, inside the window the points cover).
CYCLE_START = datetime(2026, 9, 30, 22, tzinfo=UTC)
CYCLE_END = datetime(2026, 12, 31, 23, tzinfo=UTC)

CONFIG = """\
timezone: Europe/Zurich
cycles:
  q4: {start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: growth
    title: Growth
    team: web
    cycle: q4
    key_results:
      - {id: signups, title: Signups, focus: user, baseline: 0, target: 100}
      - {id: restated, title: Restated, focus: user, baseline: 0, target: 100}
      - {id: once, title: Once, focus: user, baseline: 10, target: 20}
      - {id: nothing, title: Nothing yet, focus: user, baseline: 0, target: 5}
      - {id: churn, title: Churn, focus: business, baseline: 100, target: 20}
      - {id: uptime, title: Uptime, focus: business, maintain: {at_least: 99.0}}
      - {id: close, title: Close, focus: user, baseline: 0, target: 10}
"""


def item(
    kr: str, start: datetime, end: datetime, value: float, collected: datetime
) -> MeasurementIn:
    return MeasurementIn(
        key_result_id=kr,
        value=value,
        window_start=start,
        window_end=end,
        collected_at=collected,
        source="warehouse",
        query_fingerprint="f",
        run_id=None,
    )


def daily(kr: str, values: list[float], first_end: datetime) -> list[MeasurementIn]:
    items = []
    for index, value in enumerate(values):
        end = first_end + timedelta(days=index)
        items.append(item(kr, end - timedelta(days=1), end, value, end + timedelta(hours=2)))
    return items


SIGNUPS = [3.0, 5.5, 4.0, 9.25, 12.0, 11.0, 15.5, 18.0, 17.0, 21.75, 25.0, 24.5]
CHURN = [98.0, 97.5, 95.0, 96.0, 92.5, 90.0, 91.0, 88.0]
UPTIME = [99.5, 98.7, 99.9, 99.0, 97.0]


def seeded(store: Store) -> None:
    first = datetime(2026, 10, 20, 22, tzinfo=UTC)  # across the end of summer time
    slot = datetime(2026, 11, 5, 23, tzinfo=UTC)
    store.record_measurements(
        [
            *daily("signups", SIGNUPS, first),
            # Outside the cycle up to NOW: before its start, and after NOW.
            item("signups", CYCLE_START - timedelta(days=2), CYCLE_START - timedelta(days=1),
                 500.0, CYCLE_START),
            item("signups", NOW, NOW + timedelta(days=1), 900.0, NOW + timedelta(days=1)),
            # Two windows end at the latest slot: the later collected one is the value.
            item("restated", slot - timedelta(days=2), slot - timedelta(days=1), 30.0,
                 slot - timedelta(hours=20)),
            item("restated", slot - timedelta(days=1), slot, 40.0, slot + timedelta(hours=1)),
            item("restated", slot - timedelta(days=7), slot, 55.0, slot + timedelta(hours=3)),
            item("once", slot - timedelta(days=1), slot, 14.0, slot + timedelta(hours=1)),
            *daily("churn", CHURN, first + timedelta(days=3)),
            *daily("uptime", UPTIME, first),
            # Slots a second apart: too close for the sums, fitted point by point.
            item("close", slot - timedelta(days=1), slot, 4.0, slot),
            item("close", slot - timedelta(days=1), slot + timedelta(seconds=1), 4.5, slot),
        ]
    )  # fmt: skip


def least_squares_at_end(points: list[tuple[datetime, float]]) -> float:
    """The value at the cycle's end on the least-squares line, in exact arithmetic."""
    xs = [Fraction(int((at - CYCLE_START).total_seconds())) for at, _ in points]
    ys = [Fraction(value) for _, value in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    end = Fraction(int((CYCLE_END - CYCLE_START).total_seconds()))
    return float(mean_y + slope * (end - mean_x))


def documents(tmp_path: Path, store_url: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Status JSON per KR as summed by the store, and as evaluated from every point."""
    path = tmp_path / "okrs.yaml"
    path.write_text(CONFIG)
    loaded = load_config(path)
    with open_store(store_url) as store:
        store.sync_definitions(loaded.config)
        seeded(store)
        summed = status_json(build_overview(loaded, store, NOW))
        reduced = reduced_from_histories(loaded.config, cycle_histories(loaded, store, NOW))
    config = loaded.config
    from_points = [
        evaluate_reduced(
            objective,
            kr,
            config.cycles[objective.cycle],
            reduced[kr.id],
            now=NOW,
            settings=config.progress,
            tz=config.tz,
        )
        for objective, kr in config.key_results()
    ]
    by_sum = {kr["id"]: kr for kr in summed["key_results"]}
    return by_sum, {kr.id: key_result_document(kr, {}) for kr in from_points}


def test_summed_progress_has_the_values_of_the_measurements(tmp_path: Path, store_url: str) -> None:
    summed, _ = documents(tmp_path, store_url)
    first = datetime(2026, 10, 20, 22, tzinfo=UTC)

    signups = summed["signups"]
    assert (signups["value"], signups["points"]) == (24.5, 12)
    assert signups["as_of"] == (first + timedelta(days=11)).isoformat()
    assert signups["collected_at"] == (first + timedelta(days=11, hours=2)).isoformat()
    expected = least_squares_at_end(
        [(first + timedelta(days=index), value) for index, value in enumerate(SIGNUPS)]
    )
    assert signups["forecast"] == pytest.approx(expected, rel=1e-9)
    assert signups["forecast_score"] == pytest.approx(min(expected / 100, 1.0), rel=1e-9)

    restated = summed["restated"]
    assert (restated["value"], restated["points"], restated["attainment"]) == (55.0, 3, 0.55)
    assert restated["collected_at"] == "2026-11-06T02:00:00+00:00"

    once = summed["once"]
    assert (once["value"], once["points"], once["forecast"]) == (14.0, 1, None)
    assert once["attainment"] == pytest.approx(0.4)

    nothing = summed["nothing"]
    assert (nothing["value"], nothing["points"], nothing["status"]) == (None, 0, "not_started")

    churn = summed["churn"]
    assert (churn["value"], churn["points"]) == (88.0, 8)
    assert churn["attainment"] == pytest.approx((88 - 100) / (20 - 100))
    expected = least_squares_at_end(
        [(first + timedelta(days=3 + index), value) for index, value in enumerate(CHURN)]
    )
    assert churn["forecast"] == pytest.approx(expected, rel=1e-9)

    close = summed["close"]
    assert (close["value"], close["points"]) == (4.5, 2)
    slot = datetime(2026, 11, 5, 23, tzinfo=UTC)
    expected = least_squares_at_end([(slot, 4.0), (slot + timedelta(seconds=1), 4.5)])
    assert close["forecast"] == pytest.approx(expected, rel=1e-9)

    uptime = summed["uptime"]
    assert (uptime["value"], uptime["in_band"], uptime["points"]) == (97.0, False, 5)
    assert uptime["score"] == pytest.approx(3 / 5)  # 99.5, 99.9 and 99.0 are in band


def test_summed_progress_equals_the_evaluation_of_every_point(
    tmp_path: Path, store_url: str
) -> None:
    summed, from_points = documents(tmp_path, store_url)
    assert summed.keys() == from_points.keys()
    for kr_id, document in summed.items():
        other = from_points[kr_id]
        approximate = ("forecast", "forecast_score")
        assert {k: v for k, v in document.items() if k not in approximate} == {
            k: v for k, v in other.items() if k not in approximate
        }, kr_id
        for name in approximate:
            if other[name] is None:
                assert document[name] is None, (kr_id, name)
            else:
                assert document[name] == pytest.approx(other[name], rel=1e-9), (kr_id, name)
