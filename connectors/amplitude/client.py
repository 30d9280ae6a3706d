"""The Amplitude Dashboard REST calls syncd makes, through :class:`syncd.http.RestClient`.

Error mapping, redaction and retries are the framework's; what is Amplitude's own is here:
the parameters of a segmentation and a chart query, the cost each is charged against the
project's budget (:class:`~connectors.amplitude.budget.CostBudget`), and the wait a 429 asks
for, which its body names: the concurrency limit frees within seconds, the five-minute cost
budget within a minute or so, the hourly one not within a sync.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.amplitude import wire
from connectors.amplitude.budget import CostBudget
from connectors.amplitude.config import (
    PROPERTY_MEASURES,
    AmplitudeQuery,
    AmplitudeSourceConfig,
    Filter,
)
from syncd.errors import RateLimited
from syncd.http import Call, Json, RestClient

if TYPE_CHECKING:  # httpx loads with the first client, not with the config
    import httpx

VENDOR = "Amplitude"
CHART_COST = 30
"""What a saved chart is charged against the budget: its cost is unknown to syncd (it depends
on the chart's events, segments and saved range), so a 30-day single-event chart is assumed."""
WAITS = {"concurrent": 5.0, "five_minutes": 60.0, "hourly": 900.0}
"""Seconds to wait after a 429, by the limit its body names (when it sends no Retry-After)."""

T = TypeVar("T")


def limit_hit(message: str) -> str:
    """Which limit a 429's words name: concurrent, hourly, else the five-minute budget."""
    text = message.lower()
    for limit, words in wire.LIMIT_WORDS.items():
        if any(word in text for word in words):
            return limit
    return "five_minutes"


def event_json(event_type: str, where: tuple[Filter, ...], group_by: str | None) -> str:
    """An ``e``/``e2`` parameter: the event, its property filters and a group by."""
    event: dict[str, Any] = {wire.EVENT_TYPE: event_type}
    if where:
        event[wire.FILTERS] = [
            {
                "subprop_type": f.of,
                "subprop_key": f.property,
                "subprop_op": f.op,
                "subprop_value": list(f.values),
            }
            for f in where
        ]
    if group_by is not None:
        event[wire.GROUP_BY] = [{"type": "event", "value": group_by}]
    return json.dumps(event, separators=(",", ":"))


def segmentation_params(query: AmplitudeQuery, first: date, last: date) -> dict[str, str]:
    """The query string of one segmentation over the days ``first``..``last`` (both in)."""
    assert query.event is not None
    params = {
        wire.EVENT: event_json(query.event, query.where, query.property),
        wire.METRIC: query.measure,
        wire.START: first.strftime(wire.DATE_FORMAT),
        wire.END: last.strftime(wire.DATE_FORMAT),
        wire.INTERVAL: wire.DAILY,
    }
    if query.second_event is not None:
        params[wire.SECOND_EVENT] = event_json(query.second_event, (), None)
    if query.formula is not None:
        params[wire.FORMULA] = query.formula
    if query.segment:
        params[wire.SEGMENTS] = json.dumps(
            [{"prop": c.property, "op": c.op, "values": list(c.values)} for c in query.segment],
            separators=(",", ":"),
        )
    return params


def segmentation_cost(query: AmplitudeQuery, days: int) -> int:
    """days × conditions × query cost: the segment and its conditions are the conditions; the
    query cost is its events, plus 4 for the group by a property measure needs."""
    events = 2 if query.second_event else 1
    group_by = wire.GROUP_BY_COST if query.measure in PROPERTY_MEASURES else 0
    return max(1, days) * (1 + len(query.segment)) * (events + group_by)


class AmplitudeClient:
    """Authenticated access to the Dashboard REST endpoints syncd reads, for one source."""

    def __init__(
        self,
        config: AmplitudeSourceConfig,
        *,
        source: str,
        call: Call,
        budget: CostBudget,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self.budget = budget
        self._call = call
        import httpx

        secrets = [config.api_key.get_secret_value(), config.secret_key.get_secret_value()]
        self.http = RestClient(
            base_url=config.base_url,
            source=source,
            vendor=VENDOR,
            call=self._waiting_as_told,
            auth=httpx.BasicAuth(secrets[0], secrets[1]),
            headers={"User-Agent": "syncd-amplitude"},
            timeout=config.timeout_seconds,
            secrets=secrets,
            transport=transport,
        )

    def _waiting_as_told(self, fn: Callable[[], T], *, what: str) -> T:
        """The connector's ``call``, with the wait of a 429 that gave none set from its body."""

        def attempt() -> T:
            try:
                return fn()
            except RateLimited as error:
                if error.retry_after is None:
                    limit = limit_hit(str(error))
                    error.retry_after = WAITS[limit]
                    error.args = (f"{error} [{limit.replace('_', '-')} limit]",)
                raise

        return self._call(attempt, what=what)

    def close(self) -> None:
        self.http.close()

    def segmentation(self, query: AmplitudeQuery, first: date, last: date) -> Json:
        """``GET /api/2/events/segmentation`` over ``first``..``last``: its ``data``."""
        days = last.toordinal() - first.toordinal() + 1
        self.budget.spend(segmentation_cost(query, days))
        body = self.http.get(
            wire.SEGMENTATION,
            what=f"event segmentation of {query.event!r} {first}..{last}",
            params=segmentation_params(query, first, last),
        )
        return body.get(wire.DATA) if isinstance(body, dict) else None

    def chart(self, chart_id: str) -> Json:
        """``GET /api/3/chart/{id}/query``: the saved chart's ``data`` over its saved range."""
        self.budget.spend(CHART_COST)
        body = self.http.get(
            wire.CHART.format(chart_id=chart_id), what=f"saved chart {chart_id}", params=None
        )
        return body.get(wire.DATA) if isinstance(body, dict) else None

    def events(self) -> Json:
        """``GET /api/2/events/list``: the project's visible events (a cheap check)."""
        return self.http.get(wire.EVENTS_LIST, what="events list")
