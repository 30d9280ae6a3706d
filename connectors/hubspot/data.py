"""Deterministic CRM records for the HubSpot sandbox, generated from a seed.

The records tell the demo's sales and customer stories over the 2026-Q4 cycle (data from
2025-06-01 to 2026-12-31, local days in Europe/Zurich):

- newcomer revenue grows during Q4 (won deals of the ``newcomer`` segment), but slower than the
  +25 % the KR asks for;
- the win rate (won / closed deals) climbs from about 28 % to about 36 %;
- new customers (companies entering the ``customer`` stage) rise in Q4, churn falls.

Every property value is a string (or ``None`` when unset), as HubSpot's v3 API returns them:
numbers as decimal strings, datetimes as ISO 8601 in UTC with milliseconds.
Tests compute expected values from these raw records with plain Python.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PropertyType = Literal["string", "number", "datetime", "date", "enumeration", "bool"]

ZURICH = ZoneInfo("Europe/Zurich")
DATA_START = date(2025, 6, 1)
DATA_END = date(2026, 12, 31)  # inclusive
CYCLE_START = date(2026, 10, 1)

OBJECT_TYPES = ("deals", "contacts", "companies", "tickets")

PROPERTY_TYPES: dict[str, dict[str, PropertyType]] = {
    "deals": {
        "dealname": "string",
        "amount": "number",
        "closedate": "datetime",
        "pipeline": "enumeration",
        "dealstage": "enumeration",
        "deal_segment": "enumeration",
        "hs_is_closed_won": "bool",
        "hs_is_closed": "bool",
    },
    "contacts": {
        "firstname": "string",
        "lastname": "string",
        "email": "string",
        "lifecyclestage": "enumeration",
        "patient_segment": "enumeration",
        "hs_analytics_num_page_views": "number",
    },
    "companies": {
        "name": "string",
        "domain": "string",
        "lifecyclestage": "enumeration",
        "annualrevenue": "number",
        "hs_v2_date_entered_customer": "datetime",
        "churn_date": "datetime",
        "customer_status": "enumeration",
    },
    "tickets": {
        "subject": "string",
        "content": "string",
        "hs_pipeline": "enumeration",
        "hs_pipeline_stage": "enumeration",
        "hs_ticket_priority": "enumeration",
        "hs_ticket_category": "enumeration",
        "closed_date": "datetime",
    },
}
COMMON_PROPERTIES: dict[str, PropertyType] = {
    "hs_object_id": "number",
    "createdate": "datetime",
    "hs_lastmodifieddate": "datetime",
}


def property_type(object_type: str, name: str) -> PropertyType | None:
    """The type of ``name`` on ``object_type``, or None when the property does not exist."""
    return COMMON_PROPERTIES.get(name) or PROPERTY_TYPES[object_type].get(name)


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    display_order: int
    metadata: dict[str, str]


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    stages: tuple[Stage, ...]


def _deal_stage(sid: str, label: str, order: int, probability: str) -> Stage:
    closed = "true" if probability in ("0.0", "1.0") else "false"
    return Stage(sid, label, order, {"isClosed": closed, "probability": probability})


PIPELINES: dict[str, tuple[Pipeline, ...]] = {
    "deals": (
        Pipeline(
            "default",
            "Sales Pipeline",
            0,
            (
                _deal_stage("appointmentscheduled", "Appointment Scheduled", 0, "0.2"),
                _deal_stage("qualifiedtobuy", "Qualified To Buy", 1, "0.4"),
                _deal_stage("contractsent", "Contract Sent", 2, "0.8"),
                _deal_stage("closedwon", "Closed Won", 3, "1.0"),
                _deal_stage("closedlost", "Closed Lost", 4, "0.0"),
            ),
        ),
        Pipeline(
            "partnerships",
            "Partnerships",
            1,
            (
                _deal_stage("partner-intro", "Introduction", 0, "0.3"),
                _deal_stage("partner-won", "Closed Won", 1, "1.0"),
                _deal_stage("partner-lost", "Closed Lost", 2, "0.0"),
            ),
        ),
    ),
    "tickets": (
        Pipeline(
            "0",
            "Support Pipeline",
            0,
            (
                Stage("1", "New", 0, {"ticketState": "OPEN"}),
                Stage("2", "Waiting on contact", 1, {"ticketState": "OPEN"}),
                Stage("3", "Waiting on us", 2, {"ticketState": "OPEN"}),
                Stage("4", "Closed", 3, {"ticketState": "CLOSED"}),
            ),
        ),
    ),
}


@dataclass
class CrmRecord:
    """One CRM object as the API serves it: id, string properties, timestamps."""

    id: str
    created_at: datetime
    updated_at: datetime
    properties: dict[str, str | None] = field(default_factory=dict)


def iso(moment: datetime) -> str:
    """HubSpot's datetime string: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """The instant of a HubSpot datetime string."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _days() -> list[date]:
    return [DATA_START + timedelta(days=n) for n in range((DATA_END - DATA_START).days + 1)]


