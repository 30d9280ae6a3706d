"""A hand-made cycle for the review tests: config and measurements whose numbers are known.

Timezone UTC, cycle 2026-Q4 = [2026-10-01, 2027-01-01). Every value is collected on
2026-12-31 12:00 (a backfill), so nothing is stale when the review is read after the cycle.

committed
  checkout (web): conv 2 % → 4 % at 3.5 (att 0.75); wait 10 → 5 min at 4 (att 1.2, score 1.0)
                  objective score (0.75 + 1.0) / 2 = 0.875
  support (support): backlog ≤ 100, weight 3, points 80 120 90 95 (3 of 4 in band: 0.75);
                  csat 70 → 90 at 80 (0.5); objective score (0.75·3 + 0.5) / 4 = 0.6875
  section score (0.875 + 0.6875) / 2 = 0.78125; 1 of 4 KRs at 1.0
aspirational
  moon (growth): signups 100 → 200 at 170 (0.7); revenue CHF 1000 → 2000 at 2100 (score 1.0);
                 nothing 0 → 10 unmeasured; objective score (0.7 + 1.0) / 2 = 0.85
  1 of 3 KRs at 1.0: not too safe
initiatives
  promo (2026-11-01, signups by 50): signups 100, 110, 120 on Oct 12, 22, Nov 1 (before:
      1.0/day), 140, 160, 170 on Nov 11, 21, Dec 1 (after: slope 300/200 = 1.5/day);
      change 170 − 120 = 50, 100 % of expected, 0.5 of the KR's range
  quiet (2026-10-15, nothing): no data, every number None
  later (2027-01-10): moves a 2027-Q1 KR only, so not in the 2026-Q4 review
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from syncd.config import LoadedConfig
from syncd.config.models import Config
from syncd.store import MeasurementIn, Store

COLLECTED = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
AFTER_CYCLE = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def loaded(config: Config) -> LoadedConfig:
    return LoadedConfig(config=config, files=(), warnings=(), secrets=frozenset())


def review_config() -> Config:
    return Config.model_validate(
        {
            "timezone": "UTC",
            "cycles": {
                "2026-Q4": {"start": date(2026, 10, 1), "end": date(2026, 12, 31)},
                "2027-Q1": {"start": date(2027, 1, 1), "end": date(2027, 3, 31)},
            },
            "objectives": [
                {
                    "id": "checkout",
                    "title": "Checkout < 2 clicks & fast",
                    "team": "web",
                    "cycle": "2026-Q4",
                    "key_results": [
                        {
                            "id": "conv",
                            "title": "Conversion | rate",
                            "focus": "business",
                            "unit": "%",
                            "baseline": 2.0,
                            "target": 4.0,
                        },
                        {
                            "id": "wait",
                            "title": "Wait time",
                            "focus": "user",
                            "unit": "minutes",
                            "baseline": 10,
                            "target": 5,
                        },
                    ],
                },
                {
                    "id": "support",
                    "title": "Help fast",
                    "team": "support",
                    "cycle": "2026-Q4",
                    "key_results": [
                        {
                            "id": "backlog",
                            "title": "Backlog under 100",
                            "focus": "business",
                            "maintain": {"at_most": 100},
                            "weight": 3,
                        },
                        {
                            "id": "csat",
                            "title": "CSAT",
                            "focus": "user",
                            "baseline": 70,
                            "target": 90,
                        },
                    ],
                },
                {
                    "id": "moon",
                    "title": "Grow like mad",
                    "team": "growth",
                    "cycle": "2026-Q4",
                    "commitment": "aspirational",
                    "key_results": [
                        {
                            "id": "signups",
                            "title": "Signups",
                            "focus": "user",
                            "baseline": 100,
                            "target": 200,
                        },
                        {
                            "id": "revenue",
                            "title": "Revenue",
                            "focus": "business",
                            "unit": "CHF",
                            "baseline": 1000,
                            "target": 2000,
                        },
                        {
                            "id": "nothing",
                            "title": "Unmeasured",
                            "focus": "user",
                            "baseline": 0,
                            "target": 10,
                        },
                    ],
                },
                {
                    "id": "next",
                    "title": "Next quarter",
                    "team": "growth",
                    "cycle": "2027-Q1",
                    "key_results": [
                        {
                            "id": "q1-kr",
                            "title": "Q1 KR",
                            "focus": "user",
                            "baseline": 0,
                            "target": 1,
                        },
                    ],
                },
            ],
            "initiatives": [
                {
                    "id": "promo",
                    "title": "Spring promo",
                    "start": date(2026, 11, 1),
                    "team": "growth",
                    "hypothesis": "A promo brings <people>",
                    "moves": [{"key_result": "signups", "by": 50}],
                },
                {
                    "id": "quiet",
                    "title": "Quiet bet",
                    "start": date(2026, 10, 15),
                    "moves": [{"key_result": "nothing"}],
                },
                {
                    "id": "later",
                    "title": "Later bet",
                    "start": date(2027, 1, 10),
                    "moves": [{"key_result": "q1-kr", "by": 0.5}],
                },
            ],
        }
    )


def point(kr: str, value: float, end: datetime) -> MeasurementIn:
    return MeasurementIn(
        key_result_id=kr,
        value=value,
        window_start=at(10, 1),
        window_end=end,
        collected_at=COLLECTED,
        source="test",
        query_fingerprint="fp",
        run_id=None,
    )


REVIEW_MEASUREMENTS = [
    point("conv", 3.0, at(11, 1)),
    point("conv", 3.5, at(12, 1)),
    point("wait", 4.0, at(12, 1)),
    point("backlog", 80, at(10, 10)),
    point("backlog", 120, at(10, 20)),
    point("backlog", 90, at(11, 10)),
    point("backlog", 95, at(12, 10)),
    point("csat", 80, at(12, 1)),
    point("signups", 100, at(10, 12)),
    point("signups", 110, at(10, 22)),
    point("signups", 120, at(11, 1)),
    point("signups", 140, at(11, 11)),
    point("signups", 160, at(11, 21)),
    point("signups", 170, at(12, 1)),
    point("revenue", 2100, at(12, 1)),
]


def filled(store: Store, config: Config, items: list[MeasurementIn]) -> Store:
    store.sync_definitions(config)
    store.record_measurements(items)
    return store
