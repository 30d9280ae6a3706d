"""The ``perdoo`` sink: each measured KR value becomes a commit (a check-in) on a Perdoo key
result, with its day, its status and a note saying where it came from.

Never two commits for one key (KR and day):

- with the receipt of an earlier value for the key, ``upsertCommit`` is sent with that
  commit's ``id``, which updates it in place (should the commit have been deleted in Perdoo,
  or the KR be mapped to another key result since, the rule below applies);
- without one, the day's commits are read first (``allCommits`` of that day, this KR's): one
  already holding the value is the commit of a delivery whose receipt was lost, and is adopted
  (``Receipt(sent=False)``); otherwise a commit is added. Someone's own check-in that day with
  another value is left alone.

A delivery is one retried unit (:meth:`Upstream.call` around read and write), so a write whose
answer was lost in a timeout is found by the next attempt's read instead of repeated; the
limiter counts it as one call. Wire names and the status mapping are in
:mod:`connectors.perdoo.wire` (with what was verified where).
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from connectors.perdoo import wire
from connectors.perdoo.client import VENDOR, PerdooClient
from connectors.perdoo.config import PerdooSinkConfig, PerdooTarget
from syncd.abc import ConnectorContext, Delivery, RateLimit, Reading, Receipt, Sink
from syncd.errors import QueryError
from syncd.http import bad_body

if TYPE_CHECKING:
    import httpx


class PerdooSink(Sink[PerdooSinkConfig, PerdooTarget]):
    """Pushes KR values to Perdoo as commits of key results (GraphQL ``upsertCommit``)."""

    config_model = PerdooSinkConfig
    target_model = PerdooTarget
    default_rate_limit = RateLimit(requests=3, per_seconds=1.0)
    """Perdoo publishes no limit; three operations a second stays polite."""

    def __init__(
        self,
        config: PerdooSinkConfig,
        context: ConnectorContext,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(config, context)
        self._client = PerdooClient(config, source=context.source, transport=transport)

    def close(self) -> None:
        self._client.close()

    # ---- the contract ---------------------------------------------------------------------

    def deliver(self, delivery: Delivery[PerdooTarget], previous: Receipt | None) -> Receipt:
        """Put ``delivery`` in Perdoo as the commit of its day (see the module)."""
        key_result = str(delivery.target.key_result)
        what = f"commit of {delivery.day.isoformat()} to key result {key_result}"
        commit = {
            wire.IN_KEY_RESULT: key_result,
            wire.IN_VALUE: delivery.value,
            wire.IN_COMMIT_DATE: delivery.day.isoformat(),
            wire.IN_STATUS: wire.STATUSES.get(delivery.status or "", wire.NO_STATUS),
            wire.IN_DESCRIPTION: delivery.note,
        }

        def attempt() -> Receipt:
            if previous is not None and previous.remote_id:
                updated = self._update(previous.remote_id, commit, what)
                if updated is not None:
                    return updated
            held = self._commit_holding(key_result, delivery.day, delivery.value, what)
            if held is not None:
                return Receipt(
                    sent=False,
                    remote_id=held,
                    detail=f"commit {held} already holds {_shown(delivery.value)} "
                    f"for {delivery.day.isoformat()}",
                )
            added = self._upsert(commit, what)
            return Receipt(
                sent=True,
                remote_id=added,
                detail=f"added commit {added}: {_shown(delivery.value)} "
                f"for {delivery.day.isoformat()}",
            )

        return self.call(attempt, what=what)

    def read(self, target: PerdooTarget) -> Reading:
        """The key result's name, current value and the day of its last commit."""
        key_result = str(target.key_result)
        what = f"key result {key_result}"

        def attempt() -> Reading:
            data = self._client.execute(
                wire.KEY_RESULT_DOCUMENT, wire.KEY_RESULT_OPERATION, {"id": key_result}, what=what
            )
            found = data.get(wire.KEY_RESULT)
            if not isinstance(found, dict):
                raise self._no_key_result(key_result)
            last = found.get(wire.KR_LAST_COMMIT)
            day = _day(last.get(wire.COMMIT_DATE)) if isinstance(last, dict) else None
            start, target_value = found.get(wire.KR_START), found.get(wire.KR_TARGET)
            return Reading(
                title=str(found.get(wire.KR_NAME) or "") or None,
                value=_number(found.get(wire.KR_CURRENT)),
                day=day,
                detail=f"from {_shown(start)} to {_shown(target_value)}",
            )

        return self.call(attempt, what=what)

    def check(self) -> str:
        """Who the token signs in as, and in which company."""
        what = "the signed-in user"

        def attempt() -> str:
            data = self._client.execute(
                wire.WHO_AM_I_DOCUMENT, wire.WHO_AM_I_OPERATION, {}, what=what
            )
            me, company = data.get(wire.ME), data.get(wire.COMPANY)
            if not isinstance(me, dict) or not isinstance(company, dict):
                raise bad_body(
                    source=self.context.source, vendor=VENDOR, what=what, problem="no user"
                )
            return (
                f"{VENDOR}: signed in as {me.get(wire.ME_EMAIL)} "
                f"in {company.get(wire.COMPANY_NAME)}"
            )

        return self.call(attempt, what=what)

    # ---- steps ----------------------------------------------------------------------------

    def _update(self, commit_id: str, commit: dict[str, Any], what: str) -> Receipt | None:
        """Update the kept commit; None when that cannot be: Perdoo no longer has it, or it
        belongs to another key result (the KR's mapping changed). The caller then reads first
        and adds, which reports a key result that does not exist."""
        payload = self._payload({**commit, wire.IN_ID: commit_id}, what)
        errors = _errors(payload)
        if any(field in (wire.IN_ID, wire.IN_KEY_RESULT) for field, _ in errors):
            return None
        self._refuse_on(errors, commit)
        updated = _commit_id(payload) or commit_id
        return Receipt(
            sent=True,
            remote_id=updated,
            detail=f"updated commit {updated}: {_shown(commit[wire.IN_VALUE])} "
            f"for {commit[wire.IN_COMMIT_DATE]}",
        )

    def _upsert(self, commit: dict[str, Any], what: str) -> str:
        """Add a commit; its id."""
        payload = self._payload(commit, what)
        self._refuse_on(_errors(payload), commit)
        added = _commit_id(payload)
        if added is None:
            raise bad_body(
                source=self.context.source, vendor=VENDOR, what=what, problem="no commit id"
            )
        return added

    def _payload(self, commit: dict[str, Any], what: str) -> dict[str, Any]:
        data = self._client.execute(
            wire.UPSERT_COMMIT_DOCUMENT, wire.UPSERT_COMMIT_OPERATION, {"input": commit}, what=what
        )
        payload = data.get(wire.UPSERT_COMMIT)
        if not isinstance(payload, dict):
            raise bad_body(
                source=self.context.source, vendor=VENDOR, what=what, problem="no upsert payload"
            )
        return payload

    def _refuse_on(self, errors: list[tuple[str, str]], commit: dict[str, Any]) -> None:
        if not errors:
            return
        key_result = commit[wire.IN_KEY_RESULT]
        if any(field == wire.IN_KEY_RESULT for field, _ in errors):
            raise self._no_key_result(key_result)
        said = "; ".join(f"{field}: {words}" for field, words in errors)[:300]
        raise QueryError(
            f"{self.context.source}: {VENDOR} refused the commit to key result {key_result} "
            f"({said})",
            source=self.context.source,
        )

    def _no_key_result(self, key_result: str) -> QueryError:
        return QueryError(
            f"{self.context.source}: {VENDOR} has no key result {key_result} "
            "(or the token's user cannot see it)",
            source=self.context.source,
        )

    def _commit_holding(self, key_result: str, day: date, value: float, what: str) -> str | None:
        """The id of this KR's commit of ``day`` that holds ``value``, else None."""
        wanted = UUID(key_result)
        after: str | None = None
        for page in range(1, 1001):
            data = self._client.execute(
                wire.COMMITS_OF_DAY_DOCUMENT,
                wire.COMMITS_OF_DAY_OPERATION,
                {"day": day.isoformat(), "first": wire.PAGE_SIZE, "after": after},
                what=f"{what}: commits of the day, page {page}",
            )
            connection = data.get(wire.COMMITS)
            if not isinstance(connection, dict):
                raise bad_body(
                    source=self.context.source, vendor=VENDOR, what=what, problem="no commits"
                )
            for edge in connection.get("edges") or []:
                node = edge.get("node") if isinstance(edge, dict) else None
                if isinstance(node, dict) and _holds(node, wanted, day, value):
                    return str(node[wire.COMMIT_ID])
            info = connection.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return None
        raise QueryError(f"{self.context.source}: {what}: too many commits that day")


