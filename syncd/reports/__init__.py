"""End-of-cycle review report and measurement exports (``syncd report``, ``syncd export``)."""

from syncd.reports.export import export_measurements
from syncd.reports.model import CommitmentSection, InitiativeReview, Movement, Review
from syncd.reports.review import build_review, render_review

__all__ = [
    "CommitmentSection",
    "InitiativeReview",
    "Movement",
    "Review",
    "build_review",
    "export_measurements",
    "render_review",
]
