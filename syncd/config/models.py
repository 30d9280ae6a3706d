"""The configuration language (DESIGN §3) as pydantic models.

Every model rejects unknown keys. Connector-specific parts (a source's settings, a metric's
query) are typed by the connector named in the source's ``type``; ``syncd.config.load`` validates
them with the connector's own models before these models see them, so here they arrive as
instances of :class:`~syncd.abc.SourceConfig` and :class:`~syncd.abc.QueryModel` subclasses.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    field_validator,
    model_validator,
)

from syncd.abc import QueryModel, SinkConfig, SourceConfig, TargetModel
from syncd.exposure import exposed_without_token, is_loopback
from syncd.schedule import parse_duration, parse_schedule
from syncd.status import Status
from syncd.windows import check_date, parse_window

LARGEST_NUMBER = 1e15
"""Numbers a KR compares beyond this are typos; within it, differences and ratios of them
stay exact enough and can never overflow to infinity."""

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        max_length=100,
        description="lower-case letters, digits, '-', '_' and '.'",
    ),
]


def _check_window(spec: str) -> str:
    parse_window(spec)
    return spec


def _check_schedule(spec: str) -> str:
    parse_schedule(spec)
    return spec


def _check_duration(spec: str) -> str:
    parse_duration(spec)
    return spec


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Zurich)"
        ) from exc
    return name


WindowSpec = Annotated[
    str,
    AfterValidator(_check_window),
    Field(
        description="cycle_to_date, trailing_<N>d, calendar_day|week|month|quarter, "
        "since:<YYYY-MM-DD> or snapshot"
    ),
]
ScheduleSpec = Annotated[
    str,
    AfterValidator(_check_schedule),
    Field(description="hourly, daily, weekly, 'every <N>m|h|d' or a 5-field cron expression"),
]
DurationSpec = Annotated[
    str, AfterValidator(_check_duration), Field(description="a duration such as 72h, 3d or 90m")
]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


def _check_magnitude(value: float) -> float:
    if abs(value) > LARGEST_NUMBER:
        raise ValueError(f"{value:g} is out of range: use a number within ±{LARGEST_NUMBER:g}")
    return value


Number = Annotated[float, AfterValidator(_check_magnitude)]
"""A finite number of a sensible size (``Strict`` models refuse NaN and infinities)."""
ConfigDate = Annotated[
    date, AfterValidator(check_date), Field(description="a date (YYYY-MM-DD) from 1900 to 2999")
]


def _check_locale(name: str) -> str:
    from babel import Locale, UnknownLocaleError  # Babel loads its data lazily

    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        raise ValueError(
            f"unknown locale {name!r}: use a language and territory such as de_CH, fr_CH, en_US"
        ) from None
    return name


LocaleName = Annotated[str, AfterValidator(_check_locale)]


class Strict(BaseModel):
    # NaN and infinities pass every comparison check and poison every sum: never accept them.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Cycle(Strict):
    """A period objectives belong to, usually a quarter. ``end`` is the last day, inclusive."""

    start: ConfigDate
    end: ConfigDate

    @model_validator(mode="after")
    def _ends_after_start(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"the cycle ends ({self.end}) before it starts ({self.start})")
        return self


class QueryLeaf(Strict):
    """One number read from one source."""

    source: str
    query: QueryModel


MetricOperand = Annotated[
    str | QueryLeaf,
    Field(description="a named metric, or an inline {source, query}"),
]


class Ratio(Strict):
    """``numerator / denominator``, both summed over the window first (never a mean of ratios)."""

    numerator: MetricOperand
    denominator: MetricOperand
    scale: Number = Field(1.0, description="multiply the ratio, e.g. 100 for percent points")


class ReferenceWindow(Strict):
    """A fixed reference period for ``growth`` (``end`` exclusive)."""

    start: ConfigDate
    end: ConfigDate

    @model_validator(mode="after")
    def _ends_after_start(self) -> ReferenceWindow:
        if self.end <= self.start:
            raise ValueError(
                f"the reference window ends ({self.end}) before it starts ({self.start}); "
                "'end' is exclusive"
            )
        return self


class Growth(Strict):
    """Relative change ``(current − reference) / reference`` of a metric."""

    of: MetricOperand
    compare_to: Literal["previous_period", "previous_year"] | ReferenceWindow = "previous_period"


class Metric(Strict):
    """A named, reusable measure: read from one source, or derived from other metrics."""

    description: str | None = None
    source: str | None = None
    query: QueryModel | None = None
    ratio: Ratio | None = None
    growth: Growth | None = None
    sum: list[MetricOperand] | None = Field(None, min_length=2)
    difference: list[MetricOperand] | None = Field(None, min_length=2, max_length=2)
    window: WindowSpec = "cycle_to_date"

    @model_validator(mode="after")
    def _exactly_one_definition(self) -> Metric:
        defined = [
            name
            for name in ("query", "ratio", "growth", "sum", "difference")
            if getattr(self, name)
        ]
        if len(defined) != 1:
            raise ValueError(
                "a metric needs exactly one of: source+query, ratio, growth, sum, difference"
                + (f" (found {', '.join(defined)})" if defined else "")
            )
        if (self.source is None) != (self.query is None):
            raise ValueError("'source' and 'query' go together")
        return self


class Band(Strict):
    """What a ``maintain`` KR must stay within: at least, at most, or both."""

    at_least: Number | None = None
    at_most: Number | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> Band:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError("at_least is above at_most")
        return self

    def contains(self, value: float) -> bool:
        return (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )


class PacePoint(Strict):
    """Expected attainment (0..1) by a date, for seasonal or stepped pacing."""

    at: ConfigDate
    expected: Number = Field(ge=0)


class Pacing(Strict):
    """Expected attainment through the cycle; linear between the points, or in steps."""

    shape: Literal["linear", "step"] = "linear"
    points: list[PacePoint] = Field(min_length=1)


class KeyResult(Strict):
    """A quantitative, never binary result: baseline → target in a unit, bound to a metric."""

    id: Slug
    title: str
    focus: Literal["user", "business"]
    metric: str | None = Field(None, description="name of a metric; none means manual check-ins")
    unit: str | None = None
    kind: Literal["increase", "decrease", "maintain"] | None = Field(
        None, description="follows from baseline vs target unless 'maintain'"
    )
    baseline: Number | None = None
    target: Number | None = None
    maintain: Band | None = None
    weight: Number = Field(1.0, gt=0)
    ceiling: Number | None = Field(
        None, ge=1, description="score cap; defaults to progress.ceiling"
    )
    pacing: Pacing | None = None
    schedule: ScheduleSpec = "daily"
    owner: str | None = Field(None, max_length=200, description="who checks this KR in (a name)")
    settle: DurationSpec | None = Field(
        None, description="re-read windows this recent on each sync; sources restate recent data"
    )
    running_day: bool = Field(
        False,
        description="count the day not yet over from sources that report whole days (GA4, "
        "date fields); by default their windows end at the last complete day",
    )
    description: str | None = None
    push: dict[str, TargetModel] = Field(
        default_factory=dict,
        description="where this KR's values go: per sink name (under 'sinks'), that sink's "
        "mapping of the KR, e.g. {perdoo: {key_result: <uuid>}}",
    )

    @model_validator(mode="after")
    def _kind_is_consistent(self) -> KeyResult:
        if self.kind == "maintain" or self.maintain is not None:
            if self.maintain is None:
                raise ValueError("a 'maintain' KR needs 'maintain: {at_least: …, at_most: …}'")
            if self.kind not in (None, "maintain"):
                raise ValueError(f"kind {self.kind!r} does not go with 'maintain'")
            return self
        if self.baseline is None or self.target is None:
            raise ValueError("give both 'baseline' and 'target' (or 'maintain' for a band)")
        if self.baseline == self.target:
            raise ValueError(
                f"baseline and target are both {self.baseline}: nothing to make progress on"
            )
        implied = "increase" if self.target > self.baseline else "decrease"
        if self.kind is not None and self.kind != implied:
            raise ValueError(
                f"kind is {self.kind!r} but target {self.target} vs baseline {self.baseline} "
                f"means {implied!r}"
            )
        return self

    @property
    def direction(self) -> Literal["increase", "decrease", "maintain"]:
        if self.maintain is not None:
            return "maintain"
        assert self.baseline is not None and self.target is not None
        return "increase" if self.target > self.baseline else "decrease"


class Objective(Strict):
    """A qualitative, time-bound goal of one team in one cycle."""

    id: Slug
    title: str
    team: Slug
    cycle: str
    level: Literal["company", "team", "individual"] = "team"
    commitment: Literal["committed", "aspirational"] = "committed"
    parent: str | None = Field(None, description="id of the objective this one aligns to")
    opportunity: str | None = Field(None, description="the customer opportunity it answers")
    description: str | None = None
    owner: str | None = Field(
        None, max_length=200, description="who answers for this objective (a name)"
    )
    key_results: list[KeyResult] = Field(default_factory=list)


class InitiativeMove(Strict):
    """'We believe this initiative moves KR ``key_result`` by ``by``.'"""

    key_result: str
    by: Number | None = None


class Initiative(Strict):
    """A bet: started on a date, expected to move some KRs. The data says whether it did."""

    id: Slug
    title: str
    start: ConfigDate
    team: Slug | None = None
    hypothesis: str | None = None
    moves: list[InitiativeMove] = Field(min_length=1)
    jira: str | None = Field(
        None,
        pattern=r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$",
        description="the Jira epic of this bet, e.g. ABC-123 (`syncd report` shows its status)",
    )
    jira_source: str | None = Field(
        None, description="the jira source to read the epic from, when there are several"
    )


class ProgressSettings(Strict):
    """Thresholds of the status rules (DESIGN §2)."""

    at_risk_gap: Number = Field(0.10, ge=0, description="expected − attainment above this: at_risk")
    off_track_gap: Number = Field(0.25, ge=0, description="… above this: off_track")
    ceiling: Number = Field(1.0, ge=1, description="default score cap")

    @model_validator(mode="after")
    def _ordered(self) -> ProgressSettings:
        if self.off_track_gap < self.at_risk_gap:
            raise ValueError("off_track_gap must not be below at_risk_gap")
        return self


class DaemonSettings(Strict):
    """How ``syncd run`` schedules, listens, shares the store and survives outages."""

    listen: str | None = Field(
        "127.0.0.1:9465",
        description="host:port of /livez, /readyz and /metrics; null turns the listener off",
    )
    listen_token: SecretStr | None = Field(
        None,
        description="bearer token /metrics, the dashboard and the API require; "
        "needed to listen beyond loopback",
    )
    listen_insecure: bool = Field(
        False,
        description="serve a non-loopback listen address without listen_token (only behind a "
        "trusted proxy that authenticates)",
    )
    jitter: DurationSpec = Field("5s", description="random delay added to each scheduled run")
    misfire_grace: DurationSpec = Field("10m", description="how late a run may still start")
    catch_up: DurationSpec = Field(
        "2d", description="on start, slots missed within this span are measured (from the store)"
    )
    lease: DurationSpec = Field(
        "10m", description="how long a claimed slot is held before another instance may take it"
    )
    shutdown_timeout: DurationSpec = Field(
        "30s", description="on SIGTERM, how long in-flight runs may take to finish"
    )
    spool: str | None = Field(
        None,
        description="file of measurements waiting for an unreachable store "
        "(default: $STATE_DIRECTORY/spool.db or ./syncd-spool.db)",
    )
    failure_backoff: DurationSpec = Field(
        "1h", description="longest pause for a job whose runs keep failing"
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError("listen must be host:port, e.g. 127.0.0.1:9465")
        return value

    @model_validator(mode="after")
    def _not_exposed_without_token(self) -> DaemonSettings:
        if self.listen is None or self.listen_token is not None or self.listen_insecure:
            return self
        if not is_loopback(self.listen.rpartition(":")[0]):
            raise ValueError(
                exposed_without_token(
                    f"listen {self.listen}",
                    serves="/metrics, the dashboard and the API",
                    token_option="daemon.listen_token",
                    opt_out="daemon.listen_insecure: true",
                )
            )
        return self


AlertStatus = Status


class NotificationChannel(Strict):
    """Where a team hears about its KRs: an Apprise URL (``slack://…``, ``workflows://…`` for
    Microsoft Teams, ``mailtos://…``, ``json://…``) and what it receives."""

    url: SecretStr = Field(
        description="Apprise URL; put its tokens in a secret reference such as ${env:SLACK_URL}"
    )
    teams: list[str] = Field(
        min_length=1, description="the teams this channel serves; '*' serves every team"
    )
    alerts: bool = Field(True, description="send status, staleness and source alerts here")
    digest: bool = Field(True, description="send the weekly digest here")

    def serves(self, team: str) -> bool:
        return "*" in self.teams or team in self.teams


def _default_alert_statuses() -> list[AlertStatus]:
    return ["at_risk", "off_track", "achieved", "stale"]


class AlertRules(Strict):
    """What is worth an alert."""

    statuses: list[AlertStatus] = Field(
        default_factory=_default_alert_statuses,
        description="a KR whose status moves into or out of one of these is an alert",
    )
    sources: bool = Field(True, description="alert when a source starts or stops failing")


class DigestSettings(Strict):
    """The weekly check-in digest each team receives."""

    schedule: ScheduleSpec = Field(
        "0 9 * * 1", description="when digests are due, in the config time zone"
    )
    late: DurationSpec = Field(
        "1d", description="a digest not sent this long after its slot is skipped"
    )


class Notifications(Strict):
    """Alerts and digests to the teams' channels. Secret references are allowed here."""

    channels: dict[Slug, NotificationChannel] = Field(default_factory=dict)
    alerts: AlertRules = Field(default_factory=AlertRules)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    lease: DurationSpec = Field(
        "10m", description="how long a claimed delivery is held before it is retried"
    )
    attempts: int = Field(5, ge=1, description="deliveries to a channel are tried this often")


STORE_URL_HINT = "use sqlite:///path/to/syncd.db or postgresql+psycopg://user@host/database"
_STORE_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",  # SQLAlchemy would pick psycopg2, which we do not ship
    "postgres": "postgresql+psycopg",  # what Heroku, RDS consoles and libpq tools print
}


