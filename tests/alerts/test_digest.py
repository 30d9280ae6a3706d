"""build_digest: values, the change over 7 days, status, forecast, owners and their word, what
needs attention, in plain words and percentages; the link to the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.notify_teams.digest import build_digest
from tests.alerts.builders import kr, objective

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def overview():
    growth = objective(
        kr(
            "nps",
            "on_track",
            title="NPS from 50 to 70",
            value=61.0,
            forecast=73.5,
            owner="Luca Steiner",
            confidence="at_risk",
            note="survey wave 3 is late",
        ),
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
        owner="Sara Brunner",
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
    week_ago = {"nps": 58.0, "booking": 0.45, "revenue": 95000.0}
    digest = build_digest("growth", overview(), week_ago, NOW)
    assert digest.title == "Weekly OKR digest: growth, Mon 23 Nov 2026"
    assert [line.kr_id for line in digest.lines] == ["nps", "booking", "revenue"]
    assert [line.change_text for line in digest.lines] == ["+3 points", "+1.2 pp", "±0"]
    assert [line.week_text for line in digest.lines] == [
        "+3 points in 7 days",
        "+1.2 pp in 7 days",
        "unchanged in 7 days",
    ]
    assert [line.attention for line in digest.lines] == [
        None,
        "off track, 21 % of the way with 58 % expected by now",
        # committed: a forecast short of 100 % misses
        "on pace for 84 % of the way by the cycle's end (100 % is success)",
    ]
    # A KR's owner, else its objective's.
    assert [line.owner for line in digest.lines] == ["Luca Steiner", "Sara Brunner", "Sara Brunner"]
    assert digest.values() == {"nps": 61.0, "booking": 0.462, "revenue": 95000.0}
    assert digest.link is None


def test_markdown_for_chat_says_it_in_plain_words_and_links_the_dashboard():
    digest = build_digest(
        "growth", overview(), {"nps": 58.0}, NOW, dashboard_url="https://okr.example.com/"
    )
    assert digest.markdown() == "\n".join(
        [
            "**Needs attention (2)**",
            "- Book within 5 days (Sara Brunner): off track, 21 % of the way with 58 % expected "
            "by now",
            "- Revenue <newcomers> (Sara Brunner): on pace for 84 % of the way by the cycle's "
            "end (100 % is success)",
            "",
            "**Key results**",
            "- NPS from 50 to 70: 61 points (+3 points in 7 days), on track, forecast 73.5 "
            "points by the cycle's end (100 % of the way); owner Luca Steiner",
            "  Luca Steiner says at risk: “survey wave 3 is late”",
            "- Book within 5 days: 46.2 % (new in the last 7 days), off track, forecast 48.6 % "
            "by the cycle's end (29 % of the way); owner Sara Brunner",
            "- Revenue <newcomers>: CHF 95,000 (new in the last 7 days), on track, forecast "
            "CHF 104,000 by the cycle's end (84 % of the way); owner Sara Brunner",
            "",
            "[Open the dashboard](https://okr.example.com/?team=growth)",
        ]
    )
    assert "attainment" not in digest.markdown() and "0.21" not in digest.markdown()


def test_html_for_e_mail_is_escaped():
    html = build_digest(
        "growth", overview(), {}, NOW, dashboard_url="https://okr.example.com"
    ).html()
    assert "<h1>Weekly OKR digest: growth, Mon 23 Nov 2026</h1>" in html
    assert "<td>Revenue &lt;newcomers&gt;</td><td>Sara Brunner</td><td>CHF 95,000</td>" in html
    assert "<newcomers>" not in html
    assert "<small>Luca Steiner says at risk: “survey wave 3 is late”</small>" in html
    assert '<a href="https://okr.example.com/?team=growth">Open the dashboard</a>' in html


def test_stale_and_unmeasured_krs_need_attention_and_aspirational_success_is_60_percent():
    digest = build_digest("support", overview(), {"reply": 60.0}, NOW)
    reply, tickets = digest.lines
    assert reply.attention == "stale: no fresh measurement since 15 Nov 06:00 UTC"
    assert tickets.attention == "no measurement yet"
    assert (tickets.value_text, tickets.change_text, tickets.week_text) == (
        "-",
        "-",
        "no value yet",
    )
    assert digest.values() == {"reply": 60.0}
    moonshot = objective(
        kr("a", "on_track", forecast_score=0.65), kr("b", "on_track", forecast_score=0.55),
        commitment="aspirational",
    )  # fmt: skip
    a, b = build_digest("growth", [moonshot], {}, NOW).lines
    assert a.attention is None
    assert b.attention == "on pace for 55 % of the way by the cycle's end (60 % is success)"


def test_a_team_without_krs_gets_an_empty_digest():
    digest = build_digest("nobody", overview(), {}, NOW)
    assert digest.lines == ()
    assert digest.markdown().startswith("**Nothing needs attention.**")
