"""The weekly check-in digest: per team, each KR's value, change since the last digest, status,
forecast, and what needs attention; Markdown for chat, HTML for e-mail.

A digest is due once per slot of ``notifications.digest.schedule`` (config time zone) and goes
to each of the team's digest channels once, through the same claimed deliveries as alerts. The
values it showed are kept with the delivery, so the next digest reports the change since then.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from syncd.config import LoadedConfig
from syncd.errors import ConfigError, ConfigIssue
from syncd.notify_teams.channels import channels_for
from syncd.notify_teams.outbox import OWNER, deliver_message, retry_due
from syncd.overview import build_overview
from syncd.progress import KRProgress, ObjectiveProgress, Status
from syncd.render import format_number, format_value
from syncd.schedule import parse_duration, parse_schedule
from syncd.store import Store
from syncd.store.notifications import OutgoingMessage

DIGEST = "digest"
# The score an objective's commitment counts as success (DESIGN §1).
_SUCCESS = {"committed": 1.0, "aspirational": 0.7}
_POINT_UNITS = {"percent": 100.0, "%": 1.0, "pp": 1.0}


@dataclass(frozen=True)
class DigestLine:
    """One KR in a digest."""

    kr_id: str
    title: str
    objective: str
    unit: str | None
    value: float | None
    change: float | None
    status: Status
    forecast: float | None
    forecast_score: float | None
    attention: str | None

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def change_text(self) -> str:
        """``+1.3 pp``, ``-CHF 2,000``, ``±0``; ``-`` without an earlier digest value."""
        if self.change is None:
            return "-"
        if self.change == 0:
            return "±0"
        sign = "+" if self.change > 0 else "-"
        if self.unit in _POINT_UNITS:
            return f"{sign}{format_number(abs(self.change) * _POINT_UNITS[self.unit])} pp"
        return f"{sign}{format_value(abs(self.change), self.unit)}"

    @property
    def since_text(self) -> str:
        """``+1.3 pp since last digest``, or ``first digest`` when there is nothing to compare."""
        if self.change is None:
            return "first digest" if self.value is not None else "no value"
        return f"{self.change_text} since last digest"

    @property
    def forecast_text(self) -> str:
        if self.forecast is None:
            return "-"
        score = f" (score {self.forecast_score:.2f})" if self.forecast_score is not None else ""
        return f"{format_value(self.forecast, self.unit)}{score}"


@dataclass(frozen=True)
class Digest:
    """A team's digest at ``as_of``."""

    team: str
    as_of: datetime
    lines: tuple[DigestLine, ...]

    @property
    def title(self) -> str:
        return f"Weekly OKR digest: {self.team}, {self.as_of:%a %d %b %Y}"

    @property
    def attention(self) -> tuple[DigestLine, ...]:
        return tuple(line for line in self.lines if line.attention is not None)

    def values(self) -> dict[str, float]:
        """The values shown, by KR id: the next digest's baseline for its changes."""
        return {line.kr_id: line.value for line in self.lines if line.value is not None}

    def markdown(self) -> str:
        """The digest for chat (Slack, Teams, webhooks), without its title."""
        parts = []
        if self.attention:
            parts.append(f"**Needs attention ({len(self.attention)})**")
            parts.extend(f"- {line.title}: {line.attention}" for line in self.attention)
        else:
            parts.append("**Nothing needs attention.**")
        parts.append("")
        parts.append("**Key results**")
        parts.extend(
            f"- {line.title}: {line.value_text} ({line.since_text}), "
            f"{line.status.replace('_', ' ')}, forecast {line.forecast_text}"
            for line in self.lines
        )
        return "\n".join(parts)

    def html(self) -> str:
        """The digest as an HTML e-mail body."""
        e = html.escape
        attention = (
            "<ul>"
            + "".join(
                f"<li>{e(line.title)}: {e(line.attention or '')}</li>" for line in self.attention
            )
            + "</ul>"
            if self.attention
            else "<p>Nothing needs attention.</p>"
        )
        rows = "".join(
            "<tr>"
            f"<td>{e(line.title)}</td><td>{e(line.value_text)}</td><td>{e(line.since_text)}</td>"
            f"<td>{e(line.status.replace('_', ' '))}</td><td>{e(line.forecast_text)}</td>"
            "</tr>"
            for line in self.lines
        )
        return (
            f"<h1>{e(self.title)}</h1>"
            f"<h2>Needs attention ({len(self.attention)})</h2>{attention}"
            "<h2>Key results</h2>"
            '<table border="1" cellpadding="4" cellspacing="0">'
            "<tr><th>Key result</th><th>Value</th><th>Since last digest</th><th>Status</th>"
            f"<th>Forecast</th></tr>{rows}</table>"
        )


