"""The store's tables, as SQLModel classes on their own metadata.

The tables live in a registry of their own rather than ``SQLModel.metadata`` so the migrations
compare against exactly these tables, whatever other SQLModel classes a process imports.
Constraint names follow a naming convention so Alembic can alter them on SQLite and PostgreSQL
alike. Datetime columns use SQLModel's ``UTCDateTime``: naive datetimes are rejected on write and
every value reads back tz-aware in UTC on both backends.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ARRAY, JSON, Column, Double, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StoreModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of the store's tables (abstract: it only carries the registry)."""


class CycleRecord(StoreModel, table=True):
    """A cycle as last configured, kept after it left the config so its review stays possible."""

    __tablename__ = "cycles"

    id: str = Field(primary_key=True, sa_type=String(100))
    start: date
    end: date
    active: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ObjectiveRecord(StoreModel, table=True):
    """An objective as last configured; ``active`` is False once it left the config.

    ``definition`` is the objective's whole config (JSON, KRs included), from which a retired
    objective is evaluated again (``syncd report``, ``history``, ``export``).
    """

    __tablename__ = "objectives"

    id: str = Field(primary_key=True, sa_type=String(100))
    cycle: str = Field(sa_type=String(100))
    title: str = Field(sa_type=Text)
    team: str = Field(sa_type=String(100))
    level: str = Field(sa_type=String(20))
    commitment: str = Field(sa_type=String(20))
    parent_id: str | None = Field(default=None, sa_type=String(100))
    opportunity: str | None = Field(default=None, sa_type=Text)
    owner: str | None = Field(default=None, sa_type=String(200))
    definition: str | None = Field(default=None, sa_type=Text)
    active: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime)


