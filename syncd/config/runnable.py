"""Checks of a valid configuration against the calendar: what passes each field's own
validation but could never run, such as a KR whose schedule has no slot within its cycle."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from syncd.config.models import Config
from syncd.config.sourcemap import KeyPath, SourceMap
from syncd.cycles import cycle_bounds
from syncd.errors import ConfigIssue
from syncd.schedule import parse_schedule


def unrunnable_issues(config: Config, positions: SourceMap) -> list[ConfigIssue]:
    """One issue per KR whose schedule never fires between its cycle's first and last day."""
    issues = []
    tz = config.tz
    # Thousands of KRs share a handful of schedules and cycles: each pair is walked once.
    fires: dict[tuple[str, str], bool] = {}
    for index, objective in enumerate(config.objectives):
        cycle = config.cycles.get(objective.cycle)
        if cycle is None:
            continue  # reported by the reference checks
        bounds = cycle_bounds(cycle, tz)
        start, end = bounds.start, bounds.end
        for kr_index, kr in enumerate(objective.key_results):
            known = fires.get((kr.schedule, objective.cycle))
            if known is None:
                known = fires[(kr.schedule, objective.cycle)] = _fires(kr.schedule, start, end, tz)
            if known:
                continue
            path: KeyPath = ("objectives", index, "key_results", kr_index, "schedule")
            issues.append(
                positions.issue(
                    f"schedule {kr.schedule!r} has no slot in cycle {objective.cycle!r} "
                    f"({cycle.start} to {cycle.end}): key result {kr.id!r} would never be "
                    "measured",
                    path,
                    "choose a schedule that fires within the cycle, such as daily or weekly",
                )
            )
    return issues


def _fires(spec: str, start: datetime, end: datetime, tz: ZoneInfo) -> bool:
    """Whether schedule ``spec`` has a slot in (``start``, ``end``]."""
    schedule = parse_schedule(spec)
    if schedule.step is not None and schedule.step <= timedelta(days=1):
        return True  # a slot at every local midnight: the cycle's end is one
    latest = schedule.latest_slot(end, tz)
    return latest is not None and latest > start
