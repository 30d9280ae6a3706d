"""The status vocabulary: what a KR's status and an owner's confidence can be, and the words
people read for them. Defined once; the CLI, dashboard, reports, digests and alerts use it."""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["on_track", "at_risk", "off_track", "achieved", "not_started", "stale"]
"""A KR's computed status (:func:`syncd.progress.status`)."""

Confidence = Literal["on_track", "at_risk", "off_track"]
"""The owner's judgement at a check-in."""

STATUSES: tuple[Status, ...] = get_args(Status)
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)

STATUS_ORDER: tuple[Status, ...] = (
    "off_track",
    "at_risk",
    "on_track",
    "achieved",
    "stale",
    "not_started",
)
"""Worst first: the order summaries count statuses in."""

STATUS_LABELS: dict[str, str] = {status: status.replace("_", " ") for status in STATUSES}
"""The words for a status or a confidence: ``on_track`` → ``on track``."""


def status_label(status: str) -> str:
    """The words for a status or a confidence (``at risk``); an unknown one as written."""
    return STATUS_LABELS.get(status, status)
