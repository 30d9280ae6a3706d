"""The ``quantive`` sink: each measured KR value becomes a check-in on a Quantive key result.

Quantive appends every check-in, so the sink reads the key result first and writes only when
the tool does not already show this value for this day::

    GET  {url}/api/v1/metrics/{metric}     actual, lastCheckInDate (as a day of syncd's zone)
      last check-in on a later day      → nothing sent (an older value is never back-filled:
                                          it would append after a newer one and become "actual")
      last check-in this day, same value → nothing sent (a repeat, or a crash after the write)
      otherwise                          → POST {url}/api/v1/metrics/{metric}/checkin
                                           {"actual", "checkInDate", "comment"}

The check-in's ``checkInDate`` is noon of the value's local day (the measurement instant
when that is earlier the same day), so it reads back as that day in any zone within ±11 hours.
syncd's status goes into the comment only: Quantive's ``confidence`` has no documented scale
to map it to. The receipt's ``remote_id`` is ``<metric>@<checkInDate>``: the API documents no
check-in id.

The read and the write are one unit for :meth:`~syncd.abc.Upstream.call`: a write whose
answer was lost (a cut connection, a 5xx from a proxy after Quantive stored it) is retried as
"read, then write if still missing", never as a blind second POST.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import ClassVar, TypeVar

from connectors.quantive import wire
from connectors.quantive.config import QuantiveSinkConfig, QuantiveTarget
from syncd.abc import (
    ConnectorContext,
    Delivery,
    RateLimit,
    Reading,
    Receipt,
    Sink,
    run_stats,
)
from syncd.http import Json, RestClient, bad_body

VENDOR = "Quantive"
_FRACTION = re.compile(r"(\.\d{6})\d+")
T = TypeVar("T")


def _direct(fn: Callable[[], T], *, what: str) -> T:
    """One HTTP exchange as it is: the sink wraps whole units in :meth:`Sink.call`."""
    return fn()


class QuantiveSink(Sink[QuantiveSinkConfig, QuantiveTarget]):
    """Check-ins on Quantive Results key results, one per KR and day at most per value."""

    config_model = QuantiveSinkConfig
    target_model = QuantiveTarget
    default_rate_limit: ClassVar[RateLimit | None] = RateLimit(requests=60, per_seconds=60.0)
    """Quantive publishes no rate limit; one delivery (a read and at most one write) a second
    keeps a large push polite."""

    def __init__(self, config: QuantiveSinkConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        token = config.token.get_secret_value()
        self.http = RestClient(
            base_url=config.base_url,
            source=context.source,
            vendor=VENDOR,
            call=_direct,
            headers={
                "Authorization": f"Bearer {token}",
                wire.ACCOUNT_HEADER: config.account_id,
                "User-Agent": "syncd-quantive",
            },
            timeout=config.timeout_seconds,
            secrets=[token],
        )

    def close(self) -> None:
        self.http.close()

    # ---- the sink ---------------------------------------------------------------------------

    def deliver(self, delivery: Delivery[QuantiveTarget], previous: Receipt | None) -> Receipt:
        metric = delivery.target.metric
        written: list[str] = []  # the checkInDate of a POST this delivery made, if any
        return self.call(
            lambda: self._deliver_once(delivery, previous, written),
            what=f"check-in on key result {metric}",
        )

    def _deliver_once(
        self, delivery: Delivery[QuantiveTarget], previous: Receipt | None, written: list[str]
    ) -> Receipt:
        """Read the key result, then check in unless it already shows the value (one attempt
        of the unit :meth:`deliver` retries)."""
        metric = delivery.target.metric
        shown = self._metric(metric)
        last = self._last_day(shown, metric)
        held = _number(shown.get(wire.METRIC_ACTUAL))
        kept = previous.remote_id if previous is not None else None
        if last is not None and last > delivery.day:
            return Receipt(
                sent=False,
                remote_id=kept,
                detail=f"key result {metric} has a later check-in ({last}); "
                f"the value for {delivery.day} is not back-filled",
            )
        if last is not None and last == delivery.day and _same(held, delivery.value):
            if written:  # an earlier attempt's write landed; its answer was lost
                return self._sent(delivery, written[0])
            return Receipt(
                sent=False,
                remote_id=kept or _remote_id(metric, shown.get(wire.METRIC_LAST_CHECKIN)),
                detail=f"key result {metric} already holds {delivery.value:g} for {last}",
            )
        stamp = self._checkin_instant(delivery).isoformat().replace("+00:00", "Z")
        body = {
            wire.CHECKIN_ACTUAL: delivery.value,
            wire.CHECKIN_DATE: stamp,
            wire.CHECKIN_COMMENT: _comment(delivery),
        }
        written[:] = [stamp]
        (run_stats.get() or self.context.stats).count_call()  # the unit's second call
        self.http.post(
            wire.CHECKIN.format(metric=metric), what=f"check-in on {metric}", json_body=body
        )
        return self._sent(delivery, stamp)

    def _sent(self, delivery: Delivery[QuantiveTarget], stamp: str) -> Receipt:
        metric = delivery.target.metric
        return Receipt(
            sent=True,
            remote_id=_remote_id(metric, stamp),
            detail=f"checked in {delivery.value:g} on key result {metric} for {delivery.day}",
        )

    def read(self, target: QuantiveTarget) -> Reading:
        shown = self.call(lambda: self._metric(target.metric), what=f"key result {target.metric}")
        name = shown.get(wire.METRIC_NAME)
        goal = _number(shown.get(wire.METRIC_TARGET))
        return Reading(
            title=name if isinstance(name, str) else None,
            value=_number(shown.get(wire.METRIC_ACTUAL)),
            day=self._last_day(shown, target.metric),
            detail=f"key result {target.metric}"
            + (f", target {goal:g}" if goal is not None else ""),
        )

    def check(self) -> str:
        account = self.config.account_id
        path = wire.ACCOUNT.format(account=account)
        body = self.call(lambda: self.http.get(path, what="the account"), what="the account")
        name = body.get(wire.ACCOUNT_NAME) if isinstance(body, dict) else None
        label = f"{name} ({account})" if isinstance(name, str) and name else account
        return f"Quantive account {label} at {self.config.base_url}"

    # ---- helpers ----------------------------------------------------------------------------

    def _metric(self, metric: str) -> dict[str, Json]:
        body = self.http.get(wire.METRIC.format(metric=metric), what=f"key result {metric}")
        if not isinstance(body, dict):
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what=f"key result {metric}",
                problem="no key result object",
            )
        return body

    def _last_day(self, shown: dict[str, Json], metric: str) -> date | None:
        """The local day of the key result's last check-in; None when it has none."""
        raw = shown.get(wire.METRIC_LAST_CHECKIN)
        if raw is None or raw == "":
            return None
        instant = _instant(raw)
        if instant is None:
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what=f"key result {metric}",
                problem=f"a {wire.METRIC_LAST_CHECKIN} that is no timestamp ({str(raw)[:40]!r})",
            )
        if instant.year <= 1:  # Go's zero time: never checked in
            return None
        return instant.astimezone(self.context.timezone).date()

    def _checkin_instant(self, delivery: Delivery[QuantiveTarget]) -> datetime:
        """Noon of the value's local day, or the measurement instant when earlier that day."""
        zone = self.context.timezone
        noon = datetime.combine(delivery.day, time(12), tzinfo=zone)
        measured = delivery.measured_at.astimezone(zone)
        chosen = measured if measured.date() == delivery.day and measured < noon else noon
        return chosen.astimezone(UTC).replace(microsecond=0)


def _instant(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    text = _FRACTION.sub(r"\1", raw.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _same(held: float | None, value: float) -> bool:
    return held is not None and math.isclose(held, value, rel_tol=1e-9, abs_tol=1e-9)


def _remote_id(metric: str, stamp: object) -> str:
    return f"{metric}@{stamp}" if stamp else metric


def _comment(delivery: Delivery[QuantiveTarget]) -> str:
    if delivery.status is None:
        return delivery.note
    return f"{delivery.note} (syncd status: {delivery.status.replace('_', ' ')})"
