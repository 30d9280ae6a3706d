"""Progress reaches the teams: alerts on status changes and source failures, and the weekly
digest, sent through Apprise to each team's channels exactly once (claims in the store).

Entry points for the daemon and the CLI: :func:`run_alerts`, :func:`send_due_digests` and
:func:`preview_digest`.
"""

from syncd.notify_teams.alerts import Event, deliver, detect_events, run_alerts
from syncd.notify_teams.digest import Digest, build_digest, preview_digest, send_due_digests

__all__ = [
    "Digest",
    "Event",
    "build_digest",
    "deliver",
    "detect_events",
    "preview_digest",
    "run_alerts",
    "send_due_digests",
]
