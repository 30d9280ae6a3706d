"""Alerts: a KR's status changed or went stale, a source started or stopped failing.

Alerts consume the outbox's ``StatusChanged`` and ``SourceHealthChanged`` events
(:class:`AlertConsumer`, a shared consumer): each change becomes one message per team, sent once
to each of the team's alert channels. A subject's first status or health (``previous`` None) is
recorded, not announced. Each alert's key names the subject, the change and the generation it
leaves, so a redelivered event (an instance died before acknowledging it) finds its deliveries
claimed already (:mod:`syncd.notify_teams.outbox`) and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from apprise import NotifyType

from syncd.config import LoadedConfig
from syncd.config.models import Config, Notifications
from syncd.consumers import ConsumerRunner
from syncd.evaluate import MetricEvaluator
from syncd.events import (
    SOURCE_HEALTH_CHANGED,
    STATUS_CHANGED,
    Delivered,
    SourceHealthChanged,
    StatusChanged,
    kr_subject,
    source_subject,
)
from syncd.events import Event as OutboxEvent
from syncd.formatting import format_value
from syncd.notify_teams.channels import channels_for
from syncd.notify_teams.outbox import OWNER, deliver_message, retry_due
from syncd.progress import ObjectiveProgress
from syncd.status import status_label
from syncd.statuses import ProgressEngine, status_changes
from syncd.store import Store, SyncRun
from syncd.store.notifications import OutgoingMessage
from syncd.store.runs import INTERRUPTED

EventKind = Literal["status_changed", "stale", "source_failing", "source_recovered"]

FAILING = "failing"
HEALTHY = "ok"
_GOOD = {"on_track", "achieved"}


@dataclass(frozen=True)
class Event:
    """Something a team should hear about: ``subject`` moved from ``previous`` to ``current``.

    ``generation`` is the generation of the state it leaves; with the subject and the change
    it makes :attr:`key`, the same on every instance and new for every later change.
    """

    kind: EventKind
    subject: str
    previous: str
    current: str
    teams: tuple[str, ...]
    title: str
    body: str
    generation: int = 0

    @property
    def key(self) -> str:
        return f"alert:{self.subject}:{self.generation}:{self.previous}>{self.current}"

    @property
    def notify_type(self) -> NotifyType:
        if self.kind == "source_recovered" or self.current in _GOOD:
            return NotifyType.SUCCESS
        return NotifyType.FAILURE if self.kind == "source_failing" else NotifyType.WARNING


def _words(status: str) -> str:
    return status_label(status)


def source_states(runs: Sequence[SyncRun]) -> dict[str, tuple[str, SyncRun]]:
    """Each source's health from its newest finished run: ``failing`` when that run failed."""
    found: dict[str, tuple[str, SyncRun]] = {}
    # An interrupted run (its process died) says nothing about the source.
    finished = [run for run in runs if run.finished_at is not None and run.outcome != INTERRUPTED]
    for run in sorted(finished, key=lambda r: r.started_at, reverse=True):
        if run.source not in found:
            found[run.source] = (FAILING if run.outcome == "failed" else HEALTHY, run)
    return found


def current_states(
    overview: Sequence[ObjectiveProgress], runs: Sequence[SyncRun]
) -> dict[str, str]:
    """The status of every subject alerts watch: each KR, and each source that has run."""
    states: dict[str, str] = {
        kr_subject(kr.id): kr.status for objective in overview for kr in objective.key_results
    }
    for source, (health, _) in source_states(runs).items():
        states[source_subject(source)] = health
    return states


def _kr_body(change: StatusChanged) -> str:
    previous = change.previous or "unknown"
    lines = [
        f"**{change.title}** ({change.objective_title}) is now **{_words(change.current)}**, "
        f"was {_words(previous)}."
    ]
    unit = change.unit
    if change.value is not None:
        if change.baseline is not None and change.target is not None:
            lines.append(
                f"Value {format_value(change.value, unit)} "
                f"(baseline {format_value(change.baseline, unit)} → "
                f"target {format_value(change.target, unit)})."
            )
        else:
            lines.append(f"Value {format_value(change.value, unit)}.")
    if change.attainment is not None and change.expected is not None:
        lines.append(f"Attainment {change.attainment:.2f}, expected by now {change.expected:.2f}.")
    if change.forecast is not None:
        score = f" (score {change.forecast_score:.2f})" if change.forecast_score is not None else ""
        lines.append(f"Forecast at cycle end: {format_value(change.forecast, unit)}{score}.")
    if change.current == "stale" and change.collected_at is not None:
        lines.append(f"Last measured at {change.collected_at:%Y-%m-%d %H:%M} UTC.")
    return "\n\n".join(lines)


def _health(failing: bool) -> str:
    return FAILING if failing else HEALTHY


def alert_for(
    change: OutboxEvent, source_teams: Mapping[str, Sequence[str]] | None = None
) -> Event | None:
    """The alert a status or health change makes; ``None`` for a first status (news to
    nobody) and for other events. ``source_teams`` names the teams reading each source."""
    if isinstance(change, StatusChanged):
        if change.previous is None:
            return None
        before, now = change.previous, change.current
        return Event(
            kind="stale" if now == "stale" else "status_changed",
            subject=change.subject,
            previous=before,
            current=now,
            teams=(change.team,),
            title=f"[{change.team}] {change.title}: {_words(before)} → {_words(now)}",
            body=_kr_body(change),
            generation=change.generation - 1,
        )
    if isinstance(change, SourceHealthChanged):
        if change.previous is None:
            return None
        failing = change.failing
        reason = f"\n\nError: {change.reason}" if failing and change.reason else ""
        return Event(
            kind="source_failing" if failing else "source_recovered",
            subject=change.subject,
            previous=_health(change.previous),
            current=_health(failing),
            teams=tuple((source_teams or {}).get(change.source, ())),
            title=f"Source {change.source} {'is failing' if failing else 'recovered'}",
            body=(
                f"The sync of **{change.source}** "
                f"{'failed' if failing else 'succeeded again'} "
                f"(run {change.run_id}, started {change.started_at:%Y-%m-%d %H:%M} UTC)."
                f"{reason}"
            ),
            generation=change.generation - 1,
        )
    return None


