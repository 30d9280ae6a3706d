"""The weekly check-in digest: per team, each KR's value, its change over the last 7 days,
status, forecast, owner and the owner's latest word, and what needs attention, in plain words
and percentages; Markdown for chat, HTML for e-mail (Jinja templates), with a link to the
dashboard when ``dashboard_url`` is set.

A digest is due once per slot of ``notifications.digest.schedule`` (config time zone) and goes
to each of the team's digest channels once, through the same claimed deliveries as alerts. The
change is measured from the stored measurements (the value 7 days before), so even the first
digest says how things moved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from syncd.config import LoadedConfig
from syncd.errors import ConfigError, ConfigIssue
from syncd.formatting import format_day, format_number, format_share, format_value
from syncd.notify_teams.channels import channels_for
from syncd.notify_teams.outbox import OWNER, deliver_message, retry_due
from syncd.overview import build_overview
from syncd.progress import KRProgress, ObjectiveProgress, success_score
from syncd.schedule import parse_duration, parse_schedule
from syncd.status import Status, status_label
from syncd.store import Store
from syncd.store.notifications import OutgoingMessage

DIGEST = "digest"
WEEK = timedelta(days=7)
_POINT_UNITS = {"percent": 100.0, "%": 1.0, "pp": 1.0}


def percent(share: float) -> str:
    """A share in plain percent: ``21 %``."""
    return format_share(share)


@dataclass(frozen=True)
class DigestLine:
    """One KR in a digest. ``week_ago`` is its value 7 days before the digest."""

    kr_id: str
    title: str
    objective: str
    owner: str | None
    unit: str | None
    value: float | None
    week_ago: float | None
    status: Status
    forecast: float | None
    forecast_score: float | None
    attention: str | None
    confidence: str | None = None
    note: str | None = None

    @property
    def change(self) -> float | None:
        if self.value is None or self.week_ago is None:
            return None
        return self.value - self.week_ago

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def status_text(self) -> str:
        return status_label(self.status)

    @property
    def change_text(self) -> str:
        """``+1.3 pp``, ``-CHF 2,000``, ``±0``; ``-`` without a value 7 days ago."""
        change = self.change
        if change is None:
            return "-"
        if change == 0:
            return "±0"
        sign = "+" if change > 0 else "-"
        if self.unit in _POINT_UNITS:
            return f"{sign}{format_number(abs(change) * _POINT_UNITS[self.unit])} pp"
        return f"{sign}{format_value(abs(change), self.unit)}"

    @property
    def week_text(self) -> str:
        """``+1.3 pp in 7 days``, ``unchanged in 7 days``, ``new in the last 7 days``."""
        if self.value is None:
            return "no value yet"
        if self.change is None:
            return "new in the last 7 days"
        if self.change == 0:
            return "unchanged in 7 days"
        return f"{self.change_text} in 7 days"

    @property
    def forecast_text(self) -> str:
        """``48.6 % by the cycle's end (29 % of the way)``, or ``-``."""
        if self.forecast is None:
            return "-"
        way = (
            f" ({percent(self.forecast_score)} of the way)"
            if self.forecast_score is not None
            else ""
        )
        return f"{format_value(self.forecast, self.unit)} by the cycle's end{way}"

    @property
    def checkin_text(self) -> str | None:
        """``Lea Meier says at risk: “campaign slipped”``, or ``None`` without a check-in."""
        if self.confidence is None and not self.note:
            return None
        said = status_label(self.confidence or "")
        note = f"“{self.note}”" if self.note else ""
        return f"{self.owner or 'the owner'} says {said}{': ' if said and note else ''}{note}"


@dataclass(frozen=True)
class Digest:
    """A team's digest at ``as_of``; ``link`` opens the team's dashboard (when configured)."""

    team: str
    as_of: datetime
    lines: tuple[DigestLine, ...]
    link: str | None = None

    @property
    def title(self) -> str:
        return f"Weekly OKR digest: {self.team}, {format_day(self.as_of)}"

    @property
    def attention(self) -> tuple[DigestLine, ...]:
        return tuple(line for line in self.lines if line.attention is not None)

    def values(self) -> dict[str, float]:
        """The values shown, by KR id (kept with the delivery, for the record)."""
        return {line.kr_id: line.value for line in self.lines if line.value is not None}

    def markdown(self) -> str:
        """The digest for chat (Slack, Teams, webhooks), without its title."""
        return _render("digest.md.j2", self).rstrip("\n")

    def html(self) -> str:
        """The digest as an HTML e-mail body."""
        return _render("digest.html.j2", self)


