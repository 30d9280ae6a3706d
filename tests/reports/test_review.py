"""The cycle review: scores, commitment split, "too safe" verdict and initiative movement."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncd.config.models import Config
from syncd.errors import ConfigError
from syncd.reports import build_review
from syncd.reports.review import Review

from .scenario import AFTER_CYCLE, REVIEW_MEASUREMENTS, at, filled, loaded, point, review_config


@pytest.fixture
def review(store) -> Review:
    config = review_config()
    filled(store, config, REVIEW_MEASUREMENTS)
    return build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE)


def scores(review: Review, commitment: str) -> dict[str, float | None]:
    section = getattr(review, commitment)
    return {kr.id: kr.score for kr in section.key_results}


def test_cycle_header(review):
    assert (review.cycle, review.start, review.end) == (
        "2026-Q4",
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert review.final is True
    assert review.elapsed == 1.0
    assert review.as_of == AFTER_CYCLE


def test_committed_scores(review):
    section = review.committed
    assert [o.id for o in section.objectives] == ["checkout", "support"]
    assert scores(review, "committed") == pytest.approx(
        {"conv": 0.75, "wait": 1.0, "backlog": 0.75, "csat": 0.5}
    )
    checkout, support = section.objectives
    assert checkout.score == pytest.approx(0.875)
    assert support.score == pytest.approx(0.6875)
    assert section.score == pytest.approx(0.78125)
    assert (section.at_ceiling, len(section.key_results), section.scored) == (1, 4, 4)
    wait = checkout.key_results[1]
    assert wait.attainment == pytest.approx(1.2)
    assert {kr.id: kr.status for kr in section.key_results} == {
        "conv": "at_risk",
        "wait": "achieved",
        "backlog": "on_track",
        "csat": "off_track",
    }


def test_aspirational_scores_apart_from_committed(review):
    section = review.aspirational
    assert [o.id for o in section.objectives] == ["moon"]
    assert scores(review, "aspirational") == pytest.approx(
        {"signups": 0.7, "revenue": 1.0, "nothing": None}
    )
    assert section.objectives[0].score == pytest.approx(0.85)
    assert section.score == pytest.approx(0.85)
    assert (section.at_ceiling, len(section.key_results), section.scored) == (1, 3, 2)
    assert section.share_at_ceiling == pytest.approx(1 / 3)
    assert review.targets_too_safe is False
    # The 2027-Q1 objective belongs to another cycle's review.
    every = [o.id for o in review.committed.objectives + review.aspirational.objectives]
    assert "next" not in every


def test_initiative_movement(review):
    assert [i.id for i in review.initiatives] == ["promo", "quiet"]
    promo, quiet = review.initiatives
    assert (promo.start, promo.team, promo.hypothesis) == (
        date(2026, 11, 1),
        "growth",
        "A promo brings <people>",
    )
    [move] = promo.moves
    assert move.key_result == "signups"
    assert (move.start_at, move.start_value) == (at(11, 1), 120)
    assert (move.latest_at, move.latest_value) == (at(12, 1), 170)
    assert move.change == pytest.approx(50)
    assert move.expected_by == 50
    assert move.share_of_expected == pytest.approx(1.0)
    assert move.share_of_range == pytest.approx(0.5)
    assert move.slope_before == pytest.approx(1.0)
    assert move.slope_after == pytest.approx(1.5)
    assert (move.points_before, move.points_after) == (3, 3)

    [silent] = quiet.moves
    assert silent.key_result == "nothing"
    assert (silent.start_value, silent.latest_value, silent.change) == (None, None, None)
    assert (silent.slope_before, silent.slope_after, silent.share_of_expected) == (None, None, None)
    assert (silent.points_before, silent.points_after) == (0, 0)


def too_safe_config(hits: int) -> Config:
    """Five aspirational KRs 0 → 10; ``hits`` of them end at 10 (score 1.0), the others at 5."""
    krs = [
        {"id": f"k{n}", "title": f"KR {n}", "focus": "user", "baseline": 0, "target": 10}
        for n in range(5)
    ]
    return Config.model_validate(
        {
            "cycles": {"2026-Q4": {"start": date(2026, 10, 1), "end": date(2026, 12, 31)}},
            "objectives": [
                {
                    "id": "a",
                    "title": "A",
                    "team": "t",
                    "cycle": "2026-Q4",
                    "commitment": "aspirational",
                    "key_results": krs[:3],
                },
                {
                    "id": "b",
                    "title": "B",
                    "team": "t",
                    "cycle": "2026-Q4",
                    "commitment": "aspirational",
                    "key_results": krs[3:],
                },
                {
                    "id": "c",
                    "title": "C",
                    "team": "t",
                    "cycle": "2026-Q4",
                    "key_results": [
                        {"id": "c1", "title": "C1", "focus": "user", "baseline": 0, "target": 10}
                    ],
                },
            ],
        }
    )


@pytest.mark.parametrize(
    ("hits", "share", "flag"), [(5, 1.0, True), (4, 0.8, True), (3, 0.6, False)]
)
def test_targets_too_safe_from_80_percent_of_aspirational_krs(store, hits, share, flag):
    config = too_safe_config(hits)
    items = [point(f"k{n}", 10 if n < hits else 5, at(12, 20)) for n in range(5)]
    # A committed KR at 1.0 must not count towards the aspirational verdict.
    items.append(point("c1", 10, at(12, 20)))
    filled(store, config, items)
    review = build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE)
    assert review.aspirational.at_ceiling == hits
    assert review.aspirational.share_at_ceiling == pytest.approx(share)
    assert review.committed.at_ceiling == 1
    assert review.targets_too_safe is flag


def test_review_mid_cycle_counts_only_measurements_so_far(store):
    config = review_config()
    filled(store, config, REVIEW_MEASUREMENTS)
    now = datetime(2026, 11, 16, tzinfo=UTC)
    review = build_review(loaded(config), store, "2026-Q4", now=now)
    assert review.final is False
    assert review.elapsed == pytest.approx(46 / 92)
    # signups' latest slot up to Nov 16 is Nov 11: 140 → (140 - 100) / 100.
    assert scores(review, "aspirational")["signups"] == pytest.approx(0.4)
    [move] = review.initiatives[0].moves
    assert (move.latest_value, move.change, move.points_after) == (140, 20, 1)
    assert move.slope_after is None


def test_unknown_cycle_is_a_config_error(store):
    config = review_config()
    store.sync_definitions(config)
    with pytest.raises(ConfigError, match="no cycle '2025-Q9'") as caught:
        build_review(loaded(config), store, "2025-Q9", now=AFTER_CYCLE)
    assert caught.value.issues[0].hint == "cycles: 2026-Q4, 2027-Q1"
