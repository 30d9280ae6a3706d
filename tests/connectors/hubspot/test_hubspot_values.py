"""Values through the real client against the sandbox, expected values from the raw records."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.hubspot import HubSpotQuery, SearchFilter
from connectors.hubspot.sandbox import HubSpotSandbox
from syncd.abc import DaySpan, MetricRequest, Observation, RequestFailed, Window
from syncd.errors import QueryError
from tests.connectors.hubspot.conftest import ZURICH, MakeHubSpot, instant, request, within

Q4 = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2027, 1, 1, tzinfo=ZURICH))
ALL_DATA = Window(datetime(2025, 6, 1, tzinfo=ZURICH), datetime(2027, 1, 1, tzinfo=ZURICH))
OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))


def value(connector, query: HubSpotQuery, window: Window) -> float:  # type: ignore[no-untyped-def]
    (result,) = connector.collect([MetricRequest("crm", query, window)])
    assert isinstance(result, Observation), result
    return result.value


def failure(connector, query: HubSpotQuery, window: Window) -> QueryError:  # type: ignore[no-untyped-def]
    (result,) = connector.collect([MetricRequest("crm", query, window)])
    assert isinstance(result, RequestFailed), result
    assert isinstance(result.error, QueryError)
    return result.error


def won_sales(sandbox: HubSpotSandbox, window: Window, segment: str | None = None) -> list:  # type: ignore[type-arg]
    return [
        d
        for d in sandbox.records["deals"]
        if d.properties["dealstage"] == "closedwon"
        and within(d, "closedate", window.start, window.end)
        and (segment is None or d.properties["deal_segment"] == segment)
    ]


def test_count_is_one_call_and_matches_the_records(sandbox, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot()
    query = HubSpotQuery(
        object="deals", date_property="closedate", pipeline="Sales Pipeline", stages=("Closed Won",)
    )
    expected = len(won_sales(sandbox, Q4))
    assert expected > 100
    assert value(connector, query, Q4) == expected
    # one pipelines call to resolve the labels, one search
    assert connector.context.stats.calls == 2


def test_sum_avg_min_max_page_200_at_a_time(sandbox, make_hubspot: MakeHubSpot) -> None:
    deals = won_sales(sandbox, ALL_DATA, "newcomer")
    amounts = [float(d.properties["amount"]) for d in deals if d.properties["amount"]]
    assert len(amounts) < len(deals), "some won deals lack an amount: the data must cover it"
    assert len(amounts) > 200
    base = {
        "object": "deals",
        "date_property": "closedate",
        "stages": ("closedwon",),
        "filters": (SearchFilter(property="deal_segment", value="newcomer"),),
        "property": "amount",
    }
    expected = {
        "sum": sum(amounts),
        "avg": sum(amounts) / len(amounts),
        "min": min(amounts),
        "max": max(amounts),
    }
    for aggregate, number in expected.items():
        connector = make_hubspot()
        got = value(connector, HubSpotQuery(**base, aggregate=aggregate), ALL_DATA)
        assert math.isclose(got, number, rel_tol=1e-12), aggregate
        pages = math.ceil(len(amounts) / 200)
        assert connector.context.stats.calls == 1 + pages  # pipelines + pages


def test_window_bounds_are_start_inclusive_end_exclusive(
    sandbox, make_hubspot: MakeHubSpot
) -> None:
    closes = sorted(instant(d, "closedate") for d in sandbox.records["deals"])
    start, end = closes[500], closes[900]
    assert start < end
    expected = sum(1 for moment in closes if start <= moment < end)
    query = HubSpotQuery(object="deals", date_property="closedate")
    assert value(make_hubspot(), query, Window(start, end)) == expected


def test_local_day_across_the_dst_change(sandbox, make_hubspot: MakeHubSpot) -> None:
    # 25 Oct 2026 lasts 25 hours in Zurich: 24 Oct 22:00 UTC to 25 Oct 23:00 UTC.
    day = Window(datetime(2026, 10, 25, tzinfo=ZURICH), datetime(2026, 10, 26, tzinfo=ZURICH))
    assert day.end.astimezone(UTC) - day.start.astimezone(UTC) == timedelta(hours=25)
    expected = sum(
        1
        for t in sandbox.records["tickets"]
        if instant(t, "createdate").astimezone(ZURICH).date().isoformat() == "2026-10-25"
    )
    query = HubSpotQuery(object="tickets", date_property="createdate")
    assert value(make_hubspot(), query, day) == expected


def test_filter_operators_and_alternatives(sandbox, make_hubspot: MakeHubSpot) -> None:
    tickets = [
        t for t in sandbox.records["tickets"] if within(t, "createdate", OCTOBER.start, OCTOBER.end)
    ]
    companies = sandbox.records["companies"]
    cases = [
        (
            HubSpotQuery(
                object="tickets",
                date_property="createdate",
                filters=(SearchFilter(property="hs_ticket_priority", operator="NEQ", value="LOW"),),
            ),
            sum(1 for t in tickets if t.properties["hs_ticket_priority"] != "LOW"),
        ),
        (
            HubSpotQuery(
                object="tickets",
                date_property="createdate",
                filters=(SearchFilter(property="hs_ticket_category", operator="NOT_HAS_PROPERTY"),),
            ),
            sum(1 for t in tickets if t.properties["hs_ticket_category"] is None),
        ),
        (
            HubSpotQuery(
                object="tickets",
                date_property="createdate",
                any_of=(
                    (SearchFilter(property="hs_ticket_priority", value="HIGH"),),
                    (
                        SearchFilter(
                            property="hs_ticket_category", operator="IN", values=("BILLING_ISSUE",)
                        ),
                        SearchFilter(
                            property="hs_ticket_priority", operator="NOT_IN", values=("HIGH",)
                        ),
                    ),
                ),
            ),
            sum(
                1
                for t in tickets
                if t.properties["hs_ticket_priority"] == "HIGH"
                or t.properties["hs_ticket_category"] == "BILLING_ISSUE"
            ),
        ),
        (
            HubSpotQuery(
                object="companies",
                filters=(
                    SearchFilter(
                        property="annualrevenue",
                        operator="BETWEEN",
                        value=1_000_000,
                        high_value=2_000_000,
                    ),
                ),
            ),
            sum(
                1
                for c in companies
                if 1_000_000 <= float(c.properties["annualrevenue"]) <= 2_000_000
            ),
        ),
        (
            HubSpotQuery(
                object="companies",
                filters=(
                    SearchFilter(property="annualrevenue", operator="GT", value=4_000_000),
                    SearchFilter(property="lifecyclestage", operator="EQ", value="customer"),
                ),
            ),
            sum(
                1
                for c in companies
                if float(c.properties["annualrevenue"]) > 4_000_000
                and c.properties["lifecyclestage"] == "customer"
            ),
        ),
        (
            HubSpotQuery(
                object="tickets",
                date_property="createdate",
                filters=(
                    SearchFilter(property="subject", operator="CONTAINS_TOKEN", value="invoice"),
                ),
            ),
            sum(1 for t in tickets if "Invoice" in t.properties["subject"].split()),
        ),
    ]
    connector = make_hubspot()
    for query, expected in cases:
        assert expected > 0
        assert value(connector, query, OCTOBER) == expected, query


def test_snapshot_without_date_property_counts_records_as_they_are(
    sandbox, make_hubspot: MakeHubSpot
) -> None:
    now = datetime(2026, 11, 15, 12, tzinfo=ZURICH)
    query = HubSpotQuery(
        object="tickets", pipeline="Support Pipeline", stages=("New", "Waiting on us")
    )
    expected = sum(
        1 for t in sandbox.records["tickets"] if t.properties["hs_pipeline_stage"] in ("1", "3")
    )
    assert value(make_hubspot(), query, Window(now, now)) == expected


def test_date_only_property_counts_the_planners_days(make_hubspot: MakeHubSpot, sandbox) -> None:
    # A date property holds the date people picked, stored as that date's UTC midnight: a
    # Zurich October is the dates 1–31 October, i.e. 1 Oct to 1 Nov 00:00 UTC.
    query = HubSpotQuery(object="deals", date_property="closedate", date_type="date")
    asked = request(query, OCTOBER)
    assert asked.days == DaySpan(date(2026, 10, 1), date(2026, 11, 1))
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    expected = sum(1 for d in sandbox.records["deals"] if within(d, "closedate", start, end))
    (result,) = make_hubspot().collect([asked])
    assert isinstance(result, Observation) and result.value == expected


def test_date_only_property_reads_request_days_not_the_window(
    make_hubspot: MakeHubSpot, sandbox
) -> None:
    query = HubSpotQuery(object="deals", date_property="closedate", date_type="date")
    fifth = MetricRequest("crm", query, OCTOBER, DaySpan(date(2026, 10, 5), date(2026, 10, 6)))
    start, end = datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 10, 6, tzinfo=UTC)
    expected = sum(1 for d in sandbox.records["deals"] if within(d, "closedate", start, end))
    assert expected > 0
    (result,) = make_hubspot().collect([fifth])
    assert isinstance(result, Observation) and result.value == expected
    without_days = failure(make_hubspot(), query, OCTOBER)
    assert "needs its whole UTC days (set by the planner)" in str(without_days)


def test_stage_labels_resolve_once_per_object_type(sandbox, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot()
    won = HubSpotQuery(
        object="deals", date_property="closedate", pipeline="partnerships", stages=("Closed Won",)
    )
    lost = HubSpotQuery(
        object="deals", date_property="closedate", pipeline="Partnerships", stages=("partner-lost",)
    )
    sandbox.reset_log()
    results = list(
        connector.collect([MetricRequest("crm", won, Q4), MetricRequest("crm", lost, Q4)])
    )
    expected = [
        sum(
            1
            for d in sandbox.records["deals"]
            if d.properties["dealstage"] == stage and within(d, "closedate", Q4.start, Q4.end)
        )
        for stage in ("partner-won", "partner-lost")
    ]
    assert [r.value for r in results] == expected  # type: ignore[union-attr]
    assert len(sandbox.calls("/crm/v3/pipelines/deals")) == 1


def test_unknown_or_ambiguous_names_fail_only_their_request(make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot()
    ambiguous = failure(connector, HubSpotQuery(object="deals", stages=("Closed Won",)), Q4)
    assert "several pipelines" in str(ambiguous) and "partner-won" in str(ambiguous)
    assert "no stage" in str(failure(connector, HubSpotQuery(object="deals", stages=("Won!",)), Q4))
    assert "no deals pipeline" in str(
        failure(connector, HubSpotQuery(object="deals", pipeline="Nope"), Q4)
    )
    unknown = failure(connector, HubSpotQuery(object="deals", date_property="close_date"), Q4)
    assert str(unknown) == (
        "crm: HubSpot answered 400 to search deals (VALIDATION_ERROR: There was a problem with "
        'the request: Property "close_date" does not exist)'
    )


def test_ten_thousand_cap_splits_the_window(bulk_sandbox, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot(bulk_sandbox)
    query = HubSpotQuery(
        object="contacts",
        date_property="createdate",
        filters=(SearchFilter(property="patient_segment", value="imported"),),
        aggregate="sum",
        property="hs_analytics_num_page_views",
    )
    imported = [
        c for c in bulk_sandbox.records["contacts"] if c.properties["patient_segment"] == "imported"
    ]
    expected = sum(float(c.properties["hs_analytics_num_page_views"]) for c in imported)
    assert len(imported) == 12_000
    bulk_sandbox.reset_log()
    assert value(connector, query, OCTOBER) == expected
    searches = bulk_sandbox.calls("/crm/v3/objects/contacts/search")
    assert all(int(r.body.get("after") or 0) < 10_000 for r in searches)
    # The month holds 12,000 (> cap): one wasted first page, then two halves under the cap,
    # each paged 200 at a time.
    start = int(OCTOBER.start.timestamp() * 1000)
    end = int(OCTOBER.end.timestamp() * 1000)
    middle = start + (end - start) // 2
    times = [int(instant(c, "createdate").timestamp() * 1000) for c in imported]
    halves = [
        sum(1 for t in times if start <= t < middle),
        sum(1 for t in times if middle <= t < end),
    ]
    assert max(halves) <= 10_000
    assert len(searches) == 1 + sum(math.ceil(n / 200) for n in halves)
    assert connector.context.stats.calls == len(searches)


def test_count_reads_total_even_beyond_the_cap(bulk_sandbox, make_hubspot: MakeHubSpot) -> None:
    connector = make_hubspot(bulk_sandbox)
    query = HubSpotQuery(
        object="contacts",
        date_property="createdate",
        filters=(SearchFilter(property="patient_segment", value="imported"),),
    )
    assert value(connector, query, OCTOBER) == 12_000
    assert connector.context.stats.calls == 1


def test_a_result_that_cannot_be_split_is_an_error(make_hubspot: MakeHubSpot) -> None:
    instant_ = datetime(2026, 10, 1, tzinfo=UTC)
    with HubSpotSandbox(
        search_per_second=None, bulk_contacts=10_001, bulk_start=instant_, bulk_span=timedelta(0)
    ) as same_instant:
        connector = make_hubspot(same_instant)
        imported = (SearchFilter(property="patient_segment", value="imported"),)
        dated = HubSpotQuery(
            object="contacts",
            date_property="createdate",
            filters=imported,
            aggregate="max",
            property="hs_analytics_num_page_views",
        )
        # One second around the instant: the halving reaches a single millisecond quickly.
        second = Window(
            instant_ - timedelta(milliseconds=500), instant_ + timedelta(milliseconds=500)
        )
        error = failure(connector, dated, second)
        assert "cannot be split" in str(error) and "10001" in str(error)
        undated = HubSpotQuery(
            object="contacts",
            filters=imported,
            aggregate="sum",
            property="hs_analytics_num_page_views",
        )
        assert "no date_property" in str(failure(connector, undated, OCTOBER))
        assert all(int(r.body.get("after") or 0) < 10_000 for r in same_instant.requests if r.body)


@pytest.mark.parametrize("aggregate", ["avg", "min", "max"])
def test_no_values_is_an_error_but_an_empty_sum_is_zero(
    make_hubspot: MakeHubSpot, aggregate: str
) -> None:
    empty = Window(datetime(2024, 1, 1, tzinfo=ZURICH), datetime(2024, 2, 1, tzinfo=ZURICH))
    connector = make_hubspot()
    base = {"object": "deals", "date_property": "closedate", "property": "amount"}
    assert value(connector, HubSpotQuery(**base, aggregate="sum"), empty) == 0
    assert "no deals with a amount" in str(
        failure(connector, HubSpotQuery(**base, aggregate=aggregate), empty)
    )
