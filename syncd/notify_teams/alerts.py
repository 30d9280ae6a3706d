"""Alerts: a KR's status changed or went stale, a source started or stopped failing.

The statuses alerts were last judged on live in the store (``alert_states``), not in memory, so
a restarted daemon compares with what was already announced. Each alert's key names the subject,
the change and the generation of the state it leaves: every instance that sees the same change
derives the same key, and the delivery claims (:mod:`syncd.notify_teams.outbox`) send it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from apprise import NotifyType

from syncd.config import LoadedConfig
from syncd.config.models import Config, Notifications
from syncd.evaluate import MetricEvaluator
from syncd.formatting import format_value
from syncd.notify_teams.channels import channels_for
from syncd.notify_teams.outbox import OWNER, deliver_message, retry_due
from syncd.overview import build_overview
from syncd.progress import KRProgress, ObjectiveProgress
from syncd.status import status_label
from syncd.store import Store, SyncRun
from syncd.store.notifications import OutgoingMessage
from syncd.store.runs import INTERRUPTED

EventKind = Literal["status_changed", "stale", "source_failing", "source_recovered"]

FAILING = "failing"
HEALTHY = "ok"
_GOOD = {"on_track", "achieved"}


def kr_subject(kr_id: str) -> str:
    """The alert-state subject of a KR."""
    return f"kr:{kr_id}"


def source_subject(source: str) -> str:
    """The alert-state subject of a source."""
    return f"source:{source}"


@dataclass(frozen=True)
class Event:
    """Something a team should hear about: ``subject`` moved from ``previous`` to ``current``.

    ``generation`` is the stored generation of the state it leaves; with the subject and the
    change it makes :attr:`key`, the same on every instance and new for every later change.
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


def _kr_body(kr: KRProgress, objective: ObjectiveProgress, previous: str) -> str:
    lines = [
        f"**{kr.title}** ({objective.title}) is now **{_words(kr.status)}**, "
        f"was {_words(previous)}."
    ]
    if kr.value is not None:
        if kr.baseline is not None and kr.target is not None:
            lines.append(
                f"Value {format_value(kr.value, kr.unit)} "
                f"(baseline {format_value(kr.baseline, kr.unit)} → "
                f"target {format_value(kr.target, kr.unit)})."
            )
        else:
            lines.append(f"Value {format_value(kr.value, kr.unit)}.")
    if kr.attainment is not None:
        lines.append(f"Attainment {kr.attainment:.2f}, expected by now {kr.expected:.2f}.")
    if kr.forecast is not None:
        score = f" (score {kr.forecast_score:.2f})" if kr.forecast_score is not None else ""
        lines.append(f"Forecast at cycle end: {format_value(kr.forecast, kr.unit)}{score}.")
    if kr.status == "stale" and kr.collected_at is not None:
        lines.append(f"Last measured at {kr.collected_at:%Y-%m-%d %H:%M} UTC.")
    return "\n\n".join(lines)


def detect_events(
    previous: Mapping[str, str],
    overview: Sequence[ObjectiveProgress],
    *,
    runs: Sequence[SyncRun] = (),
    source_teams: Mapping[str, Sequence[str]] | None = None,
    generations: Mapping[str, int] | None = None,
) -> list[Event]:
    """The changes between ``previous`` (subject → status, as last stored) and now.

    A subject not in ``previous`` is new: it is recorded, not announced. ``runs`` (newest
    first, from ``store.runs()``) give each source's health; ``source_teams`` names the teams
    whose KRs read each source (a source event goes to them).
    """
    gens = generations or {}
    events: list[Event] = []
    for objective in overview:
        for kr in objective.key_results:
            subject = kr_subject(kr.id)
            before = previous.get(subject)
            if before is None or before == kr.status:
                continue
            events.append(
                Event(
                    kind="stale" if kr.status == "stale" else "status_changed",
                    subject=subject,
                    previous=before,
                    current=kr.status,
                    teams=(kr.team,),
                    title=f"[{kr.team}] {kr.title}: {_words(before)} → {_words(kr.status)}",
                    body=_kr_body(kr, objective, before),
                    generation=gens.get(subject, 0),
                )
            )
    teams_of = source_teams or {}
    for source, (health, run) in source_states(runs).items():
        subject = source_subject(source)
        before = previous.get(subject)
        if before is None or before == health:
            continue
        failing = health == FAILING
        reason = f"\n\nError: {run.error}" if failing and run.error else ""
        events.append(
            Event(
                kind="source_failing" if failing else "source_recovered",
                subject=subject,
                previous=before,
                current=health,
                teams=tuple(teams_of.get(source, ())),
                title=f"Source {source} {'is failing' if failing else 'recovered'}",
                body=(
                    f"The sync of **{source}** "
                    f"{'failed' if failing else 'succeeded again'} "
                    f"(run {run.id}, started {run.started_at:%Y-%m-%d %H:%M} UTC)."
                    f"{reason}"
                ),
                generation=gens.get(subject, 0),
            )
        )
    return events


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


def run_alerts(loaded: LoadedConfig, store: Store, *, now: datetime, owner: str = OWNER) -> int:
    """Detect changes since the stored states, deliver them, retry what is due, then store the
    new states. Returns how many messages were sent. Without ``notifications`` it does nothing.

    States advance only after delivery: an instance dying in between leaves the change to be
    detected again under the same key, and the claims keep it from being sent twice.
    """
    config = loaded.config
    notifications = config.notifications
    if notifications is None:
        return 0
    stored = store.alert_states()
    previous = {subject: status for subject, (status, _) in stored.items()}
    generations = {subject: generation for subject, (_, generation) in stored.items()}
    overview = build_overview(loaded, store, now)
    runs = store.runs(limit=200)
    events = detect_events(
        previous,
        overview,
        runs=runs,
        source_teams=source_teams(config),
        generations=generations,
    )
    sent = deliver(events, config, store, now=now, owner=owner)
    sent += retry_due(store, notifications, now=now, owner=owner)
    for subject, status in current_states(overview, runs).items():
        if previous.get(subject) != status:
            store.advance_alert_state(subject, generations.get(subject), status, now=now)
    return sent
