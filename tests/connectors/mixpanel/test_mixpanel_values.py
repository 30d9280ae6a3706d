"""Values through the sandbox, each expected value recomputed from the raw seeded events."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.mixpanel import MixpanelQuery
from connectors.mixpanel.data import ACTIVATED, APP_OPENED, DOCTOR_BOOKED, SIGNED_UP
from connectors.mixpanel.sandbox import MixpanelSandbox
from syncd.abc import MetricRequest, Observation, RequestFailed, Window
from syncd.config import load_config
from syncd.errors import QueryError
from syncd.evaluate import DayRule
from syncd.store import Store
from syncd.sync import Syncer
from tests.connectors.mixpanel.conftest import (
    NOW,
    PROJECT_ZONE,
    RAW_EVENTS,
    SECRET,
    USER,
    ZURICH,
    connector_for,
    happened,
)

OCTOBER = Window(
    datetime(2026, 10, 1, tzinfo=PROJECT_ZONE), datetime(2026, 11, 1, tzinfo=PROJECT_ZONE)
)
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)


def ask(sandbox: MixpanelSandbox, query: MixpanelQuery, window: Window = OCTOBER) -> Any:
    request = MetricRequest("product", query, window, DayRule(PROJECT_ZONE).span(window))
    with connector_for(sandbox) as connector:
        (result,) = connector.collect([request])
    return result


def value(sandbox: MixpanelSandbox, query: MixpanelQuery, window: Window = OCTOBER) -> float:
    result = ask(sandbox, query, window)
    assert isinstance(result, Observation), result
    return result.value


def test_total_counts_every_occurrence_on_the_projects_days(
    mixpanel_sandbox: MixpanelSandbox,
) -> None:
    expected = len(happened(SIGNED_UP, FIRST, LAST))
    assert expected > 300
    assert value(mixpanel_sandbox, MixpanelQuery(event=SIGNED_UP)) == expected


def test_unique_counts_each_user_once_across_all_days(mixpanel_sandbox: MixpanelSandbox) -> None:
    events = happened(APP_OPENED, FIRST, LAST)
    expected = len({e.distinct_id for e in events})
    daily = Counter((e.time.astimezone(PROJECT_ZONE).date(), e.distinct_id) for e in events)
    sum_of_daily_uniques = len(daily)
    assert expected < sum_of_daily_uniques  # users come back: a sum of days would overcount
    assert value(mixpanel_sandbox, MixpanelQuery(measure="unique", event=APP_OPENED)) == expected
    (asked,) = [r for r in mixpanel_sandbox.requests if r.params.get("type") == "unique"][-1:]
    assert asked.params["interval"] == "31" and "unit" not in asked.params


def test_sum_adds_the_property_exactly(mixpanel_sandbox: MixpanelSandbox) -> None:
    fees = [e.properties["fee"] for e in happened(DOCTOR_BOOKED, FIRST, LAST)]
    expected = sum(float(fee) for fee in fees)  # multiples of 1/8: exact in binary
    query = MixpanelQuery(measure="sum", event=DOCTOR_BOOKED, property="fee")
    assert value(mixpanel_sandbox, query) == expected > 10_000


def test_where_filters_on_a_property(mixpanel_sandbox: MixpanelSandbox) -> None:
    expected = len(happened(SIGNED_UP, FIRST, LAST, platform="ios"))
    query = MixpanelQuery(event=SIGNED_UP, where='properties["platform"] == "ios"')
    assert 0 < value(mixpanel_sandbox, query) == expected < len(happened(SIGNED_UP, FIRST, LAST))


def test_days_are_the_projects_not_the_configs(mixpanel_sandbox: MixpanelSandbox) -> None:
    # 1 Oct in Los Angeles runs from 09:00 on 1 Oct to 09:00 on 2 Oct in Zurich.
    one_day = Window(
        datetime(2026, 10, 1, tzinfo=PROJECT_ZONE), datetime(2026, 10, 2, tzinfo=PROJECT_ZONE)
    )
    in_la = len(happened(SIGNED_UP, FIRST, FIRST))
    in_zurich = sum(
        e.name == SIGNED_UP and e.time.astimezone(ZURICH).date() == FIRST for e in RAW_EVENTS
    )
    assert in_la != in_zurich
    assert value(mixpanel_sandbox, MixpanelQuery(event=SIGNED_UP), one_day) == in_la
    (asked,) = mixpanel_sandbox.requests[-1:]
    assert (asked.params["from_date"], asked.params["to_date"]) == ("2026-10-01", "2026-10-01")


def test_the_running_day_counts_what_happened_so_far(mixpanel_sandbox: MixpanelSandbox) -> None:
    today = NOW.astimezone(PROJECT_ZONE).date()
    window = Window(datetime(2026, 11, 20, tzinfo=PROJECT_ZONE), NOW)
    request = MetricRequest(
        "product",
        MixpanelQuery(event=APP_OPENED),
        window,
        DayRule(PROJECT_ZONE, running_day=True).span(window),
    )
    with connector_for(mixpanel_sandbox) as connector:
        (result,) = connector.collect([request])
    expected = len(happened(APP_OPENED, date(2026, 11, 20), today))
    assert isinstance(result, Observation) and result.value == expected


def test_report_sums_its_series_over_its_own_range(mixpanel_sandbox: MixpanelSandbox) -> None:
    today = NOW.astimezone(PROJECT_ZONE).date()
    expected = len(happened(DOCTOR_BOOKED, today - timedelta(days=29), today))
    assert value(mixpanel_sandbox, MixpanelQuery(measure="report", bookmark_id=4101)) == expected
    two = MixpanelQuery(measure="report", bookmark_id=4102, series=ACTIVATED)
    assert value(mixpanel_sandbox, two) == len(
        happened(ACTIVATED, today - timedelta(days=13), today)
    )


def test_report_with_several_series_needs_one_named(mixpanel_sandbox: MixpanelSandbox) -> None:
    result = ask(mixpanel_sandbox, MixpanelQuery(measure="report", bookmark_id=4102))
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert "'Activated', 'Signed up'" in str(result.error) and "series:" in str(result.error)
    missing = ask(mixpanel_sandbox, MixpanelQuery(measure="report", bookmark_id=4102, series="x"))
    assert isinstance(missing, RequestFailed) and "no series 'x'" in str(missing.error)


def test_a_snapshot_has_no_days_to_count(mixpanel_sandbox: MixpanelSandbox) -> None:
    snapshot = Window(NOW, NOW)
    result = ask(mixpanel_sandbox, MixpanelQuery(event=SIGNED_UP), snapshot)
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert "America/Los_Angeles" in str(result.error)


ACTIVATION = f"""
timezone: Europe/Zurich
store: sqlite:///{{tmp}}/unused.db
sources:
  product:
    type: mixpanel
    project_id: 2195193
    url: "%(url)s"
    username: {USER}
    secret: "${{env:MIXPANEL_SECRET}}"
    timezone: America/Los_Angeles
