"""Deterministic Salesforce records (Account, Opportunity, Lead, Case) generated from a seed.

The records span 2025-06-01 … 2026-12-31 and tell the demo's CRM stories over 2026-Q4:
newcomer revenue grows by more than a quarter (ahead), the newcomer win rate and revenue per
existing customer creep up (behind), more leads convert, and the open-case backlog shrinks as
cases close faster.
Tests compute their expectations from these rows with plain Python.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.salesforce.soql import FieldType

FIRST_DAY = date(2025, 6, 1)
LAST_DAY = date(2026, 12, 31)
Q4_START = date(2026, 10, 1)

SCHEMA: dict[str, dict[str, FieldType]] = {
    "Account": {
        "Id": "id",
        "Name": "string",
        "Type": "picklist",
        "Industry": "picklist",
        "Segment__c": "picklist",
        "CreatedDate": "datetime",
        "CustomerSince__c": "date",
        "ChurnDate__c": "date",
    },
    "Opportunity": {
        "Id": "id",
        "Name": "string",
        "AccountId": "id",
        "Amount": "currency",
        "StageName": "picklist",
        "IsClosed": "boolean",
        "IsWon": "boolean",
        "CloseDate": "date",
        "CreatedDate": "datetime",
        "LeadSource": "picklist",
        "Segment__c": "picklist",
    },
    "Lead": {
        "Id": "id",
        "Company": "string",
        "Status": "picklist",
        "LeadSource": "picklist",
        "IsConverted": "boolean",
        "ConvertedDate": "date",
        "CreatedDate": "datetime",
    },
    "Case": {
        "Id": "id",
        "Subject": "string",
        "Status": "picklist",
        "Origin": "picklist",
        "Priority": "picklist",
        "Type": "picklist",
        "IsClosed": "boolean",
        "CreatedDate": "datetime",
        "ClosedDate": "datetime",
    },
}

_PREFIX = {"Account": "001", "Opportunity": "006", "Lead": "00Q", "Case": "500"}
_INDUSTRIES = ["Healthcare", "Insurance", "Education", "Technology", "Retail", "Hospitality"]
_SOURCES = ["Web", "Partner Referral", "Phone Inquiry", "Trade Show"]
_CASE_TYPES = ["Onboarding", "Billing", "Booking", "Technical"]


def record_id(sobject: str, number: int) -> str:
    """An 18-character Salesforce-style id with the object's key prefix."""
    return f"{_PREFIX[sobject]}Kd0{number:09d}AAA"


def _q4_progress(day: date) -> float:
    """0 before 2026-Q4, rising linearly to 1 on its last day."""
    if day < Q4_START:
        return 0.0
    return min(1.0, (day - Q4_START).days / (LAST_DAY - Q4_START).days)


class _Diffusion:
    """Turns a rate into a yes/no sequence whose running share follows the rate closely."""

    def __init__(self) -> None:
        self.carry = 0.0

    def step(self, rate: float) -> bool:
        self.carry += rate
        if self.carry >= 1.0:
            self.carry -= 1.0
            return True
        return False


def _count(rng: random.Random, rate: float) -> int:
    whole = int(rate)
    return whole + (1 if rng.random() < rate - whole else 0)


def _moment(rng: random.Random, day: date) -> datetime:
    seconds = rng.randrange(0, 24 * 3600)
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(seconds=seconds)