def _moment(rng: random.Random, day: date) -> datetime:
    """A random instant during the working hours of ``day`` in Zurich, ms precision."""
    local = datetime(day.year, day.month, day.day, 8, tzinfo=ZURICH)
    seconds = rng.randrange(0, 10 * 3600 * 1000) / 1000
    return (local + timedelta(seconds=seconds)).astimezone(UTC)


def _cycle_progress(day: date) -> float:
    """0 before the cycle, rising linearly to 1 at its end."""
    if day < CYCLE_START:
        return 0.0
    return min(1.0, (day - CYCLE_START).days / 91)


def _count(rng: random.Random, rate: float) -> int:
    """A small random count with mean ``rate`` (sum of Bernoulli draws)."""
    whole = int(rate * 2)
    return sum(1 for _ in range(whole) if rng.random() < rate / whole) if whole else 0


class _Ids:
    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> str:
        self.next += 1
        return str(self.next)


def _record(ids: _Ids, created: datetime, updated: datetime, **props: str | None) -> CrmRecord:
    rid = ids.take()
    properties: dict[str, str | None] = {
        "hs_object_id": rid,
        "createdate": iso(created),
        "hs_lastmodifieddate": iso(updated),
        **props,
    }
    return CrmRecord(rid, created, updated, properties)


def _deals(rng: random.Random, ids: _Ids) -> list[CrmRecord]:
    out: list[CrmRecord] = []
    for day in _days():
        progress = _cycle_progress(day)
        for segment, rate in (("newcomer", 2.2 * (1 + 0.3 * progress)), ("existing", 2.8)):
            for _ in range(_count(rng, rate)):
                created = _moment(rng, day)
                close = created + timedelta(days=rng.randint(3, 45), minutes=rng.randint(0, 600))
                partner = rng.random() < 0.1
                pipeline = PIPELINES["deals"][1 if partner else 0]
                open_stages = [s for s in pipeline.stages if s.metadata["isClosed"] == "false"]
                won_stage = next(s for s in pipeline.stages if s.metadata["probability"] == "1.0")
                lost_stage = next(s for s in pipeline.stages if s.metadata["probability"] == "0.0")
                win_rate = 0.28 + 0.08 * _cycle_progress(close.astimezone(ZURICH).date())
                if close.astimezone(ZURICH).date() > DATA_END:
                    stage, won, closed = rng.choice(open_stages), False, False
                elif rng.random() < win_rate:
                    stage, won, closed = won_stage, True, True
                else:
                    stage, won, closed = lost_stage, False, True
                base = 1400 if segment == "newcomer" else 2300
                amount = round(base * rng.uniform(0.4, 1.8), 2)
                # A few deals never got an amount: sums and averages must skip them.
                shown_amount = (
                    None if rng.random() < 0.03 else f"{amount:.2f}".rstrip("0").rstrip(".")
                )
                out.append(
                    _record(
                        ids,
                        created,
                        min(close, datetime(2026, 12, 31, 22, tzinfo=UTC)),
                        dealname=f"Deal {ids.next + 1}",
                        amount=shown_amount,
                        closedate=iso(close),
                        pipeline=pipeline.id,
                        dealstage=stage.id,
                        deal_segment=segment,
                        hs_is_closed_won="true" if won else "false",
                        hs_is_closed="true" if closed else "false",
                    )
                )
    return out