def _render(template: str, digest: Digest) -> str:
    env = Environment(
        loader=PackageLoader("syncd.notify_teams", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(template).render(digest=digest)


def _attention(kr: KRProgress, commitment: str) -> str | None:
    """What needs a look, in plain words: how far along against the pace, staleness, or a
    forecast short of success (100 % committed; 60 % aspirational)."""
    words = status_label(kr.status)
    if kr.status in ("off_track", "at_risk"):
        if kr.attainment is None:
            return f"{words}, out of its band"
        return (
            f"{words}, {percent(kr.attainment)} of the way "
            f"with {percent(kr.expected)} expected by now"
        )
    if kr.status == "stale":
        since = f" since {kr.collected_at:%d %b %H:%M} UTC" if kr.collected_at else ""
        return f"stale: no fresh measurement{since}"
    if kr.status == "not_started":
        return "no measurement yet"
    success = success_score(commitment)
    if kr.forecast_score is not None and kr.forecast_score < success:
        return (
            f"on pace for {percent(kr.forecast_score)} of the way by the cycle's end "
            f"({percent(success)} is success)"
        )
    return None


def build_digest(
    team: str,
    overview: Sequence[ObjectiveProgress],
    week_ago: Mapping[str, float],
    now: datetime,
    *,
    dashboard_url: str | None = None,
) -> Digest:
    """The digest of ``team``'s KRs in ``overview``; ``week_ago`` holds each KR's value 7 days
    before ``now`` (a KR without one shows as new)."""
    lines = []
    for objective in overview:
        if objective.team != team:
            continue
        for kr in objective.key_results:
            lines.append(
                DigestLine(
                    kr_id=kr.id,
                    title=kr.title,
                    objective=objective.title,
                    owner=kr.owner or objective.owner,
                    unit=kr.unit,
                    value=kr.value,
                    week_ago=week_ago.get(kr.id),
                    status=kr.status,
                    forecast=kr.forecast,
                    forecast_score=kr.forecast_score,
                    attention=_attention(kr, objective.commitment),
                    confidence=kr.confidence,
                    note=kr.note,
                )
            )
    link = None
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/?{urlencode({'team': team})}"
    return Digest(team=team, as_of=now, lines=tuple(lines), link=link)


def week_ago_values(loaded: LoadedConfig, store: Store, now: datetime) -> dict[str, float]:
    """Each KR's value as it stood 7 days before ``now``, from the stored measurements."""
    return {
        kr.id: kr.value
        for objective in build_overview(loaded, store, now - WEEK)
        for kr in objective.key_results
        if kr.value is not None
    }


def _dashboard_url(loaded: LoadedConfig) -> str | None:
    url = loaded.config.dashboard_url
    return str(url) if url is not None else None


def _teams(loaded: LoadedConfig) -> list[str]:
    return list(dict.fromkeys(objective.team for objective in loaded.config.objectives))


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
    digest = build_digest(
        team,
        overview,
        week_ago_values(loaded, store, now),
        now,
        dashboard_url=_dashboard_url(loaded),
    )
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
        week_ago: dict[str, float] = {}
        for team in _teams(loaded):
            channels = channels_for(notifications, team, "digest")
            key = f"{DIGEST}:{team}:{stamp}"
            claimed = {row.channel for row in store.deliveries(key_prefix=key)}
            if not [channel for channel in channels if channel not in claimed]:
                continue
            if overview is None:
                overview = build_overview(loaded, store, now)
                week_ago = week_ago_values(loaded, store, now)
            digest = build_digest(
                team, overview, week_ago, local_now, dashboard_url=_dashboard_url(loaded)
            )
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
