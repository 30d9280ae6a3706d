"""What `syncd status` and `syncd history` print."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from syncd.config.models import Band, KeyResult
from syncd.formatting import format_ago
from syncd.progress import KRProgress, ObjectiveProgress
from syncd.render import (
    format_value,
    history_table,
    progress_bar,
    status_json,
    status_table,
    status_text,
)

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def kr(**changes) -> KRProgress:
    fields = dict(
        id="booking-5d",
        objective="newcomer-onboarding",
        title="70 % of newcomers book a doctor within 5 days",
        team="growth",
        cycle="2026-Q4",
        commitment="aspirational",
        unit="percent",
        direction="increase",
        value=0.55,
        baseline=0.40,
        target=0.70,
        attainment=0.5,
        score=0.5,
        expected=0.5,
        status="on_track",
        forecast=0.64,
        forecast_score=0.8,
        as_of=datetime(2026, 11, 16, 8, 0, tzinfo=UTC),
        collected_at=NOW - timedelta(minutes=12),
        weight=1.0,
        in_band=None,
    )
    return KRProgress(**(fields | changes))


def objective(krs: tuple[KRProgress, ...], **changes) -> ObjectiveProgress:
    fields = dict(
        id="newcomer-onboarding",
        title="Make health onboarding for newcomers effortless",
        team="growth",
        cycle="2026-Q4",
        commitment="aspirational",
        level="team",
        score=0.5,
        key_results=krs,
        status="on_track",
    )
    return ObjectiveProgress(**(fields | changes))


REVENUE = kr(
    id="newcomer-revenue",
    title="+25 % revenue from newcomers",
    unit="CHF",
    value=412500.0,
    baseline=400000.0,
    target=500000.0,
    attainment=0.125,
    score=0.125,
    status="off_track",
    forecast=460000.0,
    forecast_score=0.6,
    collected_at=NOW - timedelta(hours=3),
)
ONBOARDING = objective((kr(), REVENUE), score=0.3125, status="off_track")
NPS = objective(
    (
        kr(
            id="nps",
            objective="nps",
            title="NPS 50 → 70",
            team="product",
            commitment="committed",
            unit="points",
            value=None,
            baseline=50.0,
            target=70.0,
            attainment=None,
            score=None,
            status="not_started",
            forecast=None,
            forecast_score=None,
            as_of=None,
            collected_at=None,
        ),
    ),
    id="nps",
    title="Customers recommend us",
    team="product",
    commitment="committed",
    score=None,
    status="not_started",
)


def render(objectives) -> str:
    console = Console(record=True, width=160, color_system=None, force_terminal=True)
    status_table(objectives, console, now=NOW)
    return console.export_text()


def test_status_json_carries_owner_checkin_and_parent_in_the_api_shape():
    checked = replace(
        kr(),
        owner="Mia",
        confidence="at_risk",
        note="campaign slipped a week",
        checked_in_at=datetime(2026, 11, 15, 17, 0, tzinfo=UTC),
        source="web",
        points=12,
    )
    child = objective((checked,), owner="Lea", parent="company-growth", score=0.5)
    document = status_json([child, NPS], {"web": "ga4"})
    assert document["key_results"][0] == {
        "id": "booking-5d",
        "objective": "newcomer-onboarding",
        "title": "70 % of newcomers book a doctor within 5 days",
        "team": "growth",
        "cycle": "2026-Q4",
        "commitment": "aspirational",
        "owner": "Mia",
        "unit": "percent",
        "direction": "increase",
        "value": 0.55,
        "baseline": 0.40,
        "target": 0.70,
        "band": None,
        "in_band": None,
        "attainment": 0.5,
        "score": 0.5,
        "expected": 0.5,
        "status": "on_track",
        "confidence": "at_risk",
        "note": "campaign slipped a week",
        "checked_in_at": "2026-11-15T17:00:00+00:00",
        "forecast": 0.64,
        "forecast_score": 0.8,
        "as_of": "2026-11-16T08:00:00+00:00",
        "collected_at": "2026-11-16T08:48:00+00:00",
        "source": "web",
        "source_types": ["ga4"],
        "points": 12,
    }
    assert document["key_results"][1]["id"] == "nps"
    assert document["key_results"][1]["confidence"] is None
    assert document["objectives"][0] == {
        "id": "newcomer-onboarding",
        "title": "Make health onboarding for newcomers effortless",
        "team": "growth",
        "cycle": "2026-Q4",
        "commitment": "aspirational",
        "level": "team",
        "owner": "Lea",
        "parent": "company-growth",
        "score": 0.5,
        "own_score": None,
        "expected": None,
        "status": "on_track",
        "key_results": ["booking-5d"],
        "children": [],
    }
    text = json.dumps(document)
    assert '"value": null' in text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.55, "percent", "55 %"),
        (0.032, "percent", "3.2 %"),
        (3.2, "%", "3.2 %"),
        (412500.0, "CHF", "CHF 412,500"),
        (1234567.891, "EUR", "EUR 1,234,567.89"),
        (4.5, "stars", "4.5 stars"),
        (12000.0, None, "12,000"),
        (None, "CHF", "-"),
        (-0.001, None, "0"),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_progress_bar_places_the_expected_marker():
    assert progress_bar(0.5, 0.5) == "█" * 10 + "│" + "░" * 10
    assert progress_bar(0.25, 0.75) == "█" * 5 + "░" * 10 + "│" + "░" * 5
    assert progress_bar(1.25, 1.0) == "█" * 20 + "│"
    assert progress_bar(-0.2, 0.0) == "│" + "░" * 20
    assert progress_bar(None, 0.1) == "░" * 2 + "│" + "░" * 18


def test_ago():
    assert format_ago(NOW - timedelta(seconds=30), NOW) == "just now"
    assert format_ago(NOW - timedelta(minutes=12, seconds=40), NOW) == "12 min ago"
    assert format_ago(NOW - timedelta(hours=3), NOW) == "3 h ago"
    assert format_ago(NOW - timedelta(days=3, hours=1), NOW) == "3 days ago"
    assert format_ago(None, NOW) == "never"
    zurich = (NOW - timedelta(minutes=5)).astimezone(ZoneInfo("Europe/Zurich"))
    assert format_ago(zurich, NOW) == "5 min ago"


def test_status_colours():
    assert status_text("on_track").style == "green"
    assert status_text("at_risk").style == "yellow"
    assert status_text("off_track").style == "red"
    assert status_text("achieved").style == "bold green"
    assert status_text("stale").style == "magenta"
    assert status_text("not_started").style == "dim"
    assert status_text("off_track").plain == "off track"


def test_status_table_shows_krs_with_units_bar_status_forecast_and_age():
    out = render([ONBOARDING])
    lines = out.splitlines()
    booking = next(line for line in lines if "70 % of newcomers" in line)
    assert "55 %" in booking
    assert "40 % → 70 %" in booking
    assert "█" * 10 + "│" + "░" * 10 + " 50 %" in booking
    assert "on track" in booking
    assert "64 % (0.80)" in booking
    assert "12 min ago" in booking
    revenue = next(line for line in lines if "+25 % revenue" in line)
    assert "CHF 412,500" in revenue
    assert "CHF 400,000 → 500,000" in revenue
    # attainment 0.125 → 2.5 cells rounds to 2; expected 0.5 → marker after cell 10
    assert "██" + "░" * 8 + "│" + "░" * 10 + " 12 %" in revenue
    assert "off track" in revenue
    assert "CHF 460,000 (0.60)" in revenue
    assert "3 h ago" in revenue
    title = next(line for line in lines if "Make health onboarding" in line)
    assert "0.31" in title
    assert "off track" in title


def test_status_table_groups_by_cycle_and_team_and_separates_commitments():
    revenue_q1 = objective(
        (replace(REVENUE, cycle="2027-Q1"),),
        id="q1",
        title="Grow newcomer revenue next quarter",
        cycle="2027-Q1",
    )
    out = render([revenue_q1, NPS, ONBOARDING])
    committed = out.index("Committed objectives")
    aspirational = out.index("Aspirational objectives")
    assert committed < aspirational
    # committed: only NPS, in its product group
    assert (
        committed
        < out.index("2026-Q4 · product")
        < out.index("Customers recommend")
        < (aspirational)
    )
    # aspirational: sorted by cycle, each group heading its objectives
    q4 = out.index("2026-Q4 · growth")
    q1 = out.index("2027-Q1 · growth")
    assert aspirational < q4 < out.index("Make health onboarding") < q1
    assert q1 < out.index("Grow newcomer revenue next quarter")
    nps = next(line for line in out.splitlines() if "NPS 50 → 70" in line)
    assert "50 points → 70 points" in nps
    assert "not started" in nps
    assert "never" in nps


def test_status_table_maintain_kr_shows_band():
    csat = kr(
        id="csat",
        title="Satisfaction stays at or above 4",
        unit="stars",
        direction="maintain",
        value=4.3,
        baseline=None,
        target=None,
        attainment=None,
        score=0.75,
        forecast=None,
        forecast_score=None,
        in_band=True,
        band=Band(at_least=4.0),
    )
    out = render([objective((csat,))])
    line = next(line for line in out.splitlines() if "Satisfaction stays" in line)
    assert "4.3 stars" in line
    assert "≥ 4 stars" in line
    assert "█" * 15 + "░" * 5 + "│" not in line  # marker sits at expected 0.5, not the end
    assert "█" * 10 + "│" + "█" * 5 + "░" * 5 + " in band" in line
    assert "0.75" in line


def test_status_table_without_objectives():
    assert "No objectives configured." in render([])


@dataclass(frozen=True)
class Row:
    window_start: datetime
    window_end: datetime
    value: float
    collected_at: datetime
    source: str
    revision: int
    id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Said:
    at: datetime
    value: float | None
    confidence: str | None
    note: str | None


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_history_table_lists_measurements_with_attainment():
    key_result = KeyResult(
        id="booking-5d",
        title="Newcomers booking within 5 days",
        focus="user",
        unit="percent",
        baseline=0.40,
        target=0.70,
    )
    zurich = ZoneInfo("Europe/Zurich")
    rows = [
        Row(
            datetime(2026, 10, 1, 22, tzinfo=UTC),
            datetime(2026, 10, 29, 23, tzinfo=UTC),
            0.46,
            datetime(2026, 10, 30, 5, 1, 2, tzinfo=UTC),
            "web",
            1,
        ),
        Row(
            datetime(2026, 10, 2, 22, tzinfo=UTC),
            datetime(2026, 10, 30, 23, tzinfo=UTC),
            0.55,
            datetime(2026, 11, 2, 7, 0, 0, tzinfo=UTC),
            "web",
            3,
            id=7,
            note="GA4 restated",
        ),
    ]
    console = Console(record=True, width=160, color_system=None, force_terminal=True)
    checkins = [
        Said(datetime(2026, 11, 2, 8, tzinfo=UTC), None, "at_risk", "campaign slipped"),
        Said(datetime(2026, 11, 3, 8, tzinfo=UTC), 0.5, None, None),
    ]
    earlier = {7: [0.50, 0.52]}
    history_table(key_result, rows, console, tz=zurich, earlier=earlier, checkins=checkins)
    out = console.export_text()
    assert "Newcomers booking within 5 days (booking-5d)" in out
    first, second = (cells(line) for line in out.splitlines() if "→" in line)
    # (0.46 − 0.40) / 0.30 = 20 %, (0.55 − 0.40) / 0.30 = 50 %; windows and fetch times in
    # Zurich local time (CEST before 10-25, CET after)
    assert first == [
        "2026-10-02 00:00 → 2026-10-30 00:00",
        "46 %",
        "20 %",
        "2026-10-30 06:01:02 CET",
        "web",
        "1",
        "",
    ]
    assert second == [
        "2026-10-03 00:00 → 2026-10-31 00:00",
        "55 %",
        "50 %",
        "2026-11-02 08:00:00 CET",
        "web",
        "3 (was 50 %, 52 %)",
        "GA4 restated",
    ]
    said = [cells(line) for line in out.splitlines() if "2026-11-0" in line and "CET" not in line]
    assert said == [
        ["2026-11-02 09:00", "", "at risk", "campaign slipped"],
        ["2026-11-03 09:00", "50 %", "", ""],
    ]


def test_history_piped_keeps_earlier_values_notes_and_checkins_on_one_line_each():
    key_result = KeyResult(
        id="backlog", title="Backlog from 40 to 20", focus="user", unit="tickets",
        baseline=40, target=20,
    )  # fmt: skip
    at = datetime(2026, 8, 1, 7, tzinfo=UTC)
    rows = [Row(at, at, 30, at, "manual", 2, id=3, note="recount after the migration")]
    checkins = [Said(at, 30, "at_risk", "recount after the migration"), Said(at, None, None, "x")]
    console = Console(record=True, width=80, color_system=None, force_terminal=False)
    history_table(key_result, rows, console, earlier={3: [35.0]}, checkins=checkins)
    lines = console.export_text().splitlines()
    assert lines == [
        "Backlog from 40 to 20 (backlog)",
        "  snapshot 2026-08-01 07:00  30 tickets  50 %  from manual  rev 2 (was 35 tickets)"
        "  2026-08-01 07:00:00 UTC  recount after the migration",
        "Check-ins",
        "  2026-08-01 07:00  30 tickets  at risk  recount after the migration",
        "  2026-08-01 07:00  x",
    ]


def test_history_table_for_maintain_kr_and_snapshots():
    key_result = KeyResult(
        id="open-tickets",
        title="Open tickets stay under 50",
        focus="user",
        maintain=Band(at_most=50),
    )
    moment = datetime(2026, 11, 3, 8, tzinfo=UTC)
    rows = [Row(moment, moment, 61, moment, "support", 1), Row(moment, moment, 42, moment, "x", 1)]
    console = Console(record=True, width=160, color_system=None, force_terminal=True)
    history_table(key_result, rows, console)
    out = console.export_text()
    assert "snapshot 2026-11-03 08:00" in out
    over, under = (cells(line) for line in out.splitlines() if "snapshot" in line)
    assert over[1:3] == ["61", "out of band"]
    assert under[1:3] == ["42", "in band"]

    console = Console(record=True, width=160, color_system=None, force_terminal=True)
    history_table(key_result, [], console)
    assert "no measurements yet" in console.export_text()


def test_objective_bar_marks_the_pace_its_commitment_expects():
    from syncd.render import objective_bar

    moonshot = objective((kr(),), score=0.45, expected=0.5, commitment="aspirational")
    # 0.45 fills 9 of 20 cells; the pace is 0.5 × 0.6 (aspirational success) = 0.3: cell 6.
    assert objective_bar(moonshot) == "██████│███░░░░░░░░░░░ 45 %"
    roofshot = replace(moonshot, commitment="committed")
    assert objective_bar(roofshot) == "█████████░│░░░░░░░░░░ 45 %"
    assert objective_bar(replace(moonshot, score=None)) == "-"
    assert "45 %" in render([moonshot])


def test_status_piped_without_colours_prints_what_rich_prints():
    """The piped, colourless status is written without rich's pipeline: the same text, line
    for line, as rich prints with colours (styles stripped) and as a recording console."""
    revenue_q1 = objective(
        (replace(REVENUE, cycle="2027-Q1"),),
        id="q1",
        title="Grow newcomer revenue",
        cycle="2027-Q1",
    )
    objectives = [revenue_q1, NPS, ONBOARDING]
    piped = io.StringIO()
    status_table(objectives, Console(file=piped, width=60, color_system=None), now=NOW)
    coloured = io.StringIO()
    console = Console(file=coloured, width=60, color_system="truecolor", force_terminal=False)
    status_table(objectives, console, now=NOW)
    recorded = Console(record=True, width=60, color_system=None, force_terminal=False)
    status_table(objectives, recorded, now=NOW)
    text = piped.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert text == re.sub(r"\x1b\[[0-9;]*m", "", coloured.getvalue())
    assert text == recorded.export_text()
    lines = text.splitlines()
    assert lines[0] == "Committed objectives (100 % expected)"
    assert "  NPS 50 → 70" in lines
    assert any(line.startswith("    ") and "forecast" in line for line in lines)