def generate(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Every record of every object, deterministic for ``seed``."""
    rng = random.Random(seed)
    accounts: list[dict[str, Any]] = []
    opportunities: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []

    for number in range(1, 301):
        created = _moment(rng, FIRST_DAY - timedelta(days=rng.randrange(30, 900)))
        churn = None
        if rng.random() < 0.12:
            churn = FIRST_DAY + timedelta(days=rng.randrange(0, (LAST_DAY - FIRST_DAY).days))
        accounts.append(
            {
                "Id": record_id("Account", number),
                "Name": f"Existing Customer {number}",
                "Type": "Customer",
                "Industry": rng.choice(_INDUSTRIES),
                "Segment__c": "Existing",
                "CreatedDate": created,
                "CustomerSince__c": created.date(),
                "ChurnDate__c": churn,
            }
        )
    existing = [account["Id"] for account in accounts]

    # Wins follow the win rate through error diffusion rather than coin flips, so a 28-day
    # window shows the trend instead of binomial noise.
    newcomer_wins = _Diffusion()
    existing_wins = _Diffusion()
    day = FIRST_DAY
    while day <= LAST_DAY:
        progress = _q4_progress(day)
        win_rate = 0.26 + 0.06 * progress
        for _ in range(_count(rng, 6.0 * (1 + 0.12 * progress))):  # newcomer deals
            created = _moment(rng, day)
            account_id = record_id("Account", len(accounts) + 1)
            close = day + timedelta(days=rng.randrange(3, 21))
            won = newcomer_wins.step(win_rate)
            accounts.append(
                {
                    "Id": account_id,
                    "Name": f"Newcomer {len(accounts) + 1}",
                    "Type": "Customer" if won and close <= LAST_DAY else "Prospect",
                    "Industry": rng.choice(_INDUSTRIES),
                    "Segment__c": "Newcomer",
                    "CreatedDate": created,
                    "CustomerSince__c": close if won and close <= LAST_DAY else None,
                    "ChurnDate__c": None,
                }
            )
            amount = round(rng.uniform(1600, 2400), 2)
            number = len(opportunities) + 1
            opportunities.append(
                _opportunity(rng, number, account_id, "Newcomer", created, close, won, amount)
            )
        for _ in range(_count(rng, 4.0)):  # existing-customer deals
            created = _moment(rng, day)
            close = day + timedelta(days=rng.randrange(5, 40))
            won = existing_wins.step(0.45)
            amount = round(rng.uniform(600, 1400) * (1 + 0.10 * _q4_progress(close)), 2)
            number, account_id = len(opportunities) + 1, rng.choice(existing)
            opportunities.append(
                _opportunity(rng, number, account_id, "Existing", created, close, won, amount)
            )
        for _ in range(_count(rng, 9.0)):
            created = _moment(rng, day)
            converted = rng.random() < 0.18 + 0.06 * progress
            converted_on = day + timedelta(days=rng.randrange(1, 15)) if converted else None
            if converted_on is not None and converted_on > LAST_DAY:
                converted_on = None
            leads.append(
                {
                    "Id": record_id("Lead", len(leads) + 1),
                    "Company": f"Lead Company {len(leads) + 1}",
                    "Status": "Closed - Converted" if converted_on else "Working - Contacted",
                    "LeadSource": rng.choice(_SOURCES),
                    "IsConverted": converted_on is not None,
                    "ConvertedDate": converted_on,
                    "CreatedDate": created,
                }
            )
        for _ in range(_count(rng, 14.0)):
            created = _moment(rng, day)
            mean_hours = 30.0 - 14.0 * progress
            closed = created + timedelta(hours=rng.expovariate(1 / mean_hours))
            is_closed = closed.date() <= LAST_DAY
            cases.append(
                {
                    "Id": record_id("Case", len(cases) + 1),
                    "Subject": f"Case {len(cases) + 1}",
                    "Status": "Closed" if is_closed else "Working",
                    "Origin": rng.choice(["Web", "Email", "Phone"]),
                    "Priority": rng.choice(["Low", "Medium", "Medium", "High"]),
                    "Type": rng.choice(_CASE_TYPES),
                    "IsClosed": is_closed,
                    "CreatedDate": created,
                    "ClosedDate": closed if is_closed else None,
                }
            )
        day += timedelta(days=1)
    return {"Account": accounts, "Opportunity": opportunities, "Lead": leads, "Case": cases}


def _opportunity(
    rng: random.Random,
    number: int,
    account_id: str,
    segment: str,
    created: datetime,
    close: date,
    won: bool,
    amount: float,
) -> dict[str, Any]:
    closed = close <= LAST_DAY
    stage = ("Closed Won" if won else "Closed Lost") if closed else "Proposal/Price Quote"
    return {
        "Id": record_id("Opportunity", number),
        "Name": f"{segment} deal {number}",
        "AccountId": account_id,
        "Amount": amount,
        "StageName": stage,
        "IsClosed": closed,
        "IsWon": closed and won,
        "CloseDate": close,
        "CreatedDate": created,
        "LeadSource": rng.choice(_SOURCES),
        "Segment__c": segment,
    }