cycles:
  q4: {{start: 2026-10-01, end: 2026-12-31}}
metrics:
  signups: {{source: product, query: {{measure: unique, event: Signed up}}}}
  activated: {{source: product, query: {{measure: unique, event: Activated}}}}
  activation_7d:
    ratio: {{numerator: activated, denominator: signups}}
    window: trailing_7d
objectives:
  - id: activation
    title: Newcomers get going
    team: growth
    cycle: q4
    key_results:
      - {{id: activation, title: Activation, metric: activation_7d, focus: user,
         baseline: 0.35, target: 0.55, schedule: hourly}}
"""


def test_a_sync_reads_both_operands_over_the_projects_complete_days(
    fresh_sandbox: MixpanelSandbox, tmp_path: Path
) -> None:
    path = tmp_path / "syncd.yaml"
    path.write_text(ACTIVATION.replace("{tmp}", str(tmp_path)) % {"url": fresh_sandbox.url})
    loaded = load_config(path, environ={"MIXPANEL_SECRET": SECRET})
    as_of = datetime(2026, 11, 21, 14, 30, tzinfo=ZURICH)  # slot 14:00 = 05:00 in Los Angeles

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        report = Syncer(loaded).run(store, as_of)
        (stored,) = store.measurements("activation")

    # trailing_7d ends at 05:00 on 21 Nov in Los Angeles: the project's complete days are
    # 14–20 Nov, for both operands, in one bucket each.
    first, last = date(2026, 11, 14), date(2026, 11, 20)
    asked = fresh_sandbox.requests_to("/api/query/segmentation")
    assert sorted(r.params["event"] for r in asked) == [ACTIVATED, SIGNED_UP]
    for request in asked:
        assert (request.params["from_date"], request.params["to_date"]) == (
            first.isoformat(),
            last.isoformat(),
        )
        assert request.params["interval"] == "7"
    activated = len({e.distinct_id for e in happened(ACTIVATED, first, last)})
    signed_up = len({e.distinct_id for e in happened(SIGNED_UP, first, last)})
    (result,) = report.results
    assert result.evaluated.value == pytest.approx(activated / signed_up)
    assert stored.value == pytest.approx(activated / signed_up)
