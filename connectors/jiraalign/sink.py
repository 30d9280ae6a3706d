"""The ``jiraalign`` sink: each measured value becomes a value update of a Jira Align key result.

One delivery is three steps over REST 2.0 (names in :mod:`connectors.jiraalign.wire`, with what
is verified and what is assumed):

1. ``GET /keyresults/{id}`` and read its value history (``valueUpdates``); when the day's
   latest update already holds the value, nothing is written (``Receipt(sent=False)``); a
   record without ``valueUpdates`` is refused (``QueryError``) before anything is written;
2. ``PATCH /keyresults/{id}`` with a JSON Patch: ``replace`` of the day's update in place when
   it holds another value, else ``add`` to ``/valueUpdates/-``;
3. ``GET`` the record again: Jira Align answers 204 to a PATCH of a read-only field and changes
   nothing, so only the read-back proves the value landed. A ``replace`` that did not take is
   followed by an ``add``; an ``add`` that did not take is a ``QueryError`` saying so.

The write of step 2 is retried as one unit with a fresh read before each retry (a 503 after
Jira Align stored the update must not add it twice), so it counts as one upstream call.
Errors come from :class:`syncd.http.RestClient`'s table: 401/403 ``AuthError``, 404 (no such
key result, or not visible to the token's user) ``QueryError``, 429/5xx retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from connectors.jiraalign import wire
from connectors.jiraalign.config import JiraAlignSinkConfig, JiraAlignTarget
from connectors.jiraalign.history import (
    Replace,
    Skip,
    ValueUpdate,
    latest,
    latest_on,
    plan,
    same_value,
    value_updates,
)
from syncd.abc import ConnectorContext, Delivery, RateLimit, Reading, Receipt, Sink
from syncd.errors import QueryError
from syncd.http import Json, RestClient, bad_body

T = TypeVar("T")
VENDOR = "Jira Align"


def _direct(fn: Callable[[], T], *, what: str) -> T:
    """Make a call as it is: used inside a unit already made through ``Sink.call``."""
    return fn()


def _shown(value: float) -> str:
    return f"{value:.15g}"


class JiraAlignSink(Sink[JiraAlignSinkConfig, JiraAlignTarget]):
    """Pushes KR values into Jira Align key results' value history, one update per day."""

    config_model = JiraAlignSinkConfig
    target_model = JiraAlignTarget
    default_rate_limit = RateLimit(requests=60, per_seconds=60)
    """Jira Align publishes no numbers; one call a second on average is gentle."""

    def __init__(
        self, config: JiraAlignSinkConfig, context: ConnectorContext, *, transport: Any = None
    ) -> None:
        super().__init__(config, context)
        token = config.token.get_secret_value()
        settings: dict[str, Any] = {
            "base_url": config.base_url,
            "source": context.source,
            "vendor": VENDOR,
            "headers": {
                wire.AUTH_HEADER: f"{wire.AUTH_SCHEME} {token}",
                "User-Agent": "syncd-jiraalign",
            },
            "timeout": config.timeout_seconds,
            "secrets": [token],
            "transport": transport,
        }
        self.http = RestClient(call=self.call, **settings)
        self._in_unit = RestClient(call=_direct, **settings)

    def close(self) -> None:
        self.http.close()
        self._in_unit.close()

    # ---- the contract ---------------------------------------------------------------------

    def check(self) -> str:
        """Read one key result id: proves the URL, the token and its read access."""
        body = self.http.get(
            wire.KEY_RESULTS, what="key results", params={wire.TOP: 1, wire.SELECT: wire.ID}
        )
        if not isinstance(body, list):
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what="key results",
                problem=f"{type(body).__name__} instead of a list",
            )
        return f"{VENDOR} at {self.config.base_url}: the token reads key results"

    def read(self, target: JiraAlignTarget) -> Reading:
        """The key result's name and its latest value update (by day)."""
        record = self._record(target.key_result)
        updates = value_updates(record)
        last = latest(updates)
        title = record.get(wire.TITLE) or record.get(wire.NAME)
        detail = (
            f"key result {target.key_result}: baseline {record.get(wire.BASELINE)}, "
            f"target {record.get(wire.TARGET)}, {len(updates)} value updates"
        )
        return Reading(
            title=str(title) if title is not None else None,
            value=last.value if last else None,
            day=last.day if last else None,
            detail=detail,
        )

    def deliver(self, delivery: Delivery[JiraAlignTarget], previous: Receipt | None) -> Receipt:
        """Put the value in the key result's history for ``delivery.day``: skip it when the
        day's latest update holds it, edit that update when it holds another value, else add
        one; then read back. ``previous`` is not needed: the history is read every time."""
        key_result = delivery.target.key_result
        record = self._record(key_result)
        if not isinstance(record.get(wire.VALUE_UPDATES), list):
            # Without the history a write could not be kept single: refuse before writing.
            raise QueryError(
                f"{self.context.source}: {VENDOR} answered key result {key_result} without "
                f"its value history ({wire.VALUE_UPDATES}); nothing was written",
                source=self.context.source,
            )
        first = plan(value_updates(record), delivery.day, delivery.value)
        if isinstance(first, Skip):
            return Receipt(
                sent=False,
                remote_id=self._remote_id(first.update),
                detail=f"key result {key_result} already holds {_shown(delivery.value)} "
                f"for {delivery.day}",
            )
        if isinstance(first, Replace):
            self._write(delivery, record, replace=True)
            record = self._record(key_result)
            landed = self._landed(record, delivery)
            if landed is not None:
                return Receipt(
                    sent=True,
                    remote_id=self._remote_id(landed),
                    detail=f"updated the value update of {delivery.day} of key result "
                    f"{key_result} to {_shown(delivery.value)}",
                )
            # The in-place edit was answered 204 and changed nothing: add an update instead.
        self._write(delivery, record, replace=False)
        landed = self._landed(self._record(key_result), delivery)
        if landed is None:
            raise QueryError(
                f"{self.context.source}: {VENDOR} answered the value update of key result "
                f"{key_result} ({_shown(delivery.value)} for {delivery.day}) without storing "
                "it: a PATCH of a field the API treats as read-only is answered 204 and "
                "changes nothing; check that the token's user may edit this key result",
                source=self.context.source,
            )
        return Receipt(
            sent=True,
            remote_id=self._remote_id(landed),
            detail=f"added {_shown(delivery.value)} for {delivery.day} to key result {key_result}",
        )

    # ---- steps ------------------------------------------------------------------------------

    def _record(self, key_result: int, *, client: RestClient | None = None) -> dict[str, Any]:
        what = f"key result {key_result}"
        body = (client or self.http).get(wire.key_result_path(key_result), what=what)
        if not isinstance(body, dict):
            raise bad_body(
                source=self.context.source,
                vendor=VENDOR,
                what=what,
                problem=f"{type(body).__name__} instead of a key result",
            )
        return body

    def _write(
        self, delivery: Delivery[JiraAlignTarget], record: dict[str, Any], *, replace: bool
    ) -> None:
        """One PATCH, retried as a unit: each retry reads the history again and writes only
        what is still missing (an earlier attempt may have landed before its answer was
        lost)."""
        key_result = delivery.target.key_result
        attempts = 0

        def attempt() -> None:
            nonlocal attempts
            current = record if attempts == 0 else self._record(key_result, client=self._in_unit)
            attempts += 1
            action = plan(value_updates(current), delivery.day, delivery.value, replace=replace)
            if isinstance(action, Skip):
                return
            operations = (
                _replace_operations(action.update, delivery)
                if isinstance(action, Replace)
                else _add_operations(delivery)
            )
            self._in_unit.patch(
                wire.key_result_path(key_result),
                what=f"value update of key result {key_result}",
                json_body=operations,
            )

        self.call(attempt, what=f"value update of key result {key_result}")

    @staticmethod
    def _landed(record: Json, delivery: Delivery[JiraAlignTarget]) -> ValueUpdate | None:
        """The day's latest update when it holds the delivered value, else None."""
        update = latest_on(value_updates(record), delivery.day)
        return update if update is not None and same_value(update.value, delivery.value) else None

    @staticmethod
    def _remote_id(update: ValueUpdate) -> str:
        return update.id if update.id is not None else update.day.isoformat()


def _add_operations(delivery: Delivery[JiraAlignTarget]) -> Json:
    update = {
        wire.UPDATE_VALUE: delivery.value,
        wire.UPDATE_DATE: wire.day_instant(delivery.day),
        wire.UPDATE_NOTES: delivery.note,
    }
    return [{wire.OP: wire.ADD, wire.PATH: wire.APPEND_UPDATE, wire.VALUE: update}]


def _replace_operations(update: ValueUpdate, delivery: Delivery[JiraAlignTarget]) -> Json:
    # ``add`` of the notes sets them whether or not the update had any (RFC 6902 §4.1);
    # ``replace`` of the value fails loudly if the update is not where it was read.
    return [
        {
            wire.OP: op,
            wire.PATH: wire.update_field_path(update.index, field),
            wire.VALUE: value,
        }
        for op, field, value in (
            (wire.REPLACE, wire.UPDATE_VALUE, delivery.value),
            (wire.ADD, wire.UPDATE_NOTES, delivery.note),
        )
    ]
