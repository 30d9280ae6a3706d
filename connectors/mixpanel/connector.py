"""The ``mixpanel`` connector: product-analytics KRs from Mixpanel's Query API, over httpx.

Why httpx: the official ``mixpanel`` package only sends events. Every number is one GET
through :class:`syncd.http.RestClient` (error table, redaction, pacing, retries are the
framework's):

- ``total`` and ``unique`` read ``/segmentation`` for ``event`` from the first to the last day
  of ``request.days`` (inclusive dates of the project's zone); daily totals are summed,
  uniques are asked as one bucket of all the days (``interval``), since a sum of daily
  uniques would count a returning user once per day;
- ``sum`` reads ``/segmentation/sum`` (``on`` the property) and sums the days;
- ``report`` reads ``/insights`` for a saved report, which has its own date range: it
  answers for now only (never for a past slot).

Mixpanel allows 60 queries an hour and 5 at once per project: the connector's defaults, so
the runner's limiter paces a sync below them; ``rate_limit``/``concurrency`` override them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from connectors.mixpanel import wire
from connectors.mixpanel.config import MixpanelQuery, MixpanelSourceConfig
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RateLimit,
    RawValue,
    SourceConfig,
    UpstreamFloat,
    ValueKind,
)
from syncd.errors import QueryError
from syncd.http import Json, RestClient, bad_body

if TYPE_CHECKING:  # httpx loads with the first client, not with the config
    import httpx

Request = MetricRequest[MixpanelQuery]

_KINDS = {"total": ValueKind.COUNT, "unique": ValueKind.COUNT, "sum": ValueKind.SUM}


class MixpanelConnector(Connector[MixpanelSourceConfig, MixpanelQuery]):
    """Answers event counts, property sums and saved reports from one Mixpanel project."""

    sdk_modules = ("httpx",)
    config_model = MixpanelSourceConfig
    query_model = MixpanelQuery
    default_rate_limit: ClassVar[RateLimit | None] = RateLimit(requests=60, per_seconds=3600)
    default_concurrency: ClassVar[int] = 5

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The project (``project-123``): Mixpanel's query limits are per project."""
        assert isinstance(config, MixpanelSourceConfig)
        return f"project-{config.project_id}"

    def __init__(
        self,
        config: MixpanelSourceConfig,
        context: ConnectorContext,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(config, context)
        self._transport = transport
        self._client: RestClient | None = None

    @classmethod
    def traits(
        cls, config: MixpanelSourceConfig, query: MixpanelQuery, timezone: ZoneInfo
    ) -> QueryTraits:
        """Segmentation counts whole days of the project's zone, for any past window; a saved
        report reads its own date range as of now."""
        if query.measure == "report":
            return QueryTraits(past_windows=False, past_snapshots=False, kind=ValueKind.NUMBER)
        return QueryTraits(day_zone=config.zone, kind=_KINDS[query.measure])

    @property
    def client(self) -> RestClient:
        if self._client is None:
            import httpx

            secret = self.config.secret.get_secret_value()
            self._client = RestClient(
                base_url=self.config.base_url,
                source=self.context.source,
                vendor=wire.VENDOR,
                call=self.call,
                auth=httpx.BasicAuth(self.config.username, secret),
                headers={"User-Agent": "syncd-mixpanel"},
                params=self._project_params(),
                timeout=self.config.timeout_seconds,
                secrets=[secret],
                transport=self._transport,
            )
        return self._client

    def _project_params(self) -> dict[str, str]:
        params = {wire.PROJECT_ID: str(self.config.project_id)}
        if self.config.workspace_id is not None:
            params[wire.WORKSPACE_ID] = str(self.config.workspace_id)
        return params

    # ---- fetching ----------------------------------------------------------------------------

    def fetch(self, request: Request) -> RawValue:
        query = request.query
        if query.measure == "report":
            return self._report(query)
        path, params = self._segmentation(request)
        body = self.client.get(
            path, what=f"{path.rsplit('/', 1)[-1]} of {query.event!r}", params=params
        )
        if query.measure == "sum":
            return total(self._dates(body, wire.RESULTS, None).values())
        days = self._dates(body, wire.DATA, wire.VALUES)
        event = days.get(str(query.event), {})
        if not isinstance(event, dict):
            raise self._bad(f"values for {query.event!r} that are not per date")
        if query.measure == "unique" and len(event) > 1:
            raise self._fail(
                f"Mixpanel split the unique users of {query.event!r} into {len(event)} buckets; "
                "their sum would count a user more than once"
            )
        return total(event.values())

    def _segmentation(self, request: Request) -> tuple[str, dict[str, Any]]:
        """The path and parameters of a segmentation request over ``request.days``."""
        query, span = request.query, request.days
        if span is None or span.days == 0:
            raise self._fail(
                f"{query.measure} counts whole days of {self.config.timezone}; "
                f"the window {request.window} holds none (a snapshot has no days)"
            )
        params: dict[str, Any] = {
            wire.EVENT: query.event,
            wire.FROM_DATE: span.first.isoformat(),
            wire.TO_DATE: span.last.isoformat(),
        }
        if query.where:
            params[wire.WHERE] = query.where
        if query.measure == "sum":
            assert query.property is not None
            params |= {wire.ON: wire.property_expression(query.property), wire.UNIT: wire.DAY}
            return wire.SEGMENTATION_SUM, params
        if query.measure == "unique":
            params |= {wire.TYPE: wire.UNIQUE, wire.INTERVAL: span.days}
        else:
            params |= {wire.TYPE: wire.GENERAL, wire.UNIT: wire.DAY}
        return wire.SEGMENTATION, params

    def _report(self, query: MixpanelQuery) -> RawValue:
        body = self.client.get(
            wire.INSIGHTS,
            what=f"insights report {query.bookmark_id}",
            params={wire.BOOKMARK_ID: query.bookmark_id},
        )
        series = self._dates(body, wire.SERIES, None)
        name = query.series
        if name is None:
            if len(series) != 1:
                raise self._fail(
                    f"report {query.bookmark_id} has the series {sorted(series)}; "
                    "name one with series:"
                )
            (name,) = series
        if name not in series:
            raise self._fail(
                f"report {query.bookmark_id} has no series {name!r} (it has {sorted(series)})"
            )
        values = series[name]
        if not isinstance(values, dict) or any(isinstance(v, dict) for v in values.values()):
            raise self._fail(
                f"the series {name!r} of report {query.bookmark_id} is broken down by a "
                "property; save the report without a breakdown"
            )
        return total(values.values())

    def _dates(self, body: Json, key: str, inner: str | None) -> dict[str, Any]:
        """``body[key]`` (or ``body[key][inner]``) as a mapping, or a retryable bad body."""
        found = body.get(key) if isinstance(body, dict) else None
        if inner is not None and isinstance(found, dict):
            found = found.get(inner)
        if not isinstance(found, dict):
            raise self._bad(f"no {key + ('.' + inner if inner else '')} object")
        return found

    def _fail(self, message: str) -> QueryError:
        return QueryError(f"{self.context.source}: {message}", source=self.context.source)

    def _bad(self, problem: str) -> Exception:
        return bad_body(
            source=self.context.source, vendor=wire.VENDOR, what="query", problem=problem
        )

    def check(self) -> str:
        """That the service account may query the project (``/events/names``, one query)."""
        names = self.client.get(
            wire.EVENT_NAMES,
            what="event names",
            params={wire.TYPE: wire.GENERAL, wire.LIMIT: 1},
        )
        if not isinstance(names, list):
            raise self._bad("no list of event names")
        return (
            f"{self.config.username} can query project {self.config.project_id} "
            f"on {self.config.base_url}"
        )

    # ---- the rest of the contract -----------------------------------------------------------

    def describe(self, request: Request) -> str:
        """The Mixpanel query behind a request, without credentials."""
        query = request.query
        where = f" where {query.where}" if query.where else ""
        project = f"project {self.config.project_id} on {self.config.base_url}"
        if query.measure == "report":
            series = f", series {query.series!r}" if query.series else ""
            return f"Insights report {query.bookmark_id}{series} (its own date range), {project}"
        what = {
            "total": f"times {query.event!r} happened",
            "unique": f"users who did {query.event!r}",
            "sum": f"sum of {query.property!r} over {query.event!r}",
        }[query.measure]
        days = f"days {request.days} ({self.config.timezone})" if request.days else "no days"
        return f"{what}{where}, {days}, {project}"

    def close(self) -> None:
        """Close the HTTP connection pool (idempotent)."""
        if self._client is not None:
            self._client.close()
            self._client = None


def total(values: Iterable[object]) -> RawValue:
    """The sum of per-date values as Mixpanel sent them. One value is returned untouched; a
    value that is no finite number is returned as it is, for the runner to refuse quoting it;
    decimals are added exactly (``0.1 + 0.2`` is ``0.3``)."""
    items = list(values)
    if len(items) == 1:
        return _raw(items[0])
    exact: int | Decimal = 0
    for value in items:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _raw(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                return value
            text = value.text if isinstance(value, UpstreamFloat) else repr(value)
            exact += Decimal(text)
        else:
            exact += value
    return exact


def _raw(value: object) -> RawValue:
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        return value
    return repr(value)