class KeyResultRecord(StoreModel, table=True):
    """A key result as last configured; ``active`` is False once it left the config."""

    __tablename__ = "key_results"

    id: str = Field(primary_key=True, sa_type=String(100))
    objective_id: str = Field(foreign_key="objectives.id", index=True, sa_type=String(100))
    title: str = Field(sa_type=Text)
    focus: str = Field(sa_type=String(20))
    unit: str | None = Field(default=None, sa_type=String(50))
    direction: str = Field(sa_type=String(20))
    baseline: float | None = None
    target: float | None = None
    band_at_least: float | None = None
    band_at_most: float | None = None
    weight: float = 1.0
    metric: str | None = Field(default=None, sa_type=String(100))
    schedule: str = Field(sa_type=String(100))
    owner: str | None = Field(default=None, sa_type=String(200))
    active: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Measurement(StoreModel, table=True):
    """The current value of one KR for one window; ``revision`` counts its restatements."""

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("key_result_id", "window_start", "window_end"),
        Index(None, "key_result_id", "window_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_result_id: str = Field(foreign_key="key_results.id", sa_type=String(100))
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    value: float
    collected_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(sa_type=String(200))
    query_fingerprint: str = Field(sa_type=String(64))
    run_id: str | None = Field(default=None, sa_type=String(32))
    note: str | None = Field(default=None, sa_type=Text)
    revision: int = 1


class MeasurementRevision(StoreModel, table=True):
    """An earlier value of a measurement, kept when a re-read of its window changed it."""

    __tablename__ = "measurement_revisions"
    __table_args__ = (UniqueConstraint("measurement_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    measurement_id: int = Field(foreign_key="measurements.id")
    revision: int
    value: float
    collected_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(sa_type=String(200))
    query_fingerprint: str = Field(sa_type=String(64))
    run_id: str | None = Field(default=None, sa_type=String(32))
    note: str | None = Field(default=None, sa_type=Text)
    superseded_at: datetime = Field(sa_type=UTCDateTime)


class CheckIn(StoreModel, table=True):
    """A person's check-in of a KR: a value (also stored as a measurement), a confidence
    (``on_track``, ``at_risk``, ``off_track``) and a note; any of them may be absent."""

    __tablename__ = "checkins"
    __table_args__ = (Index(None, "key_result_id", "recorded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key_result_id: str = Field(foreign_key="key_results.id", sa_type=String(100))
    at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    value: float | None = None
    confidence: str | None = Field(default=None, sa_type=String(20))
    note: str | None = Field(default=None, sa_type=Text)


class SyncRun(StoreModel, table=True):
    """One sync of one source: when, why, how it ended and what it cost upstream.

    ``finished_at``, ``outcome`` and ``duration_seconds`` stay empty while the run is in flight.
    ``owner`` is the process that runs it (``host:pid``): a run whose process died is closed as
    ``interrupted`` when syncd next starts (see :mod:`syncd.store.runs`).
    """

    __tablename__ = "sync_runs"
    __table_args__ = (Index(None, "started_at"),)

    id: str = Field(primary_key=True, sa_type=String(32))
    source: str = Field(sa_type=String(100))
    trigger: str = Field(sa_type=String(50))
    slot: datetime | None = Field(default=None, sa_type=UTCDateTime)
    owner: str | None = Field(default=None, sa_type=String(200))
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, sa_type=String(50))
    error: str | None = Field(default=None, sa_type=Text)
    duration_seconds: float | None = None
    upstream_calls: int = 0
    retries: int = 0
    requests: int = 0
    measurements: int = 0


class JobClaim(StoreModel, table=True):
    """Which instance runs a job's slot. The first claim wins; an unfinished claim whose lease
    ran out (its instance died) may be taken over. A finished claim is never run again, unless
    it failed: then it is claimed again from ``retry_at`` on (``attempts`` counts the runs)."""

    __tablename__ = "job_claims"

    job: str = Field(primary_key=True, sa_type=String(200))
    slot: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    owner: str = Field(sa_type=String(200))
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, sa_type=String(50))
    attempts: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationDelivery(StoreModel, table=True):
    """One message (an alert or a digest) to one channel, claimed before it is sent.

    The first claim of ``(key, channel)`` wins; a claim neither sent nor given up whose lease ran
    out (its instance died, or the channel failed) is retried by whoever takes it over. The row
    keeps the whole message so a retry needs nothing else.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index(None, "team", "kind", "sent_at"),)

    key: str = Field(primary_key=True, sa_type=String(300))
    channel: str = Field(primary_key=True, sa_type=String(100))
    kind: str = Field(sa_type=String(50))
    team: str = Field(sa_type=String(100))
    title: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    html: str | None = Field(default=None, sa_type=Text)
    data: str | None = Field(default=None, sa_type=Text)
    owner: str = Field(sa_type=String(200))
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 1
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    given_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)


class DeadLetter(StoreModel, table=True):
    """A measurement the store refused (not for an outage), set aside so it blocks nothing.

    One row per natural key (``key``: a digest of KR id and window, as given): a refusal seen
    again bumps ``attempts`` and ``last_seen`` and keeps the latest item and reason. The row
    goes away once a measurement of the same window is stored.
    """

    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(64))
    key_result_id: str = Field(sa_type=Text)
    item: str = Field(sa_type=Text)
    reason: str = Field(sa_type=Text)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 1


class QuotaWindow(StoreModel, table=True):
    """The latest call starts against one vendor account's rate limit, shared by every instance
    on a PostgreSQL store (see ``syncd.store.quota``); on SQLite it stays empty.

    ``account`` is the connector's non-secret account key (``hubspot:source:crm``,
    ``zendesk:acme``); ``starts`` the reserved start times (epoch seconds, database clock) of
    the latest calls, oldest first, as many as the largest limit asked of it.
    """

    __tablename__ = "quota_windows"

    account: str = Field(primary_key=True, sa_type=String(200))
    starts: list[float] = Field(
        sa_column=Column(ARRAY(Double()).with_variant(JSON(), "sqlite"), nullable=False)
    )
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OutboxEvent(StoreModel, table=True):
    """An event (see :mod:`syncd.events`) appended to the outbox, in append order (``id``).

    ``dedupe_key``, when set, is unique: a second append of the same change (two instances
    judging the same status change) is dropped. ``subject`` (``kr:<id>``, ``source:<name>``)
    finds a subject's latest event.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index(None, "subject", "type", "id"),
        # Ids are positions: never reused after a prune (SQLite would reuse the highest).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(sa_type=String(50))
    subject: str = Field(sa_type=String(200))
    dedupe_key: str | None = Field(default=None, sa_type=String(300))
    payload: str = Field(sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class OutboxDelivery(StoreModel, table=True):
    """One shared consumer's hold on one event: claimed until ``lease_until`` by ``owner``,
    then acknowledged (``acked_at``), or failed and due again from ``lease_until``, or parked
    after too many attempts (``parked_at``)."""

    __tablename__ = "outbox_deliveries"

    consumer: str = Field(primary_key=True, sa_type=String(100))
    event_id: int = Field(primary_key=True, foreign_key="outbox_events.id")
    owner: str = Field(sa_type=String(200))
    lease_until: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 1
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    parked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)


class SinkReceiptRecord(StoreModel, table=True):
    """The last value a sink delivered per ``(sink, kr_id, key)`` and the tool's id for it."""

    __tablename__ = "sink_receipts"

    sink: str = Field(primary_key=True, sa_type=String(100))
    kr_id: str = Field(primary_key=True, sa_type=String(100))
    key: str = Field(primary_key=True, sa_type=String(200))
    remote_id: str | None = Field(default=None, sa_type=Text)
    value: float
    window_end: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime = Field(sa_type=UTCDateTime)


class ParkedSinkRecord(StoreModel, table=True):
    """A sink parked after its credentials were refused; its events wait until it is
    unparked."""

    __tablename__ = "parked_sinks"

    sink: str = Field(primary_key=True, sa_type=String(100))
    reason: str = Field(sa_type=Text)
    parked_at: datetime = Field(sa_type=UTCDateTime)


class OutboxCursor(StoreModel, table=True):
    """A shared consumer's low-water mark: every event up to ``position`` is acknowledged by
    it, so its delivery rows up to there are gone and claims start after it."""

    __tablename__ = "outbox_cursors"

    consumer: str = Field(primary_key=True, sa_type=String(100))
    position: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