def _companies(rng: random.Random, ids: _Ids) -> list[CrmRecord]:
    out: list[CrmRecord] = []
    horizon = datetime(2027, 1, 1, tzinfo=ZURICH)
    for day in _days():
        for _ in range(_count(rng, 1.5)):
            created = _moment(rng, day)
            entered: datetime | None = None
            churned: datetime | None = None
            boost = 0.12 * _cycle_progress(day)
            if rng.random() < 0.4 + boost:
                entered = created + timedelta(days=rng.randint(5, 60), hours=rng.randint(0, 9))
                if entered >= horizon:
                    entered = None
            if entered is not None:
                months = (horizon - entered).days / 30
                churn_rate = 0.035 - 0.015 * _cycle_progress(entered.astimezone(ZURICH).date())
                if rng.random() < churn_rate * months:
                    churned = entered + timedelta(days=rng.randint(20, max(21, int(months * 30))))
                    if churned >= horizon:
                        churned = None
            stage = "customer" if entered else rng.choice(["lead", "marketingqualifiedlead"])
            out.append(
                _record(
                    ids,
                    created,
                    churned or entered or created,
                    name=f"Company {ids.next + 1}",
                    domain=f"company{ids.next + 1}.example",
                    lifecyclestage=stage,
                    annualrevenue=str(rng.randrange(50, 5000) * 1000),
                    hs_v2_date_entered_customer=iso(entered) if entered else None,
                    churn_date=iso(churned) if churned else None,
                    customer_status=("churned" if churned else "active") if entered else None,
                )
            )
    return out


def _contacts(
    rng: random.Random, ids: _Ids, bulk: int, bulk_start: datetime, bulk_span: timedelta
) -> list[CrmRecord]:
    out: list[CrmRecord] = []
    for day in _days():
        for _ in range(_count(rng, 3.0)):
            created = _moment(rng, day)
            segment = "newcomer" if rng.random() < 0.45 else "resident"
            views = None if rng.random() < 0.05 else str(rng.randint(0, 40))
            out.append(
                _record(
                    ids,
                    created,
                    created,
                    firstname=rng.choice(["Ana", "Luca", "Mia", "Noah", "Emma", "Leon"]),
                    lastname=rng.choice(["Meier", "Keller", "Rossi", "Silva", "Nowak"]),
                    email=f"person{ids.next + 1}@mail.example",
                    lifecyclestage=rng.choice(["subscriber", "lead", "customer"]),
                    patient_segment=segment,
                    hs_analytics_num_page_views=views,
                )
            )
    span_ms = int(bulk_span.total_seconds() * 1000)
    for n in range(bulk):
        created = bulk_start + timedelta(milliseconds=(n * span_ms) // bulk if bulk else 0)
        out.append(
            _record(
                ids,
                created,
                created,
                firstname="Imported",
                lastname=f"Contact {n}",
                email=f"import{n}@list.example",
                lifecyclestage="subscriber",
                patient_segment="imported",
                hs_analytics_num_page_views=str(n % 7),
            )
        )
    return out


def _tickets(rng: random.Random, ids: _Ids) -> list[CrmRecord]:
    out: list[CrmRecord] = []
    stages = PIPELINES["tickets"][0].stages
    for day in _days():
        for _ in range(_count(rng, 4.0)):
            created = _moment(rng, day)
            closed = created + timedelta(hours=rng.randint(1, 240))
            still_open = closed.astimezone(ZURICH).date() > DATA_END or rng.random() < 0.04
            stage = rng.choice(stages[:3]) if still_open else stages[3]
            out.append(
                _record(
                    ids,
                    created,
                    created if still_open else closed,
                    subject=rng.choice(["Cannot book doctor", "Invoice question", "App login"]),
                    content="Customer request",
                    hs_pipeline="0",
                    hs_pipeline_stage=stage.id,
                    hs_ticket_priority=rng.choice(["LOW", "MEDIUM", "HIGH"]),
                    hs_ticket_category=rng.choice(["PRODUCT_ISSUE", "BILLING_ISSUE", None]),
                    closed_date=None if still_open else iso(closed),
                )
            )
    return out


def generate(
    seed: int = 20261001,
    *,
    bulk_contacts: int = 0,
    bulk_start: datetime = datetime(2026, 10, 1, tzinfo=UTC),
    bulk_span: timedelta = timedelta(days=20),
) -> dict[str, list[CrmRecord]]:
    """Every object type's records for ``seed``; the same seed always gives the same records.

    ``bulk_contacts`` adds that many imported contacts (``patient_segment: imported``) created
    evenly over ``bulk_span`` from ``bulk_start``: enough of them exceed the 10,000-result
    search cap; a zero span puts them all at one instant.
    """
    rng = random.Random(seed)
    return {
        "deals": _deals(rng, _Ids(10_000_000)),
        "contacts": _contacts(rng, _Ids(20_000_000), bulk_contacts, bulk_start, bulk_span),
        "companies": _companies(rng, _Ids(30_000_000)),
        "tickets": _tickets(rng, _Ids(40_000_000)),
    }
