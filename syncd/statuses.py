"""The progress engine as a publisher: KR status changes become ``StatusChanged`` events.

The status last published for a KR is its newest ``status_changed`` event in the outbox; no
other state is kept. A KR is judged again when a measurement of it is recorded (the
:class:`ProgressEngine` consumes ``MeasurementRecorded``) and, because a status also moves with
time alone (the expected pace grows, a KR goes stale), by a :meth:`ProgressEngine.sweep` over
every KR every :data:`SWEEP_EVERY`. Two instances judging the same change publish it once: the
event's ``dedupe_key`` names the KR and the generation it enters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from syncd.config import LoadedConfig
from syncd.events import (
    MEASUREMENT_RECORDED,
    STATUS_CHANGED,
    Delivered,
    Event,
    MeasurementRecorded,
    StatusChanged,
    kr_subject,
)
from syncd.overview import build_overview
from syncd.progress import ObjectiveProgress
from syncd.store import Store
from syncd.store.outbox import Outbox

SWEEP_EVERY = timedelta(minutes=15)
"""How often every KR is judged again for the changes time alone makes (pace, staleness)."""


def last_statuses(outbox: Outbox) -> dict[str, tuple[str, int]]:
    """Each KR subject's status last published, and its generation."""
    found: dict[str, tuple[str, int]] = {}
    for subject, delivered in outbox.latest(STATUS_CHANGED).items():
        event = delivered.event
        assert isinstance(event, StatusChanged)
        found[subject] = (event.current, event.generation)
    return found


def status_changes(
    previous: Mapping[str, tuple[str, int]],
    overview: Sequence[ObjectiveProgress],
    *,
    now: datetime,
    kr_ids: set[str] | None = None,
) -> list[StatusChanged]:
    """The KRs of ``overview`` (or of ``kr_ids``) whose status differs from ``previous``
    (subject → status, generation); a KR not in ``previous`` gets its first status
    (``previous`` None, generation 0)."""
    changes: list[StatusChanged] = []
    for objective in overview:
        for kr in objective.key_results:
            if kr_ids is not None and kr.id not in kr_ids:
                continue
            before = previous.get(kr_subject(kr.id))
            if before is not None and before[0] == kr.status:
                continue
            changes.append(
                StatusChanged(
                    kr_id=kr.id,
                    previous=before[0] if before else None,
                    current=kr.status,
                    generation=before[1] + 1 if before else 0,
                    at=now,
                    team=kr.team,
                    title=kr.title,
                    objective_title=objective.title,
                    unit=kr.unit,
                    value=kr.value,
                    baseline=kr.baseline,
                    target=kr.target,
                    attainment=kr.attainment,
                    expected=kr.expected,
                    forecast=kr.forecast,
                    forecast_score=kr.forecast_score,
                    collected_at=kr.collected_at,
                )
            )
    return changes


class ProgressEngine:
    """Judges KRs when they are measured and publishes their status changes (a shared
    consumer of ``MeasurementRecorded``; see :class:`syncd.events.Consumer`)."""

    name = "progress"
    event_types = frozenset({MEASUREMENT_RECORDED})
    shared = True

    def __init__(
        self, loaded: LoadedConfig, store: Store, *, clock: Callable[[], datetime]
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.clock = clock

    def judge(self, kr_ids: set[str] | None = None) -> list[StatusChanged]:
        """The status changes of ``kr_ids`` (default: every KR) now, not yet published."""
        now = self.clock()
        configured = {kr.id for _, kr in self.loaded.config.key_results()}
        wanted = configured if kr_ids is None else kr_ids & configured
        if not wanted:
            return []
        overview = build_overview(self.loaded, self.store, now)
        return status_changes(last_statuses(self.store.outbox), overview, now=now, kr_ids=wanted)

    def handle(self, events: Sequence[Delivered]) -> Sequence[Event]:
        """Judge the KRs measured in ``events``; their changes are published with the ack."""
        kr_ids = {d.event.kr_id for d in events if isinstance(d.event, MeasurementRecorded)}
        return self.judge(kr_ids)

    def sweep(self) -> int:
        """Judge every KR and publish the changes time made; how many were published."""
        changes = self.judge()
        return len(self.store.outbox.append(changes, now=self.clock())) if changes else 0
