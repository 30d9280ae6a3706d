"""The ``weekdone`` sink: each measured KR value becomes its Weekdone key result's progress.

Weekdone's ``PATCH /1/objective/{objective}/result/{result}`` sets the value, so a repeat cannot
add a second check-in; the sink still reads the key result first (``GET /1/objective``) and
writes nothing when it already holds the value. Weekdone keeps no date and no status per value
(none is documented for key results), so ``delivery.day`` and ``delivery.status`` are not sent;
``description`` is the key result's own text, so the note is not sent either (it would rename
the KR).

The access token travels as ``?token=``: on a 401 the sink refreshes it once and repeats the
call, then gives up with an ``AuthError`` (the framework parks the sink).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.weekdone import wire
from connectors.weekdone.auth import AccessTokens, Grant, refresh_form, request_token
from connectors.weekdone.config import WeekdoneSinkConfig, WeekdoneTarget
from syncd.abc import ConnectorContext, Delivery, RateLimit, Reading, Receipt, Sink
from syncd.errors import AuthError, QueryError, SourceError
from syncd.http import RestClient, bad_body

VENDOR = "Weekdone"


@dataclass(frozen=True)
class KeyResult:
    """A key result as ``GET /1/objective`` lists it."""

    objective: int
    objective_title: str | None
    result: int
    title: str | None
    progress: float | None


def error_words(body: Any) -> str:
    """The words of a Weekdone error body (``{"status": "error", …}``)."""
    if not isinstance(body, dict):
        return ""
    for key in wire.ERROR_KEYS:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def form_number(value: float) -> str:
    """A value as the form sends it: ``1234`` for a whole number, else its shortest repr."""
    return str(int(value)) if value.is_integer() else repr(value)


def same_value(held: float | None, value: float) -> bool:
    return held is not None and math.isclose(held, value, rel_tol=1e-9, abs_tol=1e-9)


def find_key_result(body: Any, target: WeekdoneTarget, *, source: str) -> KeyResult:
    """``target``'s key result in a ``GET /1/objective`` answer; ``QueryError`` when absent."""
    objectives = body.get(wire.DATA) if isinstance(body, dict) else None
    if not isinstance(objectives, list):
        raise bad_body(
            source=source, vendor=VENDOR, what="objectives", problem="no list of objectives"
        )
    for objective in objectives:
        if not isinstance(objective, dict) or objective.get(wire.OBJECTIVE_ID) != target.objective:
            continue
        results = objective.get(wire.OBJECTIVE_RESULTS)
        for result in results if isinstance(results, list) else []:
            if isinstance(result, dict) and result.get(wire.RESULT_ID) == target.result:
                return KeyResult(
                    objective=target.objective,
                    objective_title=_text(objective.get(wire.OBJECTIVE_DESCRIPTION)),
                    result=target.result,
                    title=_text(result.get(wire.RESULT_DESCRIPTION)),
                    progress=_number(result.get(wire.RESULT_PROGRESS)),
                )
        raise QueryError(
            f"{source}: Weekdone objective {target.objective} has no key result {target.result}",
            source=source,
        )
    raise QueryError(
        f"{source}: Weekdone has no objective {target.objective} visible to this token",
        source=source,
    )