def health_changes(
    previous: Mapping[str, str],
    runs: Sequence[SyncRun],
    generations: Mapping[str, int] | None = None,
) -> list[SourceHealthChanged]:
    """The sources whose health (from their newest finished run) differs from ``previous``
    (subject → ``ok``/``failing``); a source not in ``previous`` gets its first health."""
    gens = generations or {}
    changes: list[SourceHealthChanged] = []
    for source, (health, run) in source_states(runs).items():
        subject = source_subject(source)
        before = previous.get(subject)
        if before == health:
            continue
        changes.append(
            SourceHealthChanged(
                source=source,
                failing=health == FAILING,
                previous=None if before is None else before == FAILING,
                generation=gens.get(subject, 0) + 1 if before is not None else 0,
                run_id=run.id,
                started_at=run.started_at,
                reason=run.error if health == FAILING else None,
            )
        )
    return changes


def detect_events(
    previous: Mapping[str, str],
    overview: Sequence[ObjectiveProgress],
    *,
    runs: Sequence[SyncRun] = (),
    source_teams: Mapping[str, Sequence[str]] | None = None,
    generations: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> list[Event]:
    """The alerts the changes between ``previous`` (subject → status) and ``overview`` and
    ``runs`` make: the progress engine's :func:`~syncd.statuses.status_changes` and
    :func:`health_changes`, each turned into its alert (:func:`alert_for`).

    A subject not in ``previous`` is new: recorded, not announced. ``generations`` are the
    subjects' current generations (default 0).
    """
    gens = generations or {}
    stated = {subject: (status, gens.get(subject, 0)) for subject, status in previous.items()}
    at = now or datetime.min.replace(tzinfo=UTC)
    changes: list[OutboxEvent] = [
        *status_changes(stated, overview, now=at),
        *health_changes(previous, runs, gens),
    ]
    return [alert for change in changes if (alert := alert_for(change, source_teams))]


def source_teams(config: Config) -> dict[str, list[str]]:
    """For each source, the teams owning a KR whose metric reads it (config order)."""
    evaluator = MetricEvaluator(config)
    teams: dict[str, list[str]] = {}
    for objective, kr in config.key_results():
        if kr.metric is None or kr.metric not in config.metrics:
            continue
        for source in sorted(evaluator.sources(config.metrics[kr.metric])):
            serving = teams.setdefault(source, [])
            if objective.team not in serving:
                serving.append(objective.team)
    return teams


def wanted(event: Event, notifications: Notifications) -> bool:
    """Whether the alert rules ask for ``event``."""
    rules = notifications.alerts
    if event.kind in ("source_failing", "source_recovered"):
        return rules.sources
    return event.previous in rules.statuses or event.current in rules.statuses


def deliver(
    events: Sequence[Event],
    config: Config,
    store: Store,
    *,
    now: datetime,
    owner: str = OWNER,
) -> int:
    """Send each wanted event once to each alert channel of its teams; how many sends
    succeeded. A ``(event, channel)`` already claimed — by this or any instance — is skipped."""
    notifications = config.notifications
    if notifications is None:
        return 0
    sent = 0
    for event in events:
        if not wanted(event, notifications):
            continue
        for team in event.teams:
            message = OutgoingMessage(
                key=event.key, kind=event.kind, team=team, title=event.title, body=event.body
            )
            channels = channels_for(notifications, team, "alerts")
            sent += deliver_message(
                store,
                notifications,
                message,
                channels,
                now=now,
                owner=owner,
                notify_type=event.notify_type,
            )
    return sent


class AlertConsumer:
    """Sends the alerts of status and health changes (a shared consumer; see
    :class:`syncd.events.Consumer`). ``sent`` counts the messages sent so far."""

    name = "alerts"
    event_types = frozenset({STATUS_CHANGED, SOURCE_HEALTH_CHANGED})
    shared = True

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        clock: Callable[[], datetime],
        owner: str = OWNER,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.owner = owner
        self.teams = source_teams(config)
        self.sent = 0

    def handle(self, events: Sequence[Delivered]) -> Sequence[OutboxEvent]:
        """Deliver the alerts of ``events`` (a delivery claimed before is not sent again)."""
        alerts = [alert for d in events if (alert := alert_for(d.event, self.teams))]
        if alerts:
            self.sent += deliver(
                alerts, self.config, self.store, now=self.clock(), owner=self.owner
            )
        return ()


def run_alerts(loaded: LoadedConfig, store: Store, *, now: datetime, owner: str = OWNER) -> int:
    """Judge every KR at ``now`` (publishing the status changes), hand the pending status and
    health changes to the alerts, and retry the deliveries that are due. Returns how many
    messages were sent. Without ``notifications`` it does nothing.

    The daemon does the same continuously (its consumer runner and progress sweep); this is
    the one-shot form, e.g. for a command or a test.
    """
    config = loaded.config
    notifications = config.notifications
    if notifications is None:
        return 0

    def clock() -> datetime:
        return now

    engine = ProgressEngine(loaded, store, clock=clock)
    alerts = AlertConsumer(config, store, clock=clock, owner=owner)
    engine.sweep()
    ConsumerRunner(store.outbox, [engine, alerts], owner=owner, clock=clock).drain()
    return alerts.sent + retry_due(store, notifications, now=now, owner=owner)
