"""The progress engine: worked examples computed by hand (DESIGN §2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.config.models import (
    Band,
    Cycle,
    KeyResult,
    Objective,
    PacePoint,
    Pacing,
    ProgressSettings,
)
from syncd.progress import (
    KRProgress,
    Point,
    attainment,
    evaluate_kr,
    evaluate_objective,
    expected,
    forecast,
    maintain_score,
    objective_status,
    roll_up,
    score,
)

ZRH = ZoneInfo("Europe/Zurich")
Q4 = Cycle(start=date(2026, 10, 1), end=date(2026, 12, 31))  # 92 days
Q4_START_UTC = datetime(2026, 10, 1, tzinfo=UTC)
MID_Q4_UTC = Q4_START_UTC + timedelta(days=46)  # 2026-11-16 00:00 UTC
SETTINGS = ProgressSettings()


def day(n: float) -> datetime:
    """``n`` days into Q4, in UTC."""
    return Q4_START_UTC + timedelta(days=n)


def point(at: datetime, value: float, *, collected_after: timedelta = timedelta(minutes=5)):
    return Point(at=at, value=value, collected_at=at + collected_after)


def objective(**changes) -> Objective:
    fields = {"id": "onboarding", "title": "Effortless onboarding", "team": "growth"}
    fields |= {"cycle": "2026-Q4", "commitment": "committed"}
    return Objective(**(fields | changes))


def increase_kr(**changes) -> KeyResult:
    fields = {"id": "signups", "title": "Signups 0 → 100", "focus": "user"}
    fields |= {"baseline": 0, "target": 100, "schedule": "daily"}
    return KeyResult(**(fields | changes))


def evaluate(kr: KeyResult, points, *, now=MID_Q4_UTC, settings=SETTINGS, tz=UTC):
    return evaluate_kr(objective(), kr, Q4, points, now=now, settings=settings, tz=tz)


# --- attainment and score -------------------------------------------------------------------


def test_decrease_kr_attainment_churn_example():
    # churn 5 % → 3 %: at 4 % half the way is done; at 2.5 % the target is beaten by a quarter.
    assert attainment(0.04, 0.05, 0.03) == pytest.approx(0.5)
    assert attainment(0.025, 0.05, 0.03) == pytest.approx(1.25)


def test_increase_kr_attainment():
    assert attainment(0.55, 0.40, 0.70) == pytest.approx(0.5)
    assert attainment(0.40, 0.40, 0.70) == 0.0
    assert attainment(0.31, 0.40, 0.70) == pytest.approx(-0.3)


def test_attainment_undefined_when_target_equals_baseline():
    with pytest.raises(ValueError, match="undefined"):
        attainment(1.0, 2.0, 2.0)


def test_score_clamps_to_zero_and_ceiling():
    assert score(1.25) == 1.0
    assert score(1.25, ceiling=1.2) == 1.2
    assert score(1.1, ceiling=1.2) == 1.1
    assert score(-0.3) == 0.0
    assert score(0.5) == 0.5


def test_over_achievement_keeps_raw_attainment_and_caps_score():
    kr = increase_kr(baseline=0.05, target=0.03, unit="percent")
    result = evaluate(kr, [point(day(45), 0.025)])
    assert result.attainment == pytest.approx(1.25)
    assert result.score == 1.0
    assert result.status == "achieved"
    assert result.direction == "decrease"


def test_kr_ceiling_overrides_settings_ceiling():
    result = evaluate(increase_kr(ceiling=1.5), [point(day(45), 130)])
    assert result.score == pytest.approx(1.3)
    settings = ProgressSettings(ceiling=1.2)
    assert evaluate(increase_kr(), [point(day(45), 130)], settings=settings).score == 1.2


# --- expected pace --------------------------------------------------------------------------


def test_expected_is_half_at_mid_quarter():
    # Q4 has 31 + 30 + 31 = 92 days; 46 days in is exactly half.
    assert expected(MID_Q4_UTC, Q4, UTC) == 0.5
    assert expected(day(23), Q4, UTC) == 0.25


def test_expected_is_clamped_outside_the_cycle():
    assert expected(datetime(2026, 9, 1, tzinfo=UTC), Q4, UTC) == 0.0
    assert expected(datetime(2027, 2, 1, tzinfo=UTC), Q4, UTC) == 1.0
    # The last day counts in full: 2026-12-31 12:00 is not yet the end.
    assert expected(datetime(2026, 12, 31, 12, tzinfo=UTC), Q4, UTC) == pytest.approx(91.5 / 92)
    assert expected(datetime(2027, 1, 1, tzinfo=UTC), Q4, UTC) == 1.0


def test_expected_counts_real_seconds_across_the_october_dst_change():
    # Q4 in Zurich starts 2026-10-01 00:00 CEST and ends 2027-01-01 00:00 CET: 92 days + 1 h,
    # because 2026-10-25 has 25 hours. On 2026-10-26 00:00 CET, 25 days + 1 h have elapsed.
    as_of = datetime(2026, 10, 26, tzinfo=ZRH)
    assert expected(as_of, Q4, ZRH) == pytest.approx((25 * 24 + 1) / (92 * 24 + 1))
    assert expected(as_of, Q4, ZRH) != pytest.approx(25 / 92)
    # Half of the real span: 46 days + 30 min after 2026-09-30 22:00 UTC.
    half = datetime(2026, 9, 30, 22, tzinfo=UTC) + timedelta(days=46, minutes=30)
    assert expected(half, Q4, ZRH) == pytest.approx(0.5)


def test_expected_across_the_march_dst_change():
    march = Cycle(start=date(2026, 3, 1), end=date(2026, 3, 31))
    # 2026-03-29 has 23 hours: the cycle lasts 31 × 24 − 1 = 743 h; by 03-30 00:00, 695 h.
    assert expected(datetime(2026, 3, 30, tzinfo=ZRH), march, ZRH) == pytest.approx(695 / 743)


def test_expected_rejects_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        expected(datetime(2026, 11, 1), Q4, UTC)


LINEAR = Pacing(
    shape="linear",
    points=[
        PacePoint(at=date(2026, 11, 30), expected=0.3),
        PacePoint(at=date(2026, 10, 31), expected=0.1),
    ],
)


@pytest.mark.parametrize(
    ("as_of", "share"),
    [
        (day(15.5), 0.05),  # halfway to the 10-31 point (end of day = day 31): 0.1 / 2
        (day(31), 0.1),
        (day(46), 0.2),  # halfway between day 31 (0.1) and day 61 (0.3)
        (day(76.5), 0.65),  # halfway between day 61 (0.3) and day 92 (1.0)
        (day(92), 1.0),
        (datetime(2026, 9, 1, tzinfo=UTC), 0.0),
    ],
)
def test_linear_pacing_interpolates_between_points(as_of, share):
    assert expected(as_of, Q4, UTC, LINEAR) == pytest.approx(share)


@pytest.mark.parametrize(
    ("as_of", "share"),
    [
        (day(15.5), 0.0),
        (day(31) - timedelta(seconds=1), 0.0),
        (day(31), 0.1),  # 2026-10-31 is over: its step is reached
        (day(46), 0.1),
        (day(76.5), 0.3),
        (day(92) - timedelta(seconds=1), 0.3),
        (day(92), 1.0),
        (datetime(2027, 3, 1, tzinfo=UTC), 1.0),
    ],
)
def test_step_pacing_holds_the_last_point_reached(as_of, share):
    step = LINEAR.model_copy(update={"shape": "step"})
    assert expected(as_of, Q4, UTC, step) == share


def test_pacing_point_on_the_last_day_replaces_the_end_and_outside_points_are_ignored():
    pacing = Pacing(
        points=[
            PacePoint(at=date(2026, 12, 31), expected=0.8),
            PacePoint(at=date(2027, 3, 1), expected=0.2),
            PacePoint(at=date(2026, 6, 1), expected=0.9),
        ]
    )
    assert expected(day(92), Q4, UTC, pacing) == pytest.approx(0.8)
    assert expected(day(46), Q4, UTC, pacing) == pytest.approx(0.4)


# --- forecast -------------------------------------------------------------------------------


def test_forecast_of_an_exact_line():
    # value = 0.40 + 0.003 per day → at day 92: 0.40 + 0.276
    points = [point(day(d), 0.40 + 0.003 * d, collected_after=timedelta(0)) for d in (5, 12, 30)]
    assert forecast(points, Q4, UTC) == pytest.approx(0.676)


def test_forecast_of_noisy_points_by_hand():
    # x (days) 0, 10, 20, 30; y 1, 3, 2, 5. mean x 15, mean y 2.75; Sxx = 500, Sxy = 55:
    # slope 0.11 per day, intercept 2.75 − 0.11 × 15 = 1.1; at day 92: 1.1 + 10.12 = 11.22.
    points = [point(day(x), y) for x, y in ((0, 1), (10, 3), (20, 2), (30, 5))]
    assert forecast(points, Q4, UTC) == pytest.approx(11.22)


def test_forecast_uses_real_seconds_in_a_dst_cycle():
    # Values rise by 1 per real hour from the cycle start (2026-09-30 22:00 UTC); the cycle
    # lasts 92 × 24 + 1 = 2209 h in Zurich, so the value at the end is 2209.
    start = datetime(2026, 9, 30, 22, tzinfo=UTC)
    points = [point(start + timedelta(hours=h), float(h)) for h in (24, 600, 1500)]
    assert forecast(points, Q4, ZRH) == pytest.approx(2209)


def test_forecast_needs_two_distinct_times_in_the_cycle():
    assert forecast([], Q4, UTC) is None
    assert forecast([point(day(3), 1.0)], Q4, UTC) is None
    same_slot = [point(day(3), 1.0), point(day(3), 2.0, collected_after=timedelta(hours=1))]
    assert forecast(same_slot, Q4, UTC) is None
    before_cycle = [point(datetime(2026, 9, 20, tzinfo=UTC), 0.0), point(day(3), 1.0)]
    assert forecast(before_cycle, Q4, UTC) is None


# --- maintain -------------------------------------------------------------------------------


def test_maintain_score_is_share_in_band():
    band = Band(at_least=4.0)
    points = [point(day(d), v) for d, v in ((1, 4.2), (2, 3.9), (3, 4.0), (4, 4.5))]
    assert maintain_score(points, band) == 0.75
    assert maintain_score(points, Band(at_least=4.1, at_most=4.4)) == 0.25
    with pytest.raises(ValueError, match="no points"):
        maintain_score([], band)


def test_maintain_kr_in_band_and_out_of_band():
    kr = KeyResult(id="csat", title="CSAT stays ≥ 4", focus="user", maintain=Band(at_least=4.0))
    values = ((42, 4.2), (43, 3.9), (44, 4.1), (45, 4.5))
    result = evaluate(kr, [point(day(d), v) for d, v in values])
    assert (result.status, result.in_band, result.value) == ("on_track", True, 4.5)
    assert result.score == 0.75
    assert result.attainment is None
    assert result.forecast_score is None
    assert result.band == Band(at_least=4.0)

    dropped = evaluate(kr, [point(day(d), v) for d, v in (*values, (45.5, 3.5))])
    assert (dropped.status, dropped.in_band, dropped.score) == ("off_track", False, 0.6)


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (60, "on_track"),  # ahead of pace: gap −0.1
        (40, "on_track"),  # gap exactly 0.10: not above at_risk_gap
        (39, "at_risk"),  # gap 0.11
        (25, "at_risk"),  # gap exactly 0.25: not above off_track_gap
        (24, "off_track"),  # gap 0.26
        (-10, "off_track"),
        (99.9, "on_track"),
        (100, "achieved"),
        (120, "achieved"),
    ],
)
def test_status_thresholds_at_mid_cycle(value, status):
    # Mid-cycle expected is 0.5; attainment is value / 100.
    assert evaluate(increase_kr(), [point(day(45), value)]).status == status


def test_configured_thresholds():
    settings = ProgressSettings(at_risk_gap=0.05, off_track_gap=0.08)
    kr = increase_kr()
    assert evaluate(kr, [point(day(45), 46)], settings=settings).status == "on_track"
    assert evaluate(kr, [point(day(45), 44)], settings=settings).status == "at_risk"
    assert evaluate(kr, [point(day(45), 41)], settings=settings).status == "off_track"


def test_pacing_changes_the_status():
    # With the step pacing, only 0.1 is expected at mid-cycle: 0.2 attainment is on track;
    # with linear pacing 0.5 is expected and the gap of 0.3 is off track.
    kr = increase_kr(pacing=LINEAR.model_copy(update={"shape": "step"}))
    result = evaluate(kr, [point(day(45), 20)])
    assert (result.expected, result.status) == (0.1, "on_track")
    assert evaluate(increase_kr(), [point(day(45), 20)]).status == "off_track"


def test_no_points_is_not_started():
    result = evaluate(increase_kr(), [])
    assert result.status == "not_started"
    assert (result.value, result.attainment, result.score, result.as_of) == (None,) * 4
    assert result.expected == 0.5
    outside = [point(datetime(2026, 9, 15, tzinfo=UTC), 50)]
    assert evaluate(increase_kr(), outside).status == "not_started"


def test_stale_overrides_achieved():
    # daily schedule: stale once the newest fetch is more than 2 days old.
    at = MID_Q4_UTC - timedelta(days=3)
    fresh_enough = Point(at=at, value=100, collected_at=MID_Q4_UTC - timedelta(days=2))
    assert evaluate(increase_kr(), [fresh_enough]).status == "achieved"
    too_old = replace(fresh_enough, collected_at=MID_Q4_UTC - timedelta(days=2, seconds=1))
    result = evaluate(increase_kr(), [too_old])
    assert result.status == "stale"
    assert result.attainment == 1.0  # the numbers stay; only the status says they are old


def test_staleness_follows_the_schedule_interval():
    # "0 6 * * 1-5" skips weekends: its interval is 3 days, so stale only after 6 days.
    kr = increase_kr(schedule="0 6 * * 1-5")
    collected = MID_Q4_UTC - timedelta(days=5)
    assert evaluate(kr, [Point(day(40), 50, collected)]).status == "on_track"
    kr = increase_kr(schedule="hourly")
    assert evaluate(kr, [Point(day(40), 50, MID_Q4_UTC - timedelta(hours=3))]).status == "stale"


def test_a_closed_cycle_is_judged_at_its_end():
    # Measurements stop with the cycle: a month later the final value is not stale.
    last = Point(datetime(2026, 12, 31, tzinfo=UTC), 100, datetime(2026, 12, 31, 6, tzinfo=UTC))
    later = datetime(2027, 2, 1, tzinfo=UTC)
    result = evaluate(increase_kr(), [last], now=later)
    assert (result.status, result.expected) == ("achieved", 1.0)
    early_stop = replace(last, collected_at=datetime(2026, 12, 20, tzinfo=UTC))
    assert evaluate(increase_kr(), [early_stop], now=later).status == "stale"


def test_latest_point_gives_value_and_as_of_and_forecast_score():
    points = [point(day(25), 25), point(day(45), 45), point(day(10), 10)]
    result = evaluate(increase_kr(unit="signups"), points)
    assert result.value == 45
    assert result.as_of == day(45)
    assert result.collected_at == day(45) + timedelta(minutes=5)
    assert result.attainment == pytest.approx(0.45)
    assert result.expected == 0.5
    assert result.status == "on_track"
    # value = day number, an exact line: 92 at the end, score 0.92
    assert result.forecast == pytest.approx(92)
    assert result.forecast_score == pytest.approx(0.92)
    assert (result.id, result.objective, result.team, result.cycle) == (
        "signups",
        "onboarding",
        "growth",
        "2026-Q4",
    )
    assert (result.unit, result.weight, result.in_band) == ("signups", 1.0, None)


def test_forecast_score_is_capped_by_the_ceiling():
    points = [point(day(10), 20), point(day(20), 40)]  # 2 per day → 184 at day 92
    result = evaluate(increase_kr(), points)
    assert result.forecast == pytest.approx(184)
    assert result.forecast_score == 1.0


# --- roll-up --------------------------------------------------------------------------------


def kr_progress(kr_id: str, score_: float | None, weight: float, status="on_track") -> KRProgress:
    return KRProgress(
        id=kr_id,
        objective="onboarding",
        title=kr_id,
        team="growth",
        cycle="2026-Q4",
        commitment="committed",
        unit=None,
        direction="increase",
        value=None,
        baseline=0.0,
        target=1.0,
        attainment=score_,
        score=score_,
        expected=0.5,
        status=status,
        forecast=None,
        forecast_score=None,
        as_of=None,
        collected_at=None,
        weight=weight,
        in_band=None,
    )


def test_weighted_roll_up_leaves_out_krs_without_score():
    krs = [kr_progress("a", 0.5, 1), kr_progress("b", 1.0, 3), kr_progress("c", None, 2)]
    result = evaluate_objective(objective(level="company"), krs)
    # (0.5 × 1 + 1.0 × 3) / (1 + 3) = 3.5 / 4
    assert result.score == pytest.approx(0.875)
    assert result.key_results == tuple(krs)
    assert (result.id, result.level, result.commitment) == ("onboarding", "company", "committed")


def test_roll_up_without_scores_is_none():
    result = evaluate_objective(objective(), [kr_progress("a", None, 1, "not_started")])
    assert result.score is None
    assert result.status == "not_started"
    assert evaluate_objective(objective(), []).score is None


@pytest.mark.parametrize(
    ("score_", "expected_", "commitment", "statuses", "status"),
    [
        # Judged by the score, not the worst KR: 0.69 of 0.75 expected is on track.
        (0.69, 0.75, "committed", ["on_track", "on_track", "off_track"], "on_track"),
        (0.40, 0.55, "committed", ["on_track"], "at_risk"),  # gap 0.15
        (0.40, 0.70, "committed", ["on_track"], "off_track"),  # gap 0.30
        (1.00, 0.70, "committed", ["achieved"], "achieved"),
        # Aspirational: 0.6 is success. 0.57 at the cycle's end is 0.95 of it: on track;
        # committed, the same 0.57 is off track.
        (0.57, 1.0, "aspirational", ["off_track"], "on_track"),
        (0.57, 1.0, "committed", ["off_track"], "off_track"),
        (0.48, 1.0, "aspirational", ["off_track"], "at_risk"),  # 0.8 of success: gap 0.2
        (0.62, 0.5, "aspirational", ["on_track"], "achieved"),
        (0.12, 0.5, "aspirational", ["off_track"], "off_track"),  # 0.2 of success: gap 0.3
        # No score: stale or not started; every KR stale: stale.
        (None, 0.5, "committed", ["stale", "not_started"], "stale"),
        (None, 0.5, "committed", ["not_started"], "not_started"),
        (None, None, "committed", [], "not_started"),
        (0.8, 0.5, "committed", ["stale", "stale"], "stale"),
    ],
)
def test_objective_status_follows_score_and_commitment(
    score_, expected_, commitment, statuses, status
):
    assert objective_status(score_, expected_, commitment, statuses, SETTINGS) == status


def test_end_to_end_objective_from_points():
    obj = objective()
    signups = increase_kr()
    churn = increase_kr(id="churn", baseline=0.05, target=0.03, weight=2)
    results = [
        evaluate(signups, [point(day(45), 40)]),  # attainment 0.4
        evaluate(churn, [point(day(45), 0.04)]),  # attainment 0.5
    ]
    rolled = evaluate_objective(obj, results)
    assert rolled.score == pytest.approx((0.4 + 2 * 0.5) / 3)
    assert rolled.status == "on_track"


def test_a_decrease_kr_at_its_baseline_scores_plain_zero() -> None:
    # (8 − 8) / (5 − 8) is −0.0; a score must not print as "-0.00".
    assert f"{score(attainment(8.0, 8.0, 5.0)):.2f}" == "0.00"


# --- roll-up across levels ------------------------------------------------------------------


def aligned(objective_id: str, parent: str | None, *scores: tuple[float | None, float]):
    krs = [kr_progress(f"{objective_id}-{i}", s, w) for i, (s, w) in enumerate(scores)]
    return evaluate_objective(objective(id=objective_id, parent=parent), krs)


def test_a_parent_folds_in_its_children_as_one_kr_each():
    company = aligned("company", None, (0.9, 1), (0.3, 1))  # own: 0.6
    growth = aligned("growth", "company", (0.4, 1), (0.6, 3))  # (0.4 + 1.8) / 4 = 0.55
    support = aligned("support", "company", (0.2, 1))
    rolled = {o.id: o for o in roll_up([company, growth, support])}
    # (0.9 + 0.3 + 0.55 + 0.2) / 4: two own KRs and two children, each weighing 1.
    assert rolled["company"].score == pytest.approx(1.95 / 4)
    assert rolled["company"].own_score == pytest.approx(0.6)
    assert rolled["company"].children == ("growth", "support")
    assert rolled["growth"].score == pytest.approx(0.55)
    assert rolled["growth"].children == ()
    assert [o.id for o in roll_up([company, growth, support])] == ["company", "growth", "support"]


def test_roll_up_goes_through_every_level_and_weights_kr_weights():
    company = aligned("company", None, (1.0, 2))  # one own KR of weight 2
    team = aligned("team", "company", (0.5, 1))
    person = aligned("person", "team", (0.2, 1))
    rolled = {o.id: o for o in roll_up([person, team, company])}
    assert rolled["team"].score == pytest.approx((0.5 + 0.2) / 2)  # 0.35
    # (1.0 × 2 + 0.35 × 1) / 3
    assert rolled["company"].score == pytest.approx(2.35 / 3)


def test_roll_up_leaves_out_scoreless_children_and_cuts_loops():
    parent = aligned("parent", None, (0.8, 1))
    empty = aligned("empty", "parent", (None, 1))
    rolled = {o.id: o for o in roll_up([parent, empty])}
    assert rolled["parent"].score == pytest.approx(0.8)
    assert rolled["parent"].children == ("empty",)
    # A parent with only children (no KRs of its own) scores their mean.
    only = aligned("only", None)
    kids = [aligned("k1", "only", (0.3, 1)), aligned("k2", "only", (0.6, 1))]
    assert roll_up([only, *kids])[0].score == pytest.approx(0.45)
    # a ↔ b align to each other: each is counted once, nothing loops.
    a = aligned("a", "b", (0.2, 1))
    b = aligned("b", "a", (0.4, 1))
    looped = {o.id: o for o in roll_up([a, b])}
    assert looped["a"].score == pytest.approx((0.2 + 0.4) / 2)


def test_a_rolled_up_parent_is_judged_again_on_its_rolled_score():
    settings = ProgressSettings()
    own = [kr_progress("own", 0.9, 1, "on_track")]  # expected 0.5 each
    parent = evaluate_objective(objective(id="parent", commitment="aspirational"), own, settings)
    assert (parent.score, parent.status) == (0.9, "achieved")
    child_krs = [kr_progress("weak", 0.0, 1, "off_track")]
    child = evaluate_objective(objective(id="child", parent="parent"), child_krs, settings)
    assert child.status == "off_track"  # 0 against 0.5 expected
    rolled = roll_up([parent, child], settings)[0]
    # (0.9 + 0.0) / 2 = 0.45: 0.75 of the aspirational success 0.6, against 0.5 expected.
    assert rolled.score == pytest.approx(0.45)
    assert rolled.expected == pytest.approx(0.5)
    assert rolled.status == "on_track"
