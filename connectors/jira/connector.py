"""The ``jira`` connector: delivery KRs from Jira Cloud or Data Center, through pycontribs/jira.

Every upstream call is one :meth:`~syncd.abc.Connector.call` (limiter, counting, retries with
Retry-After); the client's own retrying session is switched off (``max_retries=0``), so a 429
is answered by the runner's policy and never slept through twice. The client is made lazily:
making it reads ``serverInfo`` (one call), which says whether the site is Cloud.

How each measure reaches Jira:

========================  ===============================================================
count, Cloud, exact       ``GET /rest/api/3/search/jql`` (ids only, 5,000 a page), following
                          ``nextPageToken``; the issues are counted
count, Cloud, exact=false ``POST /rest/api/3/search/approximate-count``: one call
count, Data Center        ``GET /rest/api/2/search?maxResults=1``: its ``total``
sum, avg, duration        the same searches with the fields needed, ``page_size`` a page
========================  ===============================================================

A window binds the query's ``by`` date field to whole days of the account's zone
(``request.days``): ``by >= "first" AND by < "end"``, as JQL reads dates in that zone.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from connectors.jira.config import JiraQuery, JiraSourceConfig
from connectors.jira.errors import classify, shape_error
from connectors.jira.measures import Field, number, span, summarize
from connectors.jira.wire import (
    BUILTIN_DATES,
    CLOUD,
    COUNT_PAGE,
    CUSTOM_FIELD,
    DATE_TYPES,
    EPIC_FIELDS,
    ID_ONLY,
    NUMBER_TYPES,
    REST_VERSION,
    clause_for_custom,
    jql_date,
    parse_moment,
)
from syncd.abc import (
    Connector,
    ConnectorContext,
    MetricRequest,
    QueryTraits,
    RateLimit,
    RawValue,
    SourceConfig,
    ValueKind,
)
from syncd.errors import AuthError, QueryError, SourceError
from syncd.limits import url_account

if TYPE_CHECKING:  # the client loads when a source is first read, not with the config
    from jira import JIRA

Request = MetricRequest[JiraQuery]
Json = dict[str, Any]

_KINDS = {
    "count": ValueKind.COUNT,
    "sum": ValueKind.SUM,
    "avg": ValueKind.NUMBER,
    "duration": ValueKind.DURATION,
}


class IssueState(TypedDict):
    """Where one issue (an initiative's epic) stands now."""

    key: str
    summary: str
    status: str
    category: str
    """Jira's status category: ``new``, ``indeterminate`` or ``done``."""
    resolved: datetime | None


class JiraConnector(Connector[JiraSourceConfig, JiraQuery]):
    """Answers delivery metrics from one Jira site."""

    sdk_modules = ("jira",)
    config_model = JiraSourceConfig
    query_model = JiraQuery
    # Assumption: Cloud's burst limits and Data Center's admin-set token buckets publish no
    # numbers for API-token traffic; 10 calls a second, 2 at a time, stays well inside both.
    default_rate_limit = RateLimit(requests=10, per_seconds=1)
    default_concurrency = 2

    @classmethod
    def quota_account(cls, config: SourceConfig) -> str | None:
        """The site (``acme.atlassian.net``)."""
        assert isinstance(config, JiraSourceConfig)
        return url_account(str(config.url))

    def __init__(
        self,
        config: JiraSourceConfig,
        context: ConnectorContext,
        *,
        factory: Callable[..., JIRA] | None = None,
    ) -> None:
        super().__init__(config, context)
        self._factory = factory
        self._jira: JIRA | None = None
        self._fields: list[Json] | None = None
        self._lock = threading.RLock()
        self.zone = config.zone(context.timezone)

    @classmethod
    def traits(cls, config: JiraSourceConfig, query: JiraQuery, timezone: ZoneInfo) -> QueryTraits:
        """A query with ``by`` counts whole days of the account's Jira zone; without it, it
        reads issues as they are now (present only). A past snapshot cannot be read."""
        bound = query.by is not None
        return QueryTraits(
            day_zone=config.zone(timezone) if bound else None,
            past_windows=bound,
            past_snapshots=False,
            kind=_KINDS[query.measure],
        )

    def classify(self, exc: Exception) -> SourceError | None:
        return classify(exc, source=self.context.source)

    # ---- the client and the site's fields -------------------------------------------------

    @property
    def cloud(self) -> bool:
        return self.config.deployment == "cloud"

    def _client(self) -> JIRA:
        """The jira client; making it reads ``serverInfo`` (one counted call)."""
        with self._lock:
            if self._jira is None:
                config = self.config
                auth: dict[str, Any] = (
                    {"basic_auth": (config.email, config.api_token.get_secret_value())}
                    if config.api_token is not None and config.email
                    else {"token_auth": config.token.get_secret_value() if config.token else ""}
                )
                options = {
                    "rest_api_version": REST_VERSION[config.deployment],
                    "check_update": False,
                }
                try:
                    client = self._make(options, auth)
                except QueryError as error:
                    if "answered 404" not in str(error):
                        raise
                    raise self._mismatch("has no Cloud REST API (serverInfo: 404)") from None
                if (client.deploymentType == CLOUD) != self.cloud:
                    client.close()  # type: ignore[no-untyped-call]
                    raise self._mismatch(f"says deploymentType {client.deploymentType!r}")
                self._jira = client
            return self._jira

    def _make(self, options: dict[str, Any], auth: dict[str, Any]) -> JIRA:
        config = self.config
        if self._factory is None:
            from jira import JIRA

            self._factory = JIRA
        factory = self._factory
        return self.call(
            lambda: factory(
                server=config.base_url,
                options=options,
                max_retries=0,  # the runner retries, honouring Retry-After
                timeout=config.timeout_seconds,
                logging=False,
                **auth,
            ),
            what="serverInfo",
        )

    def _mismatch(self, found: str) -> AuthError:
        source = self.context.source
        if self.cloud:
            hint = "a Data Center or Server site takes a personal access token (token)"
        else:
            hint = "Jira Cloud takes email + api_token"
        return AuthError(
            f"{source}: {self.config.base_url} {found}; {hint}",
            source=source,
        )

    def _field_list(self) -> list[Json]:
        """The site's fields (one counted call per connector)."""
        with self._lock:
            if self._fields is None:
                client = self._client()

                def read() -> list[Json]:
                    fields = client.fields()
                    if not isinstance(fields, list):
                        raise shape_error(self.context.source, "field list", "no list of fields")
                    return fields

                fields = self.call(read, what="field list")
                # The client translates search fields through this cache and would otherwise
                # fill it with a call of its own, outside the limiter and the counting.
                client._fields_cache_value = {
                    name: str(field["id"])
                    for field in fields
                    for name in field.get("clauseNames") or ()
                }
                self._fields = fields
            return self._fields

    def field(self, name: str, types: tuple[str, ...]) -> Field:
        """``name`` (a built-in date, a field id, name or JQL clause name) as a field of the
        site, checked to be of one of ``types``."""
        if types == DATE_TYPES and name.lower() in BUILTIN_DATES:
            field_id, clause = BUILTIN_DATES[name.lower()]
            return Field(field_id, clause, name)
        wanted = name.strip().lower()
        found = [
            field
            for field in self._field_list()
            if wanted == str(field.get("id", "")).lower()
            or wanted == str(field.get("name", "")).lower()
            or wanted in (str(clause).lower() for clause in field.get("clauseNames") or ())
        ]
        source = self.context.source
        if not found:
            raise QueryError(f"{source}: Jira has no field {name!r}", source=source)
        if len(found) > 1:
            ids = ", ".join(str(field.get("id")) for field in found)
            raise QueryError(f"{source}: {name!r} names {ids}; use the id", source=source)
        field = found[0]
        kind = (field.get("schema") or {}).get("type")
        if kind is not None and kind not in types:
            raise QueryError(
                f"{source}: {name!r} is a {kind} field, not a {' or '.join(types)} field",
                source=source,
            )
        field_id = str(field["id"])
        clauses = field.get("clauseNames") or [field_id]
        clause = clause_for_custom(field_id) if CUSTOM_FIELD.match(field_id) else str(clauses[0])
        return Field(field_id, clause, str(field.get("name", field_id)))

    # ---- requests ---------------------------------------------------------------------------

    def jql(self, request: Request, clause: Callable[[str], str] | None = None) -> str:
        """The JQL sent for ``request``: its ``jql`` with ``by`` bound to its days."""
        query, source = request.query, self.context.source
        if query.by is None:
            return query.jql
        if request.window.is_snapshot or request.days is None:
            raise QueryError(
                f"{source}: a query with by: {query.by} counts a window of days, not a snapshot",
                source=source,
            )
        name = (clause or (lambda by: self.field(by, DATE_TYPES).clause))(query.by)
        days = request.days
        return (
            f"({query.jql}) AND {name} >= {jql_date(days.first)} AND {name} < {jql_date(days.end)}"
        )

    def fetch(self, request: Request) -> RawValue:
        query, source = request.query, self.context.source
        jql = self.jql(request)
        if query.measure == "count":
            return self._count(jql, exact=query.exact)
        if query.measure in ("sum", "avg"):
            assert query.field is not None
            field = self.field(query.field, NUMBER_TYPES)
            values = [
                value
                for issue in self._issues(jql, [field.id])
                if (value := number(issue, field, source)) is not None
            ]
            if query.measure == "sum":
                return math.fsum(values)
            if not values:
                raise QueryError(f"{source}: no issue has a {field.name} in {jql}", source=source)
            return math.fsum(values) / len(values)
        start = self.field(query.from_field, DATE_TYPES)
        end = self.field(query.to_field, DATE_TYPES)
        spans = [
            value
            for issue in self._issues(jql, [start.id, end.id])
            if (value := span(issue, start, end, self.zone, query.unit, source)) is not None
        ]
        if not spans:
            raise QueryError(
                f"{source}: no issue has both {start.name} and {end.name} in {jql}", source=source
            )
        return summarize(spans, query.stat)

    def _count(self, jql: str, *, exact: bool) -> RawValue:
        client = self._client()
        if not self.cloud:
            self._field_list()  # the client's search translates fields through it
            page = self._page(
                lambda: client.search_issues(
                    jql, startAt=0, maxResults=1, fields=list(ID_ONLY), json_result=True
                ),
                "search",
                "total",
            )
            total: RawValue = page["total"]  # as sent; the runner checks it is a count
            return total
        if not exact:
            answer = self._page(
                lambda: client.approximate_issue_count(jql, json_result=True),
                "approximate count",
                "count",
            )
            count: RawValue = answer["count"]
            return count
        return sum(1 for _ in self._issues(jql, list(ID_ONLY), page_size=COUNT_PAGE))

    def _issues(
        self, jql: str, fields: list[str], *, page_size: int | None = None
    ) -> Iterator[Json]:
        """Every issue matching ``jql`` with ``fields``, a page per counted call."""
        self._field_list()  # the client's search translates fields through it
        client = self._client()
        size = page_size or self.config.page_size
        number_ = 0
        if self.cloud:
            token: str | None = None
            while True:
                number_ += 1
                page = self._page(
                    partial(
                        client.enhanced_search_issues,
                        jql,
                        nextPageToken=token,
                        maxResults=size,
                        fields=list(fields),
                        json_result=True,
                    ),
                    f"search/jql page {number_}",
                    "issues",
                )
                yield from page["issues"]
                token = page.get("nextPageToken")
                if not token or page.get("isLast") is True:
                    return
        start = 0
        while True:
            number_ += 1
            page = self._page(
                partial(
                    client.search_issues,
                    jql,
                    startAt=start,
                    maxResults=size,
                    fields=list(fields),
                    json_result=True,
                ),
                f"search page {number_}",
                "issues",
            )
            issues = page["issues"]
            yield from issues
            start += len(issues)
            if not issues or not isinstance(page.get("total"), int) or start >= page["total"]:
                return

    def _page(self, read: Callable[[], Any], what: str, key: str) -> Json:
        """One counted call whose answer must be a JSON object holding ``key`` (a list for
        ``issues``); an empty or other body is retried as the transient fault it is."""

        def checked() -> Json:
            body = read()
            if not isinstance(body, dict) or key not in body:
                raise shape_error(self.context.source, what, f"no {key!r} in the answer")
            if key == "issues" and not isinstance(body[key], list):
                raise shape_error(self.context.source, what, "issues that are not a list")
            return body

        return self.call(checked, what=what)

    # ---- the rest of the contract -----------------------------------------------------------

    def check(self) -> str:
        """Who the credentials belong to (``GET /myself``), on which kind of site."""
        client = self._client()
        me = self.call(client.myself, what="myself")
        who = me.get("emailAddress") or me.get("displayName") or me.get("name")
        if not who:
            raise QueryError(
                f"{self.context.source}: the credentials were accepted but name no user",
                source=self.context.source,
            )
        kind = "Jira Cloud" if self.cloud else "Jira Data Center"
        return f"signed in as {who} on {kind} {self.config.base_url}"

    def issue_state(self, key: str) -> IssueState:
        """Status and resolution of issue ``key`` now (an initiative's epic): one call."""
        client = self._client()
        raw = self.call(lambda: client.issue(key, fields=EPIC_FIELDS).raw, what=f"issue {key}")
        fields = raw.get("fields") if isinstance(raw, dict) else None
        if not isinstance(fields, dict) or not isinstance(fields.get("status"), dict):
            raise shape_error(self.context.source, f"issue {key}", "no status")
        status = fields["status"]
        resolved = fields.get("resolutiondate")
        return IssueState(
            key=str(raw.get("key") or key),
            summary=str(fields.get("summary") or ""),
            status=str(status.get("name") or ""),
            category=str((status.get("statusCategory") or {}).get("key") or ""),
            resolved=parse_moment(str(resolved), self.zone) if resolved else None,
        )

    def describe(self, request: Request) -> str:
        """The JQL and where it goes (no credentials, no upstream call)."""
        query = request.query

        def offline(name: str) -> str:
            if name.lower() in BUILTIN_DATES:
                return BUILTIN_DATES[name.lower()][1]
            return clause_for_custom(name) if CUSTOM_FIELD.match(name) else f'"{name}"'

        try:
            jql = self.jql(request, clause=offline)
        except QueryError as error:
            jql = f"{query.jql} ({error})"
        site = f"{self.config.base_url} ({self.config.deployment.replace('_', ' ')})"
        if query.measure == "count":
            how = "approximate count" if self.cloud and not query.exact else "count"
        elif query.measure == "duration":
            how = f"{query.stat} {query.from_field} → {query.to_field} in {query.unit}"
        else:
            how = f"{query.measure} of {query.field}"
        return f"{how} of JQL {jql!r} on {site}"

    def close(self) -> None:
        """Close the HTTP session; safe to call twice."""
        with self._lock:
            if self._jira is not None:
                self._jira.close()  # type: ignore[no-untyped-call]
                self._jira = None
                self._fields = None