class WeekdoneSink(Sink[WeekdoneSinkConfig, WeekdoneTarget]):
    """Sets a Weekdone key result's progress to each measured value of its KR."""

    config_model = WeekdoneSinkConfig
    target_model = WeekdoneTarget
    keeps_history = False  # a key result's progress: one current value, no dates
    # Weekdone publishes no limit; one call a second keeps a busy sync polite.
    default_rate_limit: ClassVar[RateLimit | None] = RateLimit(requests=60, per_seconds=60)

    def __init__(self, config: WeekdoneSinkConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        secrets = config.secret_values()
        self._api = RestClient(
            base_url=config.api_base,
            source=context.source,
            vendor=VENDOR,
            call=self.call,
            timeout=config.timeout_seconds,
            secrets=secrets,
            detail=error_words,
            check=self._error_in_body,
        )
        self._oauth = RestClient(
            base_url=config.auth_base,
            source=context.source,
            vendor=f"{VENDOR} OAuth",
            call=self.call,
            timeout=config.timeout_seconds,
            secrets=secrets,
        )
        self.tokens = AccessTokens(config, self._refresh)

    # ---- the contract -------------------------------------------------------------------------

    def deliver(self, delivery: Delivery[WeekdoneTarget], previous: Receipt | None) -> Receipt:
        """Set the key result's progress to ``delivery.value`` unless it already holds it."""
        target = delivery.target
        held = self._key_result(target)
        shown = form_number(delivery.value)
        if same_value(held.progress, delivery.value):
            return Receipt(
                sent=False,
                remote_id=target.remote_id,
                detail=f"Weekdone key result {target.remote_id} already holds {shown}",
            )
        path = wire.RESULT_PATH.format(objective=target.objective, result=target.result)
        self._api_call(
            "PATCH",
            path,
            what=f"set key result {target.remote_id}",
            data={wire.RESULT_PROGRESS: shown},
        )
        return Receipt(
            sent=True,
            remote_id=target.remote_id,
            detail=f"set Weekdone key result {target.remote_id} to {shown}",
        )

    def read(self, target: WeekdoneTarget) -> Reading:
        """The key result's text and current progress (Weekdone keeps no date for it)."""
        held = self._key_result(target)
        where = f"objective {held.objective_title!r}" if held.objective_title else ""
        return Reading(title=held.title, value=held.progress, day=None, detail=where)

    def check(self) -> str:
        """List the objectives the token sees (refreshing the token if need be)."""
        body = self._api_call("GET", wire.OBJECTIVES_PATH, what="objectives")
        objectives = body.get(wire.DATA) if isinstance(body, dict) else None
        count = len(objectives) if isinstance(objectives, list) else 0
        return f"Weekdone answered with {count} objective{'s' if count != 1 else ''}"

    def close(self) -> None:
        self._api.close()
        self._oauth.close()

    # ---- calls --------------------------------------------------------------------------------

    def _key_result(self, target: WeekdoneTarget) -> KeyResult:
        body = self._api_call("GET", wire.OBJECTIVES_PATH, what="objectives")
        return find_key_result(body, target, source=self.context.source)

    def _api_call(
        self, method: str, path: str, *, what: str, data: Mapping[str, str] | None = None
    ) -> Any:
        """One API call with the current token; after a refusal, once more with a fresh one."""
        token = self.tokens.current()
        try:
            return self._api.request(
                method, path, what=what, params={wire.TOKEN_PARAM: token}, data=data
            )
        except AuthError as error:
            if not self.tokens.can_refresh:
                raise AuthError(
                    f"{error}; renew access_token, or configure refresh_token",
                    source=self.context.source,
                ) from None
            fresh = self.tokens.replace(token)
        return self._api.request(
            method, path, what=what, params={wire.TOKEN_PARAM: fresh}, data=data
        )

    def _refresh(self, refresh_token: str) -> Grant:
        form = refresh_form(
            self.config.client_id, self.config.client_secret.get_secret_value(), refresh_token
        )
        return request_token(self._oauth, form, what="token refresh", vendor=f"{VENDOR} OAuth")

    def _error_in_body(self, body: Any) -> SourceError | None:
        """An error Weekdone answered with HTTP 200 (``"status": "error"``)."""
        if not isinstance(body, dict) or body.get(wire.STATUS) != wire.STATUS_ERROR:
            return None
        words = error_words(body) or "no reason given"
        message = f"{self.context.source}: Weekdone answered an error ({words})"
        if any(phrase in words.lower() for phrase in wire.AUTH_PHRASES):
            return AuthError(message, source=self.context.source)
        return QueryError(message, source=self.context.source)
