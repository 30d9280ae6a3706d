"""The review rendered as JSON, Markdown and HTML."""

from __future__ import annotations

import json
import re

import pytest

from syncd.reports import build_review, render_review
from syncd.reports.review import Review

from .scenario import AFTER_CYCLE, REVIEW_MEASUREMENTS, at, filled, loaded, point, review_config


@pytest.fixture
def review(store) -> Review:
    config = review_config()
    filled(store, config, REVIEW_MEASUREMENTS)
    return build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE)


def test_json_document(review):
    doc = json.loads(render_review(review, "json"))
    assert doc["schema"] == "syncd.review/1"
    assert doc["cycle"] == {
        "id": "2026-Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "timezone": "UTC",
        "as_of": "2027-01-05T09:00:00+00:00",
        "final": True,
        "elapsed": 1.0,
    }
    committed = doc["committed"]
    assert committed["score"] == pytest.approx(0.78125)
    assert (committed["kr_count"], committed["scored"], committed["at_ceiling"]) == (4, 4, 1)
    assert [o["id"] for o in committed["objectives"]] == ["checkout", "support"]
    conv = committed["objectives"][0]["key_results"][0]
    assert conv["id"] == "conv"
    assert conv["value"] == 3.5
    assert conv["attainment"] == pytest.approx(0.75)
    assert conv["status"] == "at_risk"
    # Through (Nov 1, 3.0) and (Dec 1, 3.5), 31 more days to Jan 1: 3.5 + 0.5 · 31 / 30.
    assert conv["forecast"] == pytest.approx(3.5 + 0.5 * 31 / 30)
    assert conv["as_of"] == "2026-12-01T00:00:00+00:00"
    backlog = committed["objectives"][1]["key_results"][0]
    assert backlog["band"] == {"at_least": None, "at_most": 100.0}
    assert (backlog["score"], backlog["weight"], backlog["attainment"]) == (0.75, 3.0, None)

    aspirational = doc["aspirational"]
    assert aspirational["score"] == pytest.approx(0.85)
    assert (aspirational["kr_count"], aspirational["scored"], aspirational["at_ceiling"]) == (
        3,
        2,
        1,
    )
    assert doc["targets_too_safe"]["flag"] is False
    assert doc["targets_too_safe"]["threshold"] == 0.8
    assert doc["targets_too_safe"]["share_at_ceiling"] == pytest.approx(1 / 3)

    promo = doc["initiatives"][0]
    assert (promo["id"], promo["start"]) == ("promo", "2026-11-01")
    [move] = promo["moves"]
    assert move["start_at"] == "2026-11-01T00:00:00+00:00"
    assert move["latest_at"] == "2026-12-01T00:00:00+00:00"
    assert (move["start_value"], move["latest_value"], move["expected_by"]) == (120, 170, 50)
    assert move["change"] == pytest.approx(50)
    assert move["slope_before_per_day"] == pytest.approx(1.0)
    assert move["slope_after_per_day"] == pytest.approx(1.5)
    assert (move["points_before"], move["points_after"]) == (3, 3)
    assert [i["id"] for i in doc["initiatives"]] == ["promo", "quiet"]


def test_markdown(review):
    text = render_review(review, "md")
    assert text.startswith("# Cycle review 2026-Q4\n\n")
    assert "2026-10-01 – 2026-12-31 (UTC) · as of 2027-01-05 09:00 UTC · 100 % of the cycle" in text
    assert "**final**" in text
    committed = text.index("## Committed objectives (100 % expected)")
    aspirational = text.index("## Aspirational objectives (60-70 % counts as success)")
    assert committed < aspirational
    assert (
        "Mean objective score **0.78** over 2 objectives; 1 of 4 key results reached 1.0."
        in text[committed:aspirational]
    )
    assert (
        "Mean objective score **0.85** over 1 objective; 1 of 3 key results reached 1.0."
        in text[aspirational:]
    )
    # A pipe in a title is escaped so the table keeps its columns.
    assert (
        "| Conversion \\| rate (`conv`) | 2 % → 4 % | 3.5 % | 75 % | 0.75 | at risk "
        "| 4.02 % (1.00) |" in text
    )
    assert (
        "| Wait time (`wait`) | 10 minutes → 5 minutes | 4 minutes | 120 % | 1.00 | achieved | - |"
        in text
    )
    assert "| Backlog under 100 (`backlog`) | ≤ 100 | 95 | - | 0.75 | on track |" in text
    assert "| Unmeasured (`nothing`) | 0 → 10 | - | - | - | not started | - |" in text
    assert "Team support · score **0.69** · off track" in text
    assert "Ambitious enough: 1 of 3 aspirational key results (33 %) reached score 1.0" in text
    assert "not what caused it" in text
    assert "| Signups (`signups`) | +50 | 120 | 170 | +50 | 100 % | +1/day | +1.5/day |" in text
    assert "| Unmeasured (`nothing`) | - | - | - | - | - | - | - |" in text
    assert "Later bet" not in text


def test_markdown_says_targets_too_safe(store):
    config = review_config()
    # Both measured aspirational KRs and the unmeasured one at 1.0 or above: 3 of 3.
    items = [
        *REVIEW_MEASUREMENTS,
        point("signups", 200, at(12, 15)),
        point("nothing", 12, at(12, 15)),
    ]
    filled(store, config, items)
    review = build_review(loaded(config), store, "2026-Q4", now=AFTER_CYCLE)
    text = render_review(review, "md")
    assert (
        "**Targets too safe:** 3 of 3 aspirational key results (100 %) reached score 1.0." in text
    )


def test_html_is_one_self_contained_escaped_page(review):
    page = render_review(review, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"<script|<link|\bsrc=|\bhref=|https?://", page)
    assert '<h3 id="objective-checkout">Checkout &lt; 2 clicks &amp; fast</h3>' in page
    assert "<blockquote>A promo brings &lt;people&gt;</blockquote>" in page
    row = page[
        page.index('<tr id="kr-conv">') : page.index("</tr>", page.index('<tr id="kr-conv">'))
    ]
    assert '<span class="status at_risk">at risk</span>' in row
    assert 'style="width: 75.0%"' in row
    assert '<td class="num">3.5 %</td>' in row
    assert "Ambitious enough: 1 of 3 aspirational key results (33 %)" in page
    assert '<td class="num">+1.5/day</td>' in page


def test_unknown_format(review):
    with pytest.raises(ValueError, match="unknown review format 'pdf'"):
        render_review(review, "pdf")  # type: ignore[arg-type]


def test_markdown_mid_cycle_says_so(store):
    config = review_config()
    filled(store, config, REVIEW_MEASUREMENTS)
    review = build_review(loaded(config), store, "2026-Q4", now=at(11, 16))
    text = render_review(review, "md")
    assert "as of 2026-11-16 00:00 UTC · 50 % of the cycle elapsed · cycle still running" in text
    # revenue's only measurement (Dec 1) is after Nov 16: nothing has reached 1.0 yet.
    assert "0 of 3 aspirational key results (0 %) reached score 1.0 so far" in text


def test_a_currency_range_reads_as_on_the_dashboard_and_in_the_cli(review):
    """Changed by the one formatting module: the report wrote the code on both ends
    (``CHF 1,000 → CHF 2,000``); CLI, dashboard and report now share ``format_range``."""
    text = render_review(review, "md")
    assert "| Revenue (`revenue`) | CHF 1,000 → 2,000 |" in text
    assert "CHF 2,000 |" not in text
