"""What a cycle review holds: scores by commitment, the "too safe" verdict, the bets' movement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from syncd.progress import KRProgress, ObjectiveProgress

Commitment = Literal["committed", "aspirational"]


@dataclass(frozen=True)
class CommitmentSection:
    """The objectives of one commitment in the cycle, with their scores summed up.

    ``score`` is the plain mean of the objectives' rolled-up scores (objectives without any
    scored KR are left out); ``at_ceiling`` counts the KRs whose score reached 1.0.
    """

    commitment: Commitment
    objectives: tuple[ObjectiveProgress, ...]
    score: float | None
    at_ceiling: int

    @property
    def key_results(self) -> tuple[KRProgress, ...]:
        """Every KR of the section, in config order."""
        return tuple(kr for objective in self.objectives for kr in objective.key_results)

    @property
    def scored(self) -> int:
        """How many KRs have a score (the others have no measurement in the cycle)."""
        return sum(1 for kr in self.key_results if kr.score is not None)

    @property
    def share_at_ceiling(self) -> float | None:
        """``at_ceiling`` over all KRs of the section; ``None`` without KRs."""
        total = len(self.key_results)
        return self.at_ceiling / total if total else None


@dataclass(frozen=True)
class Movement:
    """How one KR moved around an initiative's start: a plain before/after reading.

    ``start_value`` is the measurement whose slot is at or just before the start, ``latest_value``
    the newest one after it. ``change`` is their difference in the KR's unit; ``share_of_expected``
    divides it by the initiative's expected ``by`` and ``share_of_range`` by ``target - baseline``
    (attainment points moved). Slopes are least-squares lines in units per day through the
    measurements at or before the start, and through those after it (``None`` below two slots).
    It describes what happened after the start; it does not say the initiative caused it.
    """

    key_result: str
    title: str
    unit: str | None
    expected_by: float | None
    start_at: datetime | None
    start_value: float | None
    latest_at: datetime | None
    latest_value: float | None
    change: float | None
    share_of_expected: float | None
    share_of_range: float | None
    slope_before: float | None
    slope_after: float | None
    points_before: int
    points_after: int


@dataclass(frozen=True)
class EpicState:
    """Where an initiative's Jira epic stands, read when the review is made (not as of its
    ``as_of``): its status, whether that status is done, and when it was resolved; or why it
    could not be read (``error``)."""

    key: str
    status: str | None = None
    done: bool = False
    resolved: date | None = None
    error: str | None = None


@dataclass(frozen=True)
class InitiativeReview:
    """An initiative (a bet) with the movement of each of its KRs that belongs to the cycle."""

    id: str
    title: str
    team: str | None
    start: date
    hypothesis: str | None
    moves: tuple[Movement, ...]
    epic: EpicState | None = None


@dataclass(frozen=True)
class Review:
    """The review of one cycle as of ``as_of``: final once the cycle is over.

    ``targets_too_safe`` is set when at least ``too_safe_share`` of the aspirational KRs
    reached score 1.0: moonshots that always land were roofshots.
    """

    cycle: str
    start: date
    end: date
    timezone: str
    as_of: datetime
    final: bool
    elapsed: float
    committed: CommitmentSection
    aspirational: CommitmentSection
    targets_too_safe: bool
    too_safe_share: float
    initiatives: tuple[InitiativeReview, ...]
