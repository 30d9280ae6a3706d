"""The ``tability`` sink: each measured KR value becomes a check-in of a Tability outcome.

Tability appends: every POST is a new check-in, and no update of a check-in is documented
(see :mod:`connectors.tability.wire` for what is verified where). So ``deliver`` lists the
outcome's check-ins first (every page) and writes nothing when the latest check-in of the
value's day already holds the value; otherwise it adds one. A revised value for a day that
already has a check-in is therefore a second check-in for that day, the latest, which Tability
shows as the outcome's current value; the receipt's detail says so. A POST retried after a
lost answer re-reads first, so a check-in that landed is not added twice.

Sent: ``score`` (the value), ``checkin_date`` (the value's local day, ``YYYY-MM-DD``),
``body`` (the note: window and source) and ``confidence`` from syncd's status (``on_track``
green, ``at_risk`` yellow, ``off_track`` red; other statuses send none and Tability derives
one from the progress).
"""

from __future__ import annotations

import math
from datetime import date
from typing import ClassVar

from connectors.tability import wire
from connectors.tability.client import Checkin, TabilityClient, checkin_day
from connectors.tability.config import TabilitySinkConfig, TabilityTarget
from syncd.abc import ConnectorContext, Delivery, RateLimit, Reading, Receipt, Sink
from syncd.http import Json


def same_score(a: float, b: float) -> bool:
    """Whether two scores are the same number (a JSON round trip may cost the last bit)."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def latest_of_day(checkins: list[Checkin], day: date) -> Checkin | None:
    """The check-in Tability shows for ``day``: the latest made for it, or None."""
    of_day = [checkin for checkin in checkins if checkin.day == day]
    return max(of_day, key=lambda checkin: checkin.order) if of_day else None


def checkin_fields(delivery: Delivery[TabilityTarget]) -> dict[str, Json]:
    """The check-in to add for ``delivery``, by Tability's field names."""
    fields: dict[str, Json] = {
        wire.SCORE: delivery.value,
        wire.CHECKIN_DATE: delivery.day.isoformat(),
        wire.BODY: delivery.note,
    }
    confidence = wire.CONFIDENCE_FOR_STATUS.get(delivery.status or "")
    if confidence is not None:
        fields[wire.CONFIDENCE] = confidence
    return fields


class TabilitySink(Sink[TabilitySinkConfig, TabilityTarget]):
    """Check-ins of Tability outcomes, in one workspace (see the module's docstring)."""

    config_model: ClassVar[type[TabilitySinkConfig]] = TabilitySinkConfig
    target_model: ClassVar[type[TabilityTarget]] = TabilityTarget
    default_rate_limit: ClassVar[RateLimit | None] = None
    """Tability publishes no rate limit; a 429 is honoured through its Retry-After."""

    def __init__(self, config: TabilitySinkConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self._client = TabilityClient(config, source=context.source, call=self.call)

    def close(self) -> None:
        self._client.close()

    def deliver(self, delivery: Delivery[TabilityTarget], previous: Receipt | None) -> Receipt:
        """Add ``delivery`` as a check-in unless the day's latest one holds it. ``previous``
        is not needed: Tability cannot update the check-in it names, and the read comes first."""
        outcome = delivery.target.outcome
        shown = latest_of_day(self._client.checkins(outcome), delivery.day)
        if shown is not None and same_score(shown.score, delivery.value):
            return Receipt(
                sent=False,
                remote_id=shown.id,
                detail=f"outcome {outcome} already shows {delivery.value:.15g} for "
                f"{delivery.day} (check-in {shown.id})",
            )
        created = self._write(outcome, delivery)
        value, day = f"{delivery.value:.15g}", delivery.day
        detail = f"added check-in {created} to outcome {outcome}: {value} for {day}"
        if shown is not None:
            detail += (
                f"; Tability cannot update a check-in, so the day's earlier one ({shown.id}, "
                f"{shown.score:.15g}) stays and this one is the day's latest"
            )
        return Receipt(sent=True, remote_id=created, detail=detail)

    def _write(self, outcome: str, delivery: Delivery[TabilityTarget]) -> str:
        """Add the check-in; a retried attempt first looks whether the last one landed."""
        fields = checkin_fields(delivery)
        attempts = 0

        def attempt() -> str:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                landed = latest_of_day(self._client.checkins(outcome, direct=True), delivery.day)
                if landed is not None and same_score(landed.score, delivery.value):
                    return landed.id
            return str(self._client.add_checkin(outcome, fields)[wire.ID])

        return self.call(attempt, what=f"new check-in of outcome {outcome}")

    def read(self, target: TabilityTarget) -> Reading:
        record = self._client.outcome(target.outcome)
        if not isinstance(record, dict):
            return Reading(title=None, value=None, detail="Tability sent no outcome record")
        title = record.get(wire.TITLE)
        current = record.get(wire.CURRENT_CHECKIN)
        value: float | None = None
        day = None
        if isinstance(current, dict) and current.get(wire.SCORE) is not None:
            try:
                value = float(current[wire.SCORE])
                day = checkin_day(current.get(wire.CHECKIN_DATE))
            except (TypeError, ValueError):
                value, day = None, None
        slug = record.get(wire.NANO_SLUG) or target.outcome
        detail = f"outcome {slug}" + ("" if value is not None else ", no check-in yet")
        return Reading(
            title=title if isinstance(title, str) else None, value=value, day=day, detail=detail
        )

    def check(self) -> str:
        me = self._client.whoami()
        space = self._client.workspace_record()
        who = me.get(wire.USER_EMAIL) if isinstance(me, dict) else None
        name = space.get(wire.WORKSPACE_NAME) if isinstance(space, dict) else None
        return (
            f"Tability workspace {name or self.config.workspace} ({self.config.workspace}) "
            f"reachable with the token of {who or 'its user'}"
        )
