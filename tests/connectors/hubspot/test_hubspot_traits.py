"""What each query declares (traits), and the values it returns as HubSpot sent them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from connectors.hubspot import HubSpotConnector, HubSpotQuery
from connectors.hubspot.sandbox import HubSpotSandbox
from syncd.abc import MetricRequest, Observation, QueryTraits, RequestFailed, ValueKind, Window
from syncd.errors import QueryError
from tests.connectors.hubspot.conftest import ZURICH, MakeHubSpot, within

OCTOBER = Window(datetime(2026, 10, 1, tzinfo=ZURICH), datetime(2026, 11, 1, tzinfo=ZURICH))
NOVEMBER = Window(datetime(2026, 11, 1, tzinfo=ZURICH), datetime(2026, 12, 1, tzinfo=ZURICH))


@pytest.fixture
def box() -> Iterator[HubSpotSandbox]:
    """A sandbox of its own: value overrides must not reach another test's searches."""
    with HubSpotSandbox(search_per_second=None) as fresh:
        yield fresh


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # no date_property: the records as they are now, never a past slot
        (
            {"object": "tickets", "stages": ["New"]},
            QueryTraits(past_windows=False, past_snapshots=False, kind=ValueKind.COUNT),
        ),
        (
            {"object": "deals", "aggregate": "sum", "property": "amount"},
            QueryTraits(past_windows=False, past_snapshots=False, kind=ValueKind.SUM),
        ),
        # a datetime property: exact instants, any past window
        ({"object": "deals", "date_property": "closedate"}, QueryTraits(kind=ValueKind.COUNT)),
        (
            {"object": "deals", "date_property": "closedate", "aggregate": "avg", "property": "a"},
            QueryTraits(kind=ValueKind.NUMBER),
        ),
        (
            {"object": "deals", "date_property": "closedate", "aggregate": "min", "property": "a"},
            QueryTraits(kind=ValueKind.NUMBER),
        ),
        (
            {"object": "deals", "date_property": "closedate", "aggregate": "max", "property": "a"},
            QueryTraits(kind=ValueKind.NUMBER),
        ),
        # a date-only property: whole days of the config's zone (the dates people pick)
        (
            {"object": "deals", "date_property": "closedate", "date_type": "date"},
            QueryTraits(day_zone=ZURICH, kind=ValueKind.COUNT),
        ),
        (
            {
                "object": "deals",
                "date_property": "closedate",
                "date_type": "date",
                "aggregate": "sum",
                "property": "amount",
            },
            QueryTraits(day_zone=ZURICH, kind=ValueKind.SUM),
        ),
    ],
)
def test_traits_per_query(query: dict[str, object], expected: QueryTraits) -> None:
    parsed = HubSpotQuery.model_validate(query)
    assert HubSpotConnector.traits(None, parsed, ZURICH) == expected  # type: ignore[arg-type]


def _one(connector: HubSpotConnector, query: HubSpotQuery, window: Window) -> object:
    (result,) = connector.collect([MetricRequest("crm", query, window)])
    return result


COUNT = HubSpotQuery(object="tickets", date_property="createdate")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("1e400", "the answer '1e400' is not a finite number"),
        ("NaN", "the answer 'NaN' is not a finite number"),
        ("Infinity", "the answer 'Infinity' is not a finite number"),
        ("-5", "the answer -5 cannot be a count"),
        ("2.5", "the answer '2.5' cannot be a count"),
        ("twelve", "the answer 'twelve' is not a number"),
    ],
)
def test_an_impossible_total_fails_only_its_request(
    box: HubSpotSandbox, make_hubspot: MakeHubSpot, raw: str, words: str
) -> None:
    box.override_value(raw)
    connector = make_hubspot(box)
    bad, good = connector.collect(
        [MetricRequest("crm", COUNT, OCTOBER), MetricRequest("crm", COUNT, NOVEMBER)]
    )
    assert isinstance(bad, RequestFailed) and isinstance(bad.error, QueryError)
    assert str(bad.error).startswith(f"crm: {words}")
    expected = sum(
        1 for t in box.records["tickets"] if within(t, "createdate", NOVEMBER.start, NOVEMBER.end)
    )
    assert isinstance(good, Observation) and good.value == expected


SUM = HubSpotQuery(object="deals", date_property="closedate", aggregate="sum", property="amount")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("twelve", "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("1_000", "not a number"),
        (" 12", "not a number"),
        ("1e400", "not a finite number"),
    ],
)
def test_a_record_value_that_is_no_number_names_the_record(
    box: HubSpotSandbox, make_hubspot: MakeHubSpot, raw: str, why: str
) -> None:
    first = min(
        (
            d
            for d in box.records["deals"]
            if d.properties["amount"] and within(d, "closedate", OCTOBER.start, OCTOBER.end)
        ),
        key=lambda d: int(d.id),
    )
    box.override_value(raw)
    result = _one(make_hubspot(box), SUM, OCTOBER)
    assert isinstance(result, RequestFailed) and isinstance(result.error, QueryError)
    assert str(result.error) == f"crm: amount of deals {first.id} is {raw!r}, {why}"


def test_values_are_returned_as_hubspot_sent_them(
    box: HubSpotSandbox, make_hubspot: MakeHubSpot
) -> None:
    deals = [
        d
        for d in box.records["deals"]
        if d.properties["amount"] and within(d, "closedate", OCTOBER.start, OCTOBER.end)
    ]
    amounts = [d.properties["amount"] for d in deals]
    connector = make_hubspot(box)
    base = {"object": "deals", "date_property": "closedate", "property": "amount"}

    def fetch(aggregate: str) -> object:
        query = HubSpotQuery.model_validate({**base, "aggregate": aggregate})
        return connector.fetch(MetricRequest("crm", query, OCTOBER))

    # min and max: one record's text, untouched
    assert fetch("min") == min(amounts, key=Decimal)
    assert fetch("max") == max(amounts, key=Decimal)
    # sum and average: exact decimal arithmetic over the texts
    total = sum((Decimal(a) for a in amounts), Decimal(0))
    assert fetch("sum") == total
    assert fetch("avg") == total / len(amounts)
    # count: HubSpot's total, an int
    dated = HubSpotQuery(object="deals", date_property="closedate")
    count = connector.fetch(MetricRequest("crm", dated, OCTOBER))
    assert type(count) is int and count == sum(
        1 for d in box.records["deals"] if within(d, "closedate", OCTOBER.start, OCTOBER.end)
    )


def test_check_reads_the_deal_pipelines(box: HubSpotSandbox, make_hubspot: MakeHubSpot) -> None:
    assert make_hubspot(box).check() == f"HubSpot at {box.url}: 2 deal pipelines readable"
    assert re.fullmatch(r"/crm/v3/pipelines/deals", box.requests[-1].path)