def normalise_store_url(url: str) -> str:
    """``url`` with a scheme syncd drives (``postgres://`` becomes ``postgresql+psycopg://``);
    any other database or driver is refused with the fix. Never echoes the URL's password."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        if url == "SECRET" or "${" in url:  # a reference not read, or already reported
            return url
        raise ValueError(f"the store must be a database URL; {STORE_URL_HINT}")
    chosen = _STORE_SCHEMES.get(scheme.lower())
    if chosen is None:
        raise ValueError(
            f"syncd cannot use a {scheme}:// store (it stores in SQLite or PostgreSQL through "
            f"psycopg); {STORE_URL_HINT}"
        )
    return f"{chosen}://{rest}"


class Config(Strict):
    """A whole syncd configuration (one file, or a directory of files merged)."""

    timezone: TimeZoneName = "UTC"
    locale: LocaleName = Field(
        "en", description="how numbers, currencies and dates read, e.g. de_CH (CHF 1’253.19)"
    )
    dashboard_url: HttpUrl | None = Field(
        None, description="where people open the dashboard; digests link to it"
    )
    store: SecretStr = Field(
        SecretStr("sqlite:///syncd.db"), description="SQLAlchemy URL of the measurement store"
    )
    progress: ProgressSettings = Field(default_factory=ProgressSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    sources: dict[Slug, SourceConfig] = Field(default_factory=dict)
    sinks: dict[Slug, SinkConfig] = Field(
        default_factory=dict,
        description="OKR tools syncd pushes measured values to (see docs/sinks.md)",
    )
    cycles: dict[str, Cycle] = Field(default_factory=dict)
    metrics: dict[Slug, Metric] = Field(default_factory=dict)
    objectives: list[Objective] = Field(default_factory=list)
    initiatives: list[Initiative] = Field(default_factory=list)
    notifications: Notifications | None = None

    @field_validator("sources", "sinks", mode="before")
    @classmethod
    def _sources_mapping(cls, value: Any) -> Any:
        return value if value is not None else {}

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: SecretStr) -> SecretStr:
        return SecretStr(normalise_store_url(value.get_secret_value()))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def key_results(self) -> list[tuple[Objective, KeyResult]]:
        """Every KR with its objective, in config order."""
        return [(objective, kr) for objective in self.objectives for kr in objective.key_results]

    def key_result(self, kr_id: str) -> tuple[Objective, KeyResult]:
        for objective, kr in self.key_results():
            if kr.id == kr_id:
                return objective, kr
        raise KeyError(kr_id)
