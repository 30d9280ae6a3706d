"""The daemon's jobs: the KRs that are measured together, and when.

A job is one set of sources on one schedule ("source × schedule"; a KR whose derived metric
reads two sources makes a job of both). Its identity, ``warehouse@hourly``, is what instances
claim slots of and lock on, so it must be the same for every instance with the same config.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from syncd.config.models import Config
from syncd.evaluate import MetricEvaluator
from syncd.schedule import Schedule, parse_schedule
from syncd.sync import Syncer


@dataclass(frozen=True)
class Job:
    """KRs measured together: same sources, same schedule."""

    key: str
    schedule: Schedule
    sources: tuple[str, ...]
    kr_ids: tuple[str, ...]


def plan_jobs(config: Config, syncer: Syncer) -> dict[str, Job]:
    """Every pulled KR grouped into jobs; manual KRs and KRs without a metric need none."""
    evaluator = MetricEvaluator(config)
    grouped: dict[tuple[tuple[str, ...], str], list[str]] = {}
    for _objective, kr in config.key_results():
        if kr.metric is None:
            continue
        metric = config.metrics[kr.metric]
        if not syncer.pulls(metric):
            continue
        sources = tuple(sorted(evaluator.sources(metric)))
        schedule = parse_schedule(kr.schedule).spec
        grouped.setdefault((sources, schedule), []).append(kr.id)
    return {
        f"{'+'.join(sources)}@{spec}": Job(
            key=f"{'+'.join(sources)}@{spec}",
            schedule=parse_schedule(spec),
            sources=sources,
            kr_ids=tuple(kr_ids),
        )
        for (sources, spec), kr_ids in grouped.items()
    }


class SlotTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler 3 ships no type hints
    """Fires at a syncd schedule's slots (plus jitter), so the scheduler and the slot a
    measurement is stored under always agree, across DST changes too."""

    def __init__(self, schedule: Schedule, tz: ZoneInfo, jitter: timedelta) -> None:
        self.schedule = schedule
        self.tz = tz
        self.jitter = jitter.total_seconds() or None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = now
        if previous_fire_time is not None:
            after = max(now, previous_fire_time + timedelta(microseconds=1))
        horizon = after + 2 * self.schedule.interval + timedelta(days=1)
        upcoming = next(
            (s for s in self.schedule.slots_between(after, horizon, self.tz) if s >= after), None
        )
        fire_time: datetime | None = self._apply_jitter(upcoming, self.jitter, now)
        return fire_time

    def __str__(self) -> str:
        return f"slots of {self.schedule.spec!r}"