def _holds(node: dict[str, Any], key_result: UUID, day: date, value: float) -> bool:
    owner = node.get(wire.COMMIT_KEY_RESULT)
    try:
        same_kr = isinstance(owner, dict) and UUID(str(owner.get(wire.KR_ID))) == key_result
    except ValueError:
        return False
    held = _number(node.get(wire.COMMIT_VALUE))
    return (
        same_kr
        and _day(node.get(wire.COMMIT_DATE)) == day
        and held is not None
        and math.isclose(held, value, rel_tol=1e-9, abs_tol=1e-9)
        and node.get(wire.COMMIT_ID) is not None
    )


def _errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """A mutation payload's ``errors`` as (field, words) pairs."""
    found = []
    for error in payload.get(wire.PAYLOAD_ERRORS) or []:
        if isinstance(error, dict):
            messages = error.get(wire.ERROR_MESSAGES) or []
            words = " ".join(str(m) for m in messages) if isinstance(messages, list) else messages
            found.append((str(error.get(wire.ERROR_FIELD) or ""), str(words)))
    return found


def _commit_id(payload: dict[str, Any]) -> str | None:
    commit = payload.get(wire.PAYLOAD_COMMIT)
    if isinstance(commit, dict) and commit.get(wire.COMMIT_ID) is not None:
        return str(commit[wire.COMMIT_ID])
    return None


def _number(raw: object) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _day(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _shown(raw: object) -> str:
    number = _number(raw)
    return "?" if number is None else f"{number:.12g}"