def _attention(kr: KRProgress, commitment: str) -> str | None:
    if kr.status in ("off_track", "at_risk"):
        pace = (
            f"attainment {kr.attainment:.2f}, expected {kr.expected:.2f}"
            if kr.attainment is not None
            else "out of its band"
        )
        return f"{kr.status.replace('_', ' ')} ({pace})"
    if kr.status == "stale":
        since = f" since {kr.collected_at:%Y-%m-%d %H:%M} UTC" if kr.collected_at else ""
        return f"stale: no fresh measurement{since}"
    if kr.status == "not_started":
        return "no measurement yet"
    if kr.forecast_score is not None and kr.forecast_score < _SUCCESS.get(commitment, 1.0):
        return f"forecast misses the target (score {kr.forecast_score:.2f})"
    return None


def build_digest(
    team: str,
    overview: Sequence[ObjectiveProgress],
    previous_digest_values: Mapping[str, float],
    now: datetime,
) -> Digest:
    """The digest of ``team``'s KRs in ``overview``; changes are against the values the
    previous digest showed (a KR it did not show has no change)."""
    lines = []
    for objective in overview:
        if objective.team != team:
            continue
        for kr in objective.key_results:
            before = previous_digest_values.get(kr.id)
            lines.append(
                DigestLine(
                    kr_id=kr.id,
                    title=kr.title,
                    objective=objective.title,
                    unit=kr.unit,
                    value=kr.value,
                    change=kr.value - before
                    if kr.value is not None and before is not None
                    else None,
                    status=kr.status,
                    forecast=kr.forecast,
                    forecast_score=kr.forecast_score,
                    attention=_attention(kr, objective.commitment),
                )
            )
    return Digest(team=team, as_of=now, lines=tuple(lines))


def _teams(loaded: LoadedConfig) -> list[str]:
    return list(dict.fromkeys(objective.team for objective in loaded.config.objectives))


def _previous_values(store: Store, team: str, exclude_key: str | None = None) -> dict[str, float]:
    last = store.last_sent_delivery(team, DIGEST, exclude_key=exclude_key)
    if last is None or not last.data:
        return {}
    values = json.loads(last.data).get("values", {})
    return {str(kr): float(value) for kr, value in values.items()}


def preview_digest(loaded: LoadedConfig, store: Store, team: str, now: datetime) -> str:
    """``team``'s digest as it would be sent at ``now`` (Markdown, title first)."""
    if team not in _teams(loaded):
        raise ConfigError(
            ConfigIssue(
                f"no objectives of team {team!r}",
                hint=f"teams with objectives: {', '.join(_teams(loaded)) or 'none'}",
            )
        )
    overview = build_overview(loaded, store, now)
    digest = build_digest(team, overview, _previous_values(store, team), now)
    return f"# {digest.title}\n\n{digest.markdown()}\n"


def send_due_digests(
    loaded: LoadedConfig, store: Store, *, now: datetime, owner: str = OWNER
) -> int:
    """Send each team's digest for the current slot to its digest channels, once per slot and
    channel across instances and restarts; retry deliveries that are due. A slot older than
    ``digest.late`` is skipped. Returns how many messages were sent."""
    config = loaded.config
    notifications = config.notifications
    if notifications is None:
        return 0
    local_now = now.astimezone(config.tz)
    slot = parse_schedule(notifications.digest.schedule).slot(local_now, config.tz)
    sent = 0
    if local_now - slot <= parse_duration(notifications.digest.late):
        stamp = slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        overview: list[ObjectiveProgress] | None = None
        for team in _teams(loaded):
            channels = channels_for(notifications, team, "digest")
            key = f"{DIGEST}:{team}:{stamp}"
            claimed = {row.channel for row in store.deliveries(key_prefix=key)}
            if not [channel for channel in channels if channel not in claimed]:
                continue
            if overview is None:
                overview = build_overview(loaded, store, now)
            digest = build_digest(team, overview, _previous_values(store, team, key), local_now)
            message = _message(key, digest)
            sent += deliver_message(store, notifications, message, channels, now=now, owner=owner)
    return sent + retry_due(store, notifications, now=now, owner=owner)


def _message(key: str, digest: Digest) -> OutgoingMessage:
    data = {"values": digest.values(), "as_of": digest.as_of.isoformat()}
    return OutgoingMessage(
        key=key,
        kind=DIGEST,
        team=digest.team,
        title=digest.title,
        body=digest.markdown(),
        html=digest.html(),
        data=json.dumps(data, sort_keys=True),
    )
