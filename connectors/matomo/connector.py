"""The ``matomo`` connector: web-analytics KRs from Matomo's Reporting API, over httpx.

Why httpx and not a client package: the PyPI packages (``matomo-api`` 1.0b5, ``matomo`` 1.0.0)
are stale thin URL builders; the API is form POSTs returning JSON, which
:class:`syncd.http.RestClient` already speaks with the framework's error table.

Every request is one report call over ``period=range&date=FIRST,LAST``: the planner's whole
days (``request.days``) in the site's time zone (``site_timezone``, declared in the source's
config so the planner knows it without a call; ``check`` compares it with Matomo's). The
requests of one sync travel in ``API.getBulkRequest`` calls of up to ``bulk_size`` report calls
each; identical report calls (visits and bounce rate over the same days) are asked once.
Values are returned as Matomo sent them; the runner checks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote
from zoneinfo import ZoneInfo

from connectors.matomo import wire
from connectors.matomo.client import MatomoClient, error_in
from connectors.matomo.config import MatomoQuery, MatomoSourceConfig
from syncd.abc import (
    Connector,
    ConnectorContext,
    DaySpan,
    MetricRequest,
    QueryTraits,
    RawValue,
    RequestKey,
    SourceConfig,
    ValueKind,
)
from syncd.errors import QueryError, SourceError
from syncd.evaluate import DayRule
from syncd.http import Json
from syncd.limits import url_account

Request = MetricRequest[MatomoQuery]
Answers = dict[RequestKey, RawValue | QueryError]

_KINDS: dict[str, ValueKind] = {
    "visits": ValueKind.COUNT,
    "unique_visitors": ValueKind.COUNT,
    "actions": ValueKind.COUNT,
    "bounce_count": ValueKind.COUNT,
    "bounce_rate": ValueKind.SHARE,
    "conversions": ValueKind.COUNT,
    "revenue": ValueKind.SUM,
}
_EVENT_KINDS: dict[str, ValueKind] = {
    "nb_events": ValueKind.COUNT,
    "nb_visits": ValueKind.COUNT,
    "nb_events_with_value": ValueKind.COUNT,
    "sum_event_value": ValueKind.SUM,
}


def report_call(query: MatomoQuery, site_id: int, days: DaySpan) -> dict[str, str]:
    """The Reporting API parameters of one request (without module, format and token)."""
    params: dict[str, str] = {
        "idSite": str(site_id),
        "period": wire.RANGE,
        "date": f"{days.first.isoformat()},{days.last.isoformat()}",
        "format_metrics": "0",  # shares as rates (0.45), not "45%"
    }
    if query.measure in ("conversions", "revenue"):
        params["method"] = wire.GOALS_METHOD
        if query.goal is not None:
            params[wire.GOAL_PARAM] = str(query.goal)
    elif query.measure == "events":
        assert query.event is not None
        parts = query.event.parts()
        params["method"] = wire.EVENT_METHODS[parts[0][0]]
        if len(parts) == 2:
            params[wire.SECONDARY_PARAM] = wire.EVENT_DIMENSIONS[parts[1][0]]
        params[wire.LABEL_PARAM] = label_of([value for _, value in parts])
    elif query.measure == "report":
        assert query.report is not None
        params["method"] = query.report
        params.update(dict(query.params))
        if query.label is not None:
            params[wire.LABEL_PARAM] = label_of([query.label])
    else:
        params["method"] = wire.VISITS_METHOD
    if query.segment is not None:
        params["segment"] = query.segment
    return params


def label_of(parts: list[str]) -> str:
    """Matomo's ``label`` for a row (and a row of its subtable): parts url-encoded, joined by
    ``>``, so a ``>`` inside a category survives."""
    return wire.LABEL_SEPARATOR.join(quote(part, safe="") for part in parts)


def column_of(query: MatomoQuery) -> str:
    """The answer's column that holds the request's number."""
    if query.measure == "events":
        return query.event_metric
    if query.measure == "report":
        assert query.column is not None
        return query.column
    return wire.MEASURE_COLUMNS[query.measure]


class MatomoConnector(Connector[MatomoSourceConfig, MatomoQuery]):
    """Answers web-analytics metrics of one Matomo website."""

    sdk_modules = ("httpx",)
    config_model = MatomoSourceConfig
    query_model = MatomoQuery
    # Matomo documents no request limit; a custom range is archived on demand, which is heavy
    # on the instance, so at most two calls run at once.
    default_concurrency = 2

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The Matomo instance (``analytics.example.org``)."""
        assert isinstance(config, MatomoSourceConfig)
        return url_account(str(config.url))

    def __init__(
        self,
        config: MatomoSourceConfig,
        context: ConnectorContext,
        *,
        client: MatomoClient | None = None,
    ) -> None:
        super().__init__(config, context)
        self._client = client

    @classmethod
    def traits(
        cls, config: MatomoSourceConfig, query: MatomoQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Whole days of the site's zone; any past window; the measure's kind."""
        if query.measure == "events":
            kind = _EVENT_KINDS.get(query.event_metric, ValueKind.NUMBER)
        elif query.measure == "report":
            kind = query.kind
        else:
            kind = _KINDS[query.measure]
        return QueryTraits(day_zone=config.zone, kind=kind)

    @property
    def client(self) -> MatomoClient:
        if self._client is None:
            self._client = MatomoClient(self.config, source=self.context.source, call=self.call)
        return self._client

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _days(self, request: Request) -> DaySpan | QueryError:
        if request.window.is_snapshot:
            return self._fail(
                "Matomo reports periods, not moments: give the metric a window such as "
                "trailing_28d or cycle_to_date"
            )
        # Outside the planner (a direct caller) the days are the planner's rule's.
        days = request.days or DayRule(self.config.zone).span(request.window)
        if days is None or days.days == 0:
            return self._fail(
                f"the window {request.window} holds no whole day in {self.config.site_timezone}"
            )
        return days

    # ---- fetching ----------------------------------------------------------------------------

    def batches(self, requests: Sequence[Request]) -> list[list[Request]]:
        """``bulk_size`` report calls per ``API.getBulkRequest`` (identical calls count once)."""
        batches: list[list[Request]] = []
        calls: set[str] = set()
        for request in requests:
            days = self._days(request)
            call = "" if isinstance(days, QueryError) else repr(self._call(request, days))
            if not batches or (call not in calls and len(calls) >= self.config.bulk_size):
                batches.append([])
                calls = set()
            batches[-1].append(request)
            calls.add(call)
        return batches

    def _call(self, request: Request, days: DaySpan) -> dict[str, str]:
        return report_call(request.query, self.config.site_id, days)

    def fetch_batch(self, batch: Sequence[Request]) -> Mapping[RequestKey, RawValue | QueryError]:
        answers: Answers = {}
        calls: dict[str, dict[str, str]] = {}
        wanted: dict[RequestKey, str] = {}
        for request in batch:
            days = self._days(request)
            if isinstance(days, QueryError):
                answers[request.key] = days
                continue
            call = self._call(request, days)
            wanted[request.key] = repr(call)
            calls.setdefault(repr(call), call)
        if not calls:
            return answers
        ordered = list(calls)
        if len(ordered) == 1:
            what = f"{calls[ordered[0]]['method']} over {calls[ordered[0]]['date']}"
            bodies: dict[str, Json] = {ordered[0]: self.client.report(calls[ordered[0]], what=what)}
        else:
            results = self.client.bulk(
                [calls[c] for c in ordered], what=f"bulk request of {len(ordered)} reports"
            )
            bodies = dict(zip(ordered, results, strict=True))
        for request in batch:
            if request.key in answers:
                continue
            body = bodies[wanted[request.key]]
            error = error_in(body, source=self.context.source)
            if isinstance(error, QueryError):
                answers[request.key] = error
            elif error is not None:
                raise error  # the token cannot read the site: the whole source fails
            else:
                try:
                    answers[request.key] = self._value(request, body)
                except QueryError as failed:
                    answers[request.key] = failed
        return answers

    def fetch(self, request: Request) -> RawValue:
        answer = self.fetch_batch([request])[request.key]
        if isinstance(answer, SourceError):
            raise answer
        return answer

    def _value(self, request: Request, body: Json) -> RawValue:
        """The request's number in a report's answer, as Matomo sent it."""
        query = request.query
        column = column_of(query)
        row: Json
        if isinstance(body, list):
            rows = [r for r in body if isinstance(r, dict)]
            if not rows:
                if column in wire.ADDITIVE_COLUMNS:
                    return 0  # Matomo answers an empty report ([]) when nothing happened
                raise self._fail(f"Matomo has no data for {self._what(request)}")
            if len(rows) > 1:
                raise self._fail(
                    f"{query.report or 'the report'} answered {len(rows)} rows; give the "
                    "row's label"
                )
            row = rows[0]
        elif isinstance(body, dict):
            row = body
        else:
            raise self._fail(f"Matomo answered {type(body).__name__} for {self._what(request)}")
        if column not in row:
            hint = f"; {wire.UNIQUE_RANGE_HINT}" if column == "nb_uniq_visitors" else ""
            shown = ", ".join(sorted(map(str, row))[:12])
            raise self._fail(
                f"Matomo's answer to {self._what(request)} has no {column} (it has {shown}){hint}"
            )
        return _raw(row[column])

    def _what(self, request: Request) -> str:
        days = request.days or DayRule(self.config.zone).span(request.window)
        call = report_call(request.query, self.config.site_id, days) if days else {}
        return f"{call.get('method', '?')} over {call.get('date', '?')}"

    def check(self) -> str:
        """The site's name and time zone (``SitesManager.getSiteFromId``), which must be the
        declared ``site_timezone``."""
        site_id = self.config.site_id
        body = self.client.site(site_id)
        site = body[0] if isinstance(body, list) and body else body
        if not isinstance(site, dict) or wire.SITE_TIMEZONE not in site:
            raise self._fail(f"Matomo described no site {site_id}")
        zone = str(site[wire.SITE_TIMEZONE])
        if zone != self.config.site_timezone:
            raise self._fail(
                f"site {site_id} reports days in {zone}, but the source declares "
                f"site_timezone: {self.config.site_timezone}; set site_timezone: {zone}"
            )
        name = site.get(wire.SITE_NAME) or f"site {site_id}"
        return f"{name} (idSite {site_id}, days in {zone}) on {self.config.base_url}"

    # ---- the rest of the contract -------------------------------------------------------------

    def describe(self, request: Request) -> str:
        """The Reporting API call behind a request, without the token."""
        days = self._days(request)
        if isinstance(days, QueryError):
            return f"Matomo site {self.config.site_id}: {days}"
        call = self._call(request, days)
        shown = " ".join(f"{k}={v}" for k, v in call.items() if k not in ("idSite",))
        return (
            f"Matomo {shown} → {column_of(request.query)} "
            f"(site {self.config.site_id}, days in {self.config.site_timezone}) "
            f"on {self.config.base_url}"
        )

    def close(self) -> None:
        """Close the HTTP connection pool (idempotent)."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _raw(value: object) -> RawValue:
    """A value as Matomo sent it, for the runner to check (a string, a float, a negative…)."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return value
    return repr(value)
