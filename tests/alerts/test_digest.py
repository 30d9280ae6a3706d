"""build_digest: values, changes since the last digest, status, forecast, what needs attention."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.notify_teams.digest import build_digest
from tests.alerts.builders import kr, objective

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def overview():
    growth = objective(
        kr("nps", "on_track", title="NPS from 50 to 70", value=61.0, forecast=73.5),
        kr(
            "booking",
            "off_track",
            title="Book within 5 days",
            unit="percent",
            value=0.462,
            baseline=0.4,
            target=0.7,
            attainment=0.2067,
            expected=0.58,
            forecast=0.486,
            forecast_score=0.29,
        ),
        kr(
            "revenue",
            "on_track",
            title="Revenue <newcomers>",
            unit="CHF",
            value=95000.0,
            baseline=86000.0,
            target=107500.0,
            forecast=104000.0,
            forecast_score=0.84,
        ),
    )
    support = objective(
        kr("reply", "stale", title="First reply", team="support"),
        kr("tickets", "not_started", title="Tickets", team="support", value=None),
        id="fast",
        team="support",
        commitment="aspirational",
    )
    return [growth, support]


def test_lines_changes_and_attention():
    previous = {"nps": 58.0, "booking": 0.45, "revenue": 95000.0}
    digest = build_digest("growth", overview(), previous, NOW)
    assert digest.title == "Weekly OKR digest: growth, Mon 23 Nov 2026"
    assert [line.kr_id for line in digest.lines] == ["nps", "booking", "revenue"]
    assert [line.change_text for line in digest.lines] == ["+3 points", "+1.2 pp", "±0"]
    assert [line.attention for line in digest.lines] == [
        None,
        "off track (attainment 0.21, expected 0.58)",
        # committed: anything under a forecast score of 1.0 misses
        "forecast misses the target (score 0.84)",
    ]
    assert digest.values() == {"nps": 61.0, "booking": 0.462, "revenue": 95000.0}


def test_markdown_for_chat():
    digest = build_digest("growth", overview(), {"nps": 58.0}, NOW)
    assert digest.markdown() == "\n".join(
        [
            "**Needs attention (2)**",
            "- Book within 5 days: off track (attainment 0.21, expected 0.58)",
            "- Revenue <newcomers>: forecast misses the target (score 0.84)",
            "",
            "**Key results**",
            "- NPS from 50 to 70: 61 points (+3 points since last digest), on track, "
            "forecast 73.5 points (score 1.00)",
            "- Book within 5 days: 46.2 % (first digest), off track, forecast 48.6 % (score 0.29)",
            "- Revenue <newcomers>: CHF 95,000 (first digest), on track, "
            "forecast CHF 104,000 (score 0.84)",
        ]
    )


def test_html_for_e_mail_is_escaped():
    html = build_digest("growth", overview(), {}, NOW).html()
    assert "<h1>Weekly OKR digest: growth, Mon 23 Nov 2026</h1>" in html
    assert "<td>Revenue &lt;newcomers&gt;</td><td>CHF 95,000</td>" in html
    assert "<newcomers>" not in html


def test_stale_and_unmeasured_krs_need_attention_and_aspirational_pace_is_lower():
    digest = build_digest("support", overview(), {"reply": 60.0}, NOW)
    reply, tickets = digest.lines
    assert reply.attention == "stale: no fresh measurement since 2026-11-15 06:00 UTC"
    assert tickets.attention == "no measurement yet"
    assert (tickets.value_text, tickets.change_text) == ("-", "-")
    assert digest.values() == {"reply": 60.0}


def test_a_team_without_krs_gets_an_empty_digest():
    digest = build_digest("nobody", overview(), {}, NOW)
    assert digest.lines == ()
    assert digest.markdown().startswith("**Nothing needs attention.**")
