"""Sending one message to one channel through Apprise (Slack, Teams, e-mail, webhooks, …)."""

from __future__ import annotations

import apprise
from apprise import NotifyFormat, NotifyType

from syncd.config.models import Notifications
from syncd.logs import scrub

_FAILED_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


def channels_for(notifications: Notifications, team: str, purpose: str) -> list[str]:
    """Names of the channels serving ``team`` that take ``purpose`` (``alerts`` or ``digest``)."""
    return [
        name
        for name, channel in notifications.channels.items()
        if channel.serves(team) and getattr(channel, purpose)
    ]


def _prefers_html(plugin: object) -> bool:
    formats = getattr(plugin, "notify_format", NotifyFormat.TEXT)
    first = formats[0] if isinstance(formats, tuple) else formats
    return bool(first == NotifyFormat.HTML)


def send(
    url: str,
    *,
    title: str,
    body: str,
    html: str | None = None,
    notify_type: NotifyType = NotifyType.INFO,
) -> str | None:
    """Send to the Apprise ``url``: ``None`` once delivered, else why not (secrets scrubbed).

    ``body`` is Markdown; a service whose native format is HTML (e-mail) gets ``html`` instead
    when there is one.
    """
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return "not a valid Apprise URL (see https://appriseit.com/services/)"
    sender = apprise.Apprise()
    sender.add(plugin)
    use_html = html is not None and _prefers_html(plugin)
    with sender.notify(
        body=html if use_html and html is not None else body,
        title=title,
        notify_type=notify_type,
        body_format=NotifyFormat.HTML if use_html else NotifyFormat.MARKDOWN,
    ) as result:
        if result:
            return None
        problems = [entry.message for entry in result.logs() if entry.level in _FAILED_LEVELS]
    return scrub("; ".join(problems)) or f"{plugin.service_name} did not accept the message"
