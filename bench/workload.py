"""A generated OKR config of N key results across GA4, Salesforce, HubSpot, Zendesk and SQL.

Used by ``bench/bench_cycle.py`` (against the vendor sandboxes) and by the scale tests. The mix
is what a company of many teams writes: most KRs read their own filtered metric, some share a
metric with another team, a few are ratios; windows, schedules and aggregates vary. Every query
is one the sandboxes answer, so the values are real. The same ``n`` always gives the same config.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

VENDOR_SHARES: dict[str, float] = {
    "ga4": 0.25,
    "salesforce": 0.20,
    "hubspot": 0.20,
    "zendesk": 0.15,
    "sql": 0.20,
}
"""How the KRs split across sources."""

SOURCE_OF = {"ga4": "web", "salesforce": "sales", "hubspot": "crm", "zendesk": "support"}
SOURCE_OF["sql"] = "warehouse"

WINDOWS = ("trailing_28d", "trailing_7d", "cycle_to_date", "calendar_month", "trailing_90d")
SCHEDULES = ("daily", "daily", "daily", "0 6 * * *", "hourly")
CHANNELS = ("Organic Search", "Direct", "Paid Search", "Referral", "Email", "Organic Social")
DEVICES = ("desktop", "mobile", "tablet")
PAGES = ("/", "/doctors", "/signup", "/blog/")
GA4_METRICS = (
    "sessions",
    "newUsers",
    "totalUsers",
    "engagedSessions",
    "screenPageViews",
    "keyEvents:booking_completed",
    "keyEvents:sign_up",
)


@dataclass(frozen=True)
class Endpoints:
    """Where the sources live: sandbox URLs, the Salesforce CA file, the warehouse file."""

    ga4: str = "http://127.0.0.1:8701"
    salesforce: str = "https://127.0.0.1:8702"
    salesforce_ca: str = "salesforce-ca.pem"
    hubspot: str = "http://127.0.0.1:8703"
    zendesk: str = "http://127.0.0.1:8704"
    warehouse: str = "sample.db"


def sources(endpoints: Endpoints) -> dict[str, Any]:
    """The five sources, each with its vendor's documented limits (syncd's defaults)."""
    return {
        "web": {
            "type": "ga4",
            "property": "123456789",
            "endpoint": endpoints.ga4,
            "auth": {"method": "anonymous"},
        },
        "sales": {
            "type": "salesforce",
            "login_url": endpoints.salesforce,
            "ca_bundle": endpoints.salesforce_ca,
            "auth": {
                "flow": "password",
                "client_id": "syncd-sandbox-app",
                "client_secret": "${env:SF_CLIENT_SECRET:-sandbox-client-secret}",
                "username": "bot@syncd.example",
                "password": "${env:SF_PASSWORD:-sandbox-password}",
                "security_token": "${env:SF_SECURITY_TOKEN:-sandboxtoken}",
            },
        },
        "crm": {
            "type": "hubspot",
            "token": "${env:HUBSPOT_TOKEN:-pat-sandbox-0000-private-app}",
            "endpoint": endpoints.hubspot,
        },
        "support": {
            "type": "zendesk",
            "url": endpoints.zendesk,
            "email": "ops@acme.example",
            "token": "${env:ZENDESK_TOKEN:-sandbox-token}",
            "requests_per_minute": 700,
        },
        "warehouse": {
            "type": "sql",
            "url": f"sqlite:///{endpoints.warehouse}",
            "timestamps": "utc",
        },
    }


def _ga4(rng: random.Random, window: str) -> dict[str, Any]:
    query: dict[str, Any] = {"metric": rng.choice(GA4_METRICS)}
    pick = rng.random()
    if pick < 0.35:
        query["filter"] = {"sessionDefaultChannelGroup": rng.choice(CHANNELS)}
    elif pick < 0.6:
        query["filter"] = {
            "deviceCategory": rng.choice(DEVICES),
            "landingPage": {"begins_with": rng.choice(PAGES)},
        }
    elif pick < 0.75:
        query["filter"] = {
            "sessionDefaultChannelGroup": rng.choice(CHANNELS),
            "deviceCategory": rng.choice(DEVICES),
        }
    return {"source": "web", "query": query, "window": window}


_SF_COUNTS = (
    "SELECT COUNT() FROM Lead WHERE LeadSource = {source} "
    "AND CreatedDate >= {window_start:datetime} AND CreatedDate < {window_end:datetime}",
    "SELECT COUNT() FROM Case WHERE Type = {type} "
    "AND CreatedDate >= {window_start:datetime} AND CreatedDate < {window_end:datetime}",
    "SELECT COUNT() FROM Opportunity WHERE IsWon = true AND LeadSource = {source} "
    "AND CloseDate >= {window_start} AND CloseDate < {window_end}",
)
_SF_SUMS = (
    "SELECT SUM(Amount) FROM Opportunity WHERE IsWon = true AND Segment__c = {segment} "
    "AND CloseDate >= {window_start} AND CloseDate < {window_end}",
    "SELECT AVG(Amount) FROM Opportunity WHERE IsWon = true AND LeadSource = {source} "
    "AND CloseDate >= {window_start} AND CloseDate < {window_end}",
)
_SF_SOURCES = ("Web", "Partner Referral", "Phone Inquiry", "Trade Show")
_SF_CASE_TYPES = ("Onboarding", "Billing", "Booking", "Technical")


def _salesforce(rng: random.Random, window: str) -> dict[str, Any]:
    params = {
        "source": rng.choice(_SF_SOURCES),
        "type": rng.choice(_SF_CASE_TYPES),
        "segment": rng.choice(("Newcomer", "Existing")),
    }
    if rng.random() < 0.6:
        soql = rng.choice(_SF_COUNTS)
        query: dict[str, Any] = {"soql": soql}
    else:
        soql = rng.choice(_SF_SUMS)
        query = {"soql": soql, "if_null": 0}
    used = {name: value for name, value in params.items() if "{" + name + "}" in soql}
    if used:
        query["params"] = used
    return {"source": "sales", "query": query, "window": window}


def _hubspot(rng: random.Random, window: str) -> dict[str, Any]:
    pick = rng.random()
    if pick < 0.45:
        stages = rng.choice((["Closed Won"], ["Closed Won", "Closed Lost"], ["Contract Sent"]))
        query: dict[str, Any] = {
            "object": "deals",
            "date_property": "closedate",
            "pipeline": "Sales Pipeline",
            "stages": stages,
        }
        if rng.random() < 0.5:
            query["filters"] = [
                {"property": "deal_segment", "value": rng.choice(("newcomer", "existing"))}
            ]
    elif pick < 0.6:
        query = {
            "object": "deals",
            "aggregate": "sum",
            "property": "amount",
            "date_property": "closedate",
            "pipeline": "Sales Pipeline",
            "stages": ["Closed Won"],
        }
    elif pick < 0.85:
        query = {
            "object": "companies",
            "date_property": rng.choice(("hs_v2_date_entered_customer", "churn_date")),
        }
    else:
        query = {"object": "contacts", "date_property": "createdate"}
    return {"source": "crm", "query": query, "window": window}


_TAGS = ("onboarding", "billing", "booking", "insurance", "app", "vip")


def _zendesk(rng: random.Random, window: str) -> dict[str, Any]:
    pick = rng.random()
    if pick < 0.45:
        query: dict[str, Any] = {"search": f"type:ticket tags:{rng.choice(_TAGS)}"}
        if rng.random() < 0.3:
            query["by"] = "solved"
    elif pick < 0.55:
        return {
            "source": "support",
            "query": {"measure": "backlog", "search": f"tags:{rng.choice(_TAGS)}"},
            "window": "snapshot",
        }
    elif pick < 0.65:
        query = {"measure": "solved_created_ratio", "search": f"tags:{rng.choice(_TAGS)}"}
    elif pick < 0.8:
        query = {"measure": "csat"}
    elif pick < 0.9:
        query = {"measure": "tickets", "where": {"tags": [rng.choice(_TAGS)]}, "share": True}
    else:
        query = {"measure": "first_reply_time", "stat": rng.choice(("median", "p90"))}
    return {"source": "support", "query": query, "window": window}


_SQL = (
    (
        "SELECT COUNT(*) FROM signups WHERE segment = :segment "
        "AND signed_up_on >= :start_date AND signed_up_on < :end_date",
        {"segment": ("newcomer", "resident")},
    ),
    (
        "SELECT AVG(score) FROM survey_responses WHERE topic = :topic "
        "AND answered_on >= :start_date AND answered_on < :end_date",
        {"topic": ("onboarding", "product")},
    ),
    (
        "SELECT COALESCE(SUM(amount), 0) FROM opportunities WHERE segment = :segment "
        "AND is_won = 1 AND close_date >= :start_date AND close_date < :end_date",
        {"segment": ("Newcomer", "Existing")},
    ),
    (
        "SELECT COUNT(*) FROM tickets WHERE tags LIKE :tag "
        "AND datetime(created_at) >= datetime(:window_start) "
        "AND datetime(created_at) < datetime(:window_end)",
        {"tag": tuple(f"%{tag}%" for tag in _TAGS)},
    ),
)


def _sql(rng: random.Random, window: str) -> dict[str, Any]:
    sql, choices = rng.choice(_SQL)
    params = {name: rng.choice(values) for name, values in choices.items()}
    return {"source": "warehouse", "query": {"sql": sql, "params": params}, "window": window}


_MAKERS = {
    "ga4": _ga4,
    "salesforce": _salesforce,
    "hubspot": _hubspot,
    "zendesk": _zendesk,
    "sql": _sql,
}


def vendors(n: int) -> Iterator[str]:
    """The vendor of each of ``n`` KRs, interleaved, in the shares of ``VENDOR_SHARES``."""
    counts = {vendor: 0 for vendor in VENDOR_SHARES}
    for index in range(n):
        # The vendor furthest behind its share goes next: the mix holds at every prefix.
        vendor = max(VENDOR_SHARES, key=lambda v: VENDOR_SHARES[v] * (index + 1) - counts[v])
        counts[vendor] += 1
        yield vendor


def generate(n: int, endpoints: Endpoints | None = None, *, store: str | None = None) -> dict:
    """A config (as a dict, ready for YAML) with ``n`` KRs, four to an objective."""
    rng = random.Random(20261001 + n)
    metrics: dict[str, Any] = {}
    objectives: list[dict[str, Any]] = []
    kr_list: list[dict[str, Any]] = []
    shared: list[str] = []
    for index, vendor in enumerate(vendors(n)):
        window = rng.choice(WINDOWS)
        if shared and rng.random() < 0.1:
            name = rng.choice(shared)  # another team tracks the same metric
        elif vendor in ("ga4", "hubspot") and rng.random() < 0.1:
            name = f"m{index}"
            numerator, denominator = f"m{index}_num", f"m{index}_den"
            make = _MAKERS[vendor]
            metrics[numerator] = {k: v for k, v in make(rng, window).items() if k != "window"}
            metrics[denominator] = {k: v for k, v in make(rng, window).items() if k != "window"}
            metrics[name] = {
                "ratio": {"numerator": numerator, "denominator": denominator},
                "window": window,
            }
        else:
            name = f"m{index}"
            metrics[name] = _MAKERS[vendor](rng, window)
            shared.append(name)
        kr_list.append(
            {
                "id": f"kr-{index:05d}",
                "title": f"Key result {index} ({vendor})",
                "metric": name,
                "focus": "user" if index % 2 else "business",
                "baseline": 0,
                "target": 1000,
                "schedule": rng.choice(SCHEDULES),
            }
        )
        if len(kr_list) == 4 or index == n - 1:
            number = len(objectives)
            objectives.append(
                {
                    "id": f"objective-{number:05d}",
                    "title": f"Objective {number}",
                    "team": f"team-{number % 40:02d}",
                    "cycle": "2026-Q4",
                    "key_results": kr_list,
                }
            )
            kr_list = []
    config: dict[str, Any] = {
        "timezone": "Europe/Zurich",
        "sources": sources(endpoints or Endpoints()),
        "cycles": {"2026-Q4": {"start": "2026-10-01", "end": "2026-12-31"}},
        "metrics": metrics,
        "objectives": objectives,
    }
    if store is not None:
        config["store"] = store
    return config


ITEMS_PER_FILE = 1_000
"""Metrics or objectives per YAML file: a config of 10,000 KRs stays below syncd's 2 MiB a file."""


def write(config: dict[str, Any], directory: Any) -> Any:
    """Write ``config`` as a directory of YAML files (``syncd -c DIRECTORY`` merges them):
    the settings in one, metrics and objectives ``ITEMS_PER_FILE`` to a file. Returns the
    directory (a ``pathlib.Path``)."""
    from pathlib import Path

    import yaml

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in config.items() if k not in ("metrics", "objectives")}
    (directory / "00-settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    metrics = list(config.get("metrics", {}).items())
    for number, start in enumerate(range(0, len(metrics), ITEMS_PER_FILE)):
        part = dict(metrics[start : start + ITEMS_PER_FILE])
        text = yaml.safe_dump({"metrics": part}, sort_keys=False)
        (directory / f"10-metrics-{number:03d}.yaml").write_text(text)
    objectives = config.get("objectives", [])
    for number, start in enumerate(range(0, len(objectives), ITEMS_PER_FILE)):
        part = objectives[start : start + ITEMS_PER_FILE]
        text = yaml.safe_dump({"objectives": part}, sort_keys=False)
        (directory / f"20-objectives-{number:03d}.yaml").write_text(text)
    return directory
