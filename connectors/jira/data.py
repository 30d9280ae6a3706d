"""Deterministic seeded issues for the Jira sandbox (and the tests' expectations).

Every issue is generated with its whole life decided up front (created, started, resolved);
what the sandbox shows depends on its clock: an issue exists once created, and its status,
resolution date and ``updated`` reflect only what already happened. Tests compute expected
values from these raw records with plain Python, applying the same rule (``event <= now``).

The numbers tell the 2026-Q4 delivery story of project ABC: bugs that escape to production
(label ``escaped``) fall from about 14 to about 6 a month after the release-pipeline epic
(ABC-2) starts on 2026-10-12, and cycle times of stories shorten.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZURICH = ZoneInfo("Europe/Zurich")
FIRST_DAY = date(2025, 6, 1)
LAST_DAY = date(2026, 12, 31)
PIPELINE_START = date(2026, 10, 12)
STORY_POINTS = "customfield_10016"
START_DATE = "customfield_10015"


@dataclass(frozen=True)
class EpicRecord:
    """An epic: a bet the initiatives of the demo name."""

    key: str
    summary: str
    created_at: datetime
    started_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class IssueRecord:
    """One issue's whole life; instants are UTC."""

    id: int
    key: str
    project: str
    issue_type: str
    summary: str
    priority: str
    labels: tuple[str, ...]
    created_at: datetime
    started_at: datetime | None
    resolved_at: datetime | None
    story_points: float | None
    start_date: date | None
    """The custom date field "Start date" (a date picker, no time)."""
    parent: str | None


@dataclass(frozen=True)
class Dataset:
    epics: tuple[EpicRecord, ...]
    issues: tuple[IssueRecord, ...]
    """Sorted by creation."""


def _moment(day: date, rng: random.Random) -> datetime:
    local = datetime.combine(day, time(8), tzinfo=ZURICH) + timedelta(minutes=rng.randint(0, 600))
    return local.astimezone(UTC)


def _escape_rate(day: date) -> float:
    """How many bugs escape to production per day: the pipeline epic halves it."""
    if day < PIPELINE_START:
        return 0.46
    ramp = min(1.0, (day - PIPELINE_START).days / 30)
    return 0.46 - 0.26 * ramp


def generate(seed: int = 20261001) -> Dataset:
    """The seeded dataset: a few epics and about 3,000 issues of projects ABC and OPS."""
    rng = random.Random(seed)
    epics = (
        EpicRecord(
            "ABC-1",
            "Checkout rewrite",
            _moment(date(2026, 8, 3), rng),
            _moment(date(2026, 8, 10), rng),
            _moment(date(2026, 11, 19), rng),
        ),
        EpicRecord(
            "ABC-2",
            "Release pipeline hardening",
            _moment(date(2026, 9, 28), rng),
            _moment(PIPELINE_START, rng),
            None,
        ),
        EpicRecord("ABC-3", "Self-service onboarding", _moment(date(2026, 11, 2), rng), None, None),
    )
    issues: list[IssueRecord] = []
    counters = {"ABC": 3, "OPS": 0}
    day = FIRST_DAY
    while day <= LAST_DAY:
        kinds: list[tuple[str, str, tuple[str, ...]]] = []
        kinds += [("ABC", "Story", ())] * _poisson(rng, 2.2)
        kinds += [("ABC", "Bug", ())] * _poisson(rng, 1.1)
        kinds += [("ABC", "Bug", ("escaped",))] * _poisson(rng, _escape_rate(day))
        kinds += [("OPS", "Task", ())] * _poisson(rng, 1.3)
        for project, issue_type, labels in kinds:
            counters[project] += 1
            created = _moment(day, rng)
            speed = 0.7 if day >= PIPELINE_START else 1.0
            started = created + timedelta(hours=rng.uniform(2, 96))
            resolved: datetime | None = started + timedelta(hours=rng.uniform(4, 400) * speed)
            if rng.random() < 0.08:
                resolved = None  # never done (won't fix is rare: still open)
            points = rng.choice([1.0, 2.0, 3.0, 5.0, 8.0, None]) if issue_type == "Story" else None
            extra = ("customer",) if rng.random() < 0.2 else ()
            issues.append(
                IssueRecord(
                    id=10000 + len(issues) + 1,
                    key=f"{project}-{counters[project]}",
                    project=project,
                    issue_type=issue_type,
                    summary=f"{issue_type} {counters[project]} of {project}",
                    priority=rng.choice(["Low", "Medium", "Medium", "High", "Highest"]),
                    labels=labels + extra,
                    created_at=created,
                    started_at=started,
                    resolved_at=resolved,
                    story_points=points,
                    start_date=started.astimezone(ZURICH).date() if rng.random() < 0.6 else None,
                    parent=rng.choice([e.key for e in epics]) if project == "ABC" else None,
                )
            )
        day += timedelta(days=1)
    issues.sort(key=lambda issue: (issue.created_at, issue.id))
    return Dataset(epics=epics, issues=tuple(issues))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (small means only)."""
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count
