"""The status vocabulary is defined once: every status has its words, and the CLI's choices are
the check-in's."""

from __future__ import annotations

from syncd.cli.measure import Confidence
from syncd.status import CONFIDENCES, STATUS_ORDER, STATUSES, status_label


def test_every_status_has_its_words_and_a_place_in_the_order():
    assert [status_label(s) for s in STATUSES] == [
        "on track",
        "at risk",
        "off track",
        "achieved",
        "not started",
        "stale",
    ]
    assert sorted(STATUS_ORDER) == sorted(STATUSES)
    assert set(CONFIDENCES) <= set(STATUSES)


def test_the_cli_offers_exactly_the_confidences_a_checkin_accepts():
    assert tuple(c.value for c in Confidence) == CONFIDENCES
