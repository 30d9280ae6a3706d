"""The GA4 connector on the framework's contract: traits per query, raw values, bad bodies."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from ga4_helpers import ZURICH, facts_between, failure, request, window

from connectors.ga4 import Ga4Connector, Ga4Query, Ga4SourceConfig
from syncd.abc import Observation, QueryTraits, ValueKind
from syncd.errors import AuthError, QueryError, TransientSourceError

OCT = window(date(2026, 10, 1), date(2026, 11, 1))
CONFIG = Ga4SourceConfig.model_validate(
    {"type": "ga4", "property": "1", "credentials": '{"type": "service_account"}'}
)


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ({"metric": "sessions"}, ValueKind.COUNT),
        ({"metric": "keyEvents:booking_completed"}, ValueKind.COUNT),
        ({"metric": "engagementRate"}, ValueKind.SHARE),  # GA4 returns 0.63, not 63 %
        ({"metric": "sessionKeyEventRate:sign_up"}, ValueKind.SHARE),
        ({"metric": "purchaseRevenue"}, ValueKind.SUM),  # currency: refunds may be negative
        ({"metric": "averageSessionDuration"}, ValueKind.DURATION),  # seconds
        ({"metric": "sessionsPerUser"}, ValueKind.NUMBER),
        ({"metric": "customEvent:basket_value"}, ValueKind.NUMBER),  # custom: type unknown
        # a row count is a count whatever the metric
        (
            {"metric": "engagementRate", "dimensions": ["date"], "aggregate": "count"},
            ValueKind.COUNT,
        ),
        ({"metric": "sessions", "dimensions": ["date"], "aggregate": "maximum"}, ValueKind.COUNT),
    ],
)
def test_traits_kind_follows_the_metric_type(query, kind):
    traits = Ga4Connector.traits(CONFIG, Ga4Query.model_validate(query), ZURICH)
    assert traits == QueryTraits(day_zone=ZURICH, past_windows=True, past_snapshots=True, kind=kind)


def test_traits_day_zone_is_the_property_zone():
    query = Ga4Query(metric="sessions")
    la = CONFIG.model_copy(update={"timezone": "America/Los_Angeles"})
    assert Ga4Connector.traits(la, query, ZURICH).day_zone == ZoneInfo("America/Los_Angeles")
    # without a declared zone, the configuration's
    tokyo = ZoneInfo("Asia/Tokyo")
    assert Ga4Connector.traits(CONFIG, query, tokyo).day_zone == tokyo


def test_values_are_returned_as_ga4_sent_them(sandbox, make_connector):
    connector = make_connector()
    requests = [request("sessions", OCT), request("engagementRate", OCT)]
    answers = connector.fetch_batch(requests)
    facts = facts_between(sandbox, date(2026, 10, 1), date(2026, 10, 31))
    assert answers[requests[0].key] == str(sum(f.sessions for f in facts))
    rate = answers[requests[1].key]
    assert isinstance(rate, str)
    engaged, sessions = sum(f.engaged_sessions for f in facts), sum(f.sessions for f in facts)
    assert float(rate) == pytest.approx(engaged / sessions, rel=1e-9)


@pytest.mark.parametrize(
    ("metric", "raw", "why"),
    [
        ("sessions", "1e400", "not a finite number"),
        ("sessions", "NaN", "not a finite number"),
        ("sessions", "-5", "cannot be a count"),
        ("sessions", "2.5", "cannot be a count"),
        ("sessions", "twelve", "not a number"),
        ("engagementRate", "1.5", "cannot be a share"),
        ("engagementRate", "-0.1", "cannot be a share"),
    ],
)
def test_impossible_values_fail_only_their_request(sandbox, make_connector, metric, raw, why):
    bad = request(metric, window(date(2026, 10, 5), date(2026, 10, 6)))
    good = request(metric, window(date(2026, 10, 6), date(2026, 10, 7)))
    sandbox.override_value(raw, metric=metric, start_date=date(2026, 10, 5))
    results = {r.request: r for r in make_connector().collect([bad, good])}
    error = results[bad].error
    assert isinstance(error, QueryError) and why in str(error) and repr(raw) in str(error)
    assert isinstance(results[good], Observation)
    assert len(sandbox.calls()) == 1  # both days in one report: only the bad one failed


def test_a_possible_value_in_the_other_direction_is_kept(sandbox, make_connector):
    sandbox.override_value("0.42", metric="engagementRate")
    (result,) = make_connector().collect([request("engagementRate", OCT)])
    assert isinstance(result, Observation) and result.value == 0.42


@pytest.mark.parametrize(
    "body",
    [
        "<!DOCTYPE html><html><body>Please sign in</body></html>",
        '{"dimensionHeaders": [',
        "",
    ],
    ids=["html", "malformed", "empty"],
)
def test_a_bad_body_is_transient_then_retried(sandbox, make_connector, body):
    sandbox.faults.add(":runReport", status=200, body=body, times=10)
    error = failure(make_connector().collect([request("sessions", OCT)]))
    assert isinstance(error, TransientSourceError)
    assert "truncated or malformed body" in str(error)
    assert len(sandbox.calls()) == 3  # the context's three attempts
    sandbox.faults.clear()
    sandbox.requests.clear()
    sandbox.faults.add(":runReport", status=200, body=body, times=1)
    (result,) = make_connector().collect([request("sessions", OCT)])
    assert isinstance(result, Observation)
    assert len(sandbox.calls()) == 2


def test_a_truncated_body_is_transient(sandbox, make_connector):
    sandbox.faults.add(":runReport", truncate=True, times=10)
    error = failure(make_connector().collect([request("sessions", OCT)]))
    assert isinstance(error, TransientSourceError)


def test_an_html_error_page_is_named_not_quoted(sandbox, make_connector):
    page = "<html><body>" + "x" * 500 + "</body></html>"
    sandbox.faults.add(":runReport", status=502, body=page, times=10)
    error = failure(make_connector().collect([request("sessions", OCT)]))
    assert isinstance(error, TransientSourceError)
    assert "GA4 answered 502 to /v1beta/properties/123456789:runReport (an HTML page)" in str(error)


def test_batches_follow_the_api_limits(make_connector):
    months = [window(date(2026, m, 1), date(2026, m + 1, 1)) for m in range(1, 7)]
    by_date = [request("sessions", w, dimensions=("date",)) for w in months]
    plain = [request(m, OCT) for m in ("sessions", "newUsers")]
    batches = [list(b) for b in make_connector().batches([*by_date, *plain])]
    # 7 reports (both plain metrics in one, one per dimensioned month), 5 per call: the plain
    # report and 4 months (6 requests), then 2 months
    assert [len(b) for b in batches] == [6, 2]
    assert batches[0][:2] == plain


def test_check_reads_the_metadata(sandbox, make_connector):
    assert make_connector().check() == (
        "GA4 property 123456789: 11 metrics and 6 dimensions readable"
    )
    assert [c.path for c in sandbox.calls()] == ["/v1beta/properties/123456789/metadata"]
    with pytest.raises(AuthError, match="Viewer"):
        make_connector(property="555").check()
