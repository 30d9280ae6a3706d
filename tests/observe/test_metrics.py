"""Telemetry: record_* calls, then the exposition text parsed back with prometheus_client.

Every expected number is worked out by hand from the values fed in.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from connectors.sql import SqlQuery
from syncd.abc import MetricRequest, Observation, RequestFailed, UpstreamStats, Window
from syncd.collect import SourceOutcome
from syncd.config.models import Band
from syncd.errors import AuthError, SourceError, TransientSourceError
from syncd.observe import Telemetry
from syncd.progress import KRProgress

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(telemetry: Telemetry) -> Samples:
    body, _ = telemetry.render()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def names(found: Samples) -> set[str]:
    return {name for name, _ in found}


def request(n: int) -> MetricRequest:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return MetricRequest("crm", SqlQuery(sql=f"SELECT {n}"), Window(start, start.replace(day=2)))


def outcome(
    source: str,
    *,
    calls: int,
    retries: int,
    duration: float,
    error: SourceError | None = None,
    answered: int = 0,
    failed: int = 0,
) -> SourceOutcome:
    result = SourceOutcome(
        source=source,
        error=error,
        stats=UpstreamStats(calls=calls, retries=retries),
        duration=duration,
    )
    for n in range(answered):
        req = request(n)
        result.results[req.key] = Observation(req, float(n))
    for n in range(answered, answered + failed):
        req = request(n)
        result.results[req.key] = RequestFailed(req, TransientSourceError("503 from upstream"))
    return result


def kr(kr_id: str, *, attainment: float | None, score: float | None, band: Band | None = None):
    return KRProgress(
        id=kr_id,
        objective="obj",
        title=kr_id,
        team="growth",
        cycle="2026-Q4",
        commitment="committed",
        unit=None,
        direction="increase",
        value=None,
        baseline=None,
        target=None,
        attainment=attainment,
        score=score,
        expected=0.5,
        status="on_track",
        forecast=None,
        forecast_score=None,
        as_of=None,
        collected_at=None,
        weight=1.0,
        in_band=None,
        band=band,
    )


def test_source_runs_count_outcomes_calls_retries_and_up() -> None:
    telemetry = Telemetry()
    telemetry.record_source(outcome("crm", calls=5, retries=2, duration=0.3))
    telemetry.record_source(
        outcome("crm", calls=1, retries=0, duration=7.0, error=AuthError("401 bad token"))
    )
    telemetry.record_source(outcome("web", calls=3, retries=1, duration=0.04, answered=1, failed=1))

    found = samples(telemetry)
    assert value(found, "syncd_sync_runs_total", source="crm", outcome="ok") == 1
    assert value(found, "syncd_sync_runs_total", source="crm", outcome="failed") == 1
    assert value(found, "syncd_sync_runs_total", source="web", outcome="partial") == 1
    assert ("syncd_sync_runs_total", frozenset({("source", "web"), ("outcome", "ok")})) not in found
    assert value(found, "syncd_upstream_requests_total", source="crm") == 6  # 5 + 1
    assert value(found, "syncd_upstream_retries_total", source="crm") == 2
    assert value(found, "syncd_upstream_requests_total", source="web") == 3
    assert value(found, "syncd_upstream_retries_total", source="web") == 1
    # The last crm run failed: down. web answered one request of two: partial is up.
    assert value(found, "syncd_source_up", source="crm") == 0
    assert value(found, "syncd_source_up", source="web") == 1


def test_source_up_returns_to_one_after_a_good_run() -> None:
    telemetry = Telemetry()
    telemetry.record_source(outcome("crm", calls=1, retries=0, duration=1.0, failed=1))
    assert value(samples(telemetry), "syncd_source_up", source="crm") == 0
    telemetry.record_source(outcome("crm", calls=1, retries=0, duration=1.0, answered=1))
    assert value(samples(telemetry), "syncd_source_up", source="crm") == 1


def test_duration_histogram_buckets_sum_and_count() -> None:
    telemetry = Telemetry()
    for seconds in (0.3, 7.0, 0.04, 400.0):
        telemetry.record_source(outcome("crm", calls=1, retries=0, duration=seconds))

    found = samples(telemetry)

    def bucket(le: str) -> float:
        return value(found, "syncd_sync_duration_seconds_bucket", source="crm", le=le)

    assert bucket("0.05") == 1  # 0.04
    assert bucket("0.25") == 1
    assert bucket("0.5") == 2  # + 0.3
    assert bucket("5.0") == 2
    assert bucket("10.0") == 3  # + 7.0
    assert bucket("300.0") == 3  # 400 s is beyond the last finite bucket (5 min)
    assert bucket("+Inf") == 4
    assert value(found, "syncd_sync_duration_seconds_count", source="crm") == 4
    assert value(found, "syncd_sync_duration_seconds_sum", source="crm") == pytest.approx(407.34)


def test_last_success_per_source_and_binding() -> None:
    telemetry = Telemetry()
    telemetry.record_measured("web", "booking-5d", 1_795_000_000.0)
    telemetry.record_measured("sales", "newcomer-revenue", 1_795_000_100.5)
    telemetry.record_measured("web", "booking-5d", 1_795_003_600.0)

    found = samples(telemetry)
    name = "syncd_sync_last_success_timestamp_seconds"
    assert value(found, name, source="web", binding="booking-5d") == 1_795_003_600.0
    assert value(found, name, source="sales", binding="newcomer-revenue") == 1_795_000_100.5


def test_kr_attainment_is_raw_and_replaced_by_each_call() -> None:
    telemetry = Telemetry()
    band = Band(at_least=4.0)
    telemetry.record_progress(
        [
            kr("churn", attainment=1.25, score=1.0),  # over-achieved: raw 1.25, not clamped
            kr("revenue", attainment=-0.2, score=0.0),
            kr("nps-floor", attainment=None, score=0.75, band=band),  # maintain: share in band
            kr("new", attainment=None, score=None),  # not measured yet: no series
        ]
    )
    found = samples(telemetry)
    assert value(found, "syncd_kr_attainment", kr="churn") == 1.25
    assert value(found, "syncd_kr_attainment", kr="revenue") == -0.2
    assert value(found, "syncd_kr_attainment", kr="nps-floor") == 0.75
    kr_series = {dict(labels)["kr"] for name, labels in found if name == "syncd_kr_attainment"}
    assert kr_series == {"churn", "revenue", "nps-floor"}

    # A reload dropped "revenue"; "churn" moved.
    telemetry.record_progress([kr("churn", attainment=0.5, score=0.5)])
    found = samples(telemetry)
    kr_series = {dict(labels)["kr"] for name, labels in found if name == "syncd_kr_attainment"}
    assert kr_series == {"churn"}
    assert value(found, "syncd_kr_attainment", kr="churn") == 0.5


def test_per_kr_gauges_carry_value_target_expected_and_score() -> None:
    from dataclasses import replace

    telemetry = Telemetry()
    booking = replace(
        kr("booking", attainment=0.5, score=0.5), value=0.55, baseline=0.40, target=0.70
    )  # expected pace 0.5: 0.40 + 0.5 × 0.30 = 0.55 expected by now
    backlog = replace(
        kr("backlog", attainment=None, score=2 / 3, band=Band(at_most=150)), value=140.0
    )
    telemetry.record_progress([booking, backlog])
    found = samples(telemetry)
    labels = {"kr": "booking", "objective": "obj", "team": "growth"}
    assert value(found, "syncd_kr_value", **labels) == 0.55
    assert value(found, "syncd_kr_target", **labels) == 0.70
    assert value(found, "syncd_kr_expected", **labels) == pytest.approx(0.55)
    assert value(found, "syncd_kr_score", **labels) == 0.5
    band_labels = {"kr": "backlog", "objective": "obj", "team": "growth"}
    assert value(found, "syncd_kr_value", **band_labels) == 140.0
    assert value(found, "syncd_kr_score", **band_labels) == pytest.approx(2 / 3)
    # A band has no target and no pace.
    assert ("syncd_kr_target", frozenset(band_labels.items())) not in found
    assert ("syncd_kr_expected", frozenset(band_labels.items())) not in found

    telemetry.record_progress([booking])  # backlog left the config
    found = samples(telemetry)
    assert {dict(lb)["kr"] for n, lb in found if n == "syncd_kr_value"} == {"booking"}


def test_spool_pending_dead_letters_and_build_info() -> None:
    telemetry = Telemetry(version="9.8.7")
    assert value(samples(telemetry), "syncd_dead_letters") == 0
    telemetry.set_spool_pending(12)
    telemetry.set_dead_letters(3)
    found = samples(telemetry)
    assert value(found, "syncd_spool_pending") == 12
    assert value(found, "syncd_dead_letters") == 3
    telemetry.set_spool_pending(0)
    telemetry.set_dead_letters(1)
    assert value(samples(telemetry), "syncd_spool_pending") == 0
    assert value(samples(telemetry), "syncd_dead_letters") == 1
    assert value(found, "syncd_build_info", version="9.8.7") == 1


def test_every_documented_metric_is_exposed_before_any_source_ran() -> None:
    found = samples(Telemetry())
    # Labelled metrics have no samples until first use; these do from the start.
    assert names(found) == {"syncd_spool_pending", "syncd_dead_letters", "syncd_build_info"}
    body, content_type = Telemetry().render()
    text = body.decode()
    for metric in (
        "syncd_sync_runs_total",
        "syncd_sync_duration_seconds",
        "syncd_sync_last_success_timestamp_seconds",
        "syncd_upstream_requests_total",
        "syncd_upstream_retries_total",
        "syncd_source_up",
        "syncd_kr_attainment",
        "syncd_kr_value",
        "syncd_kr_target",
        "syncd_kr_expected",
        "syncd_kr_score",
        "syncd_spool_pending",
        "syncd_dead_letters",
        "syncd_build_info",
    ):
        assert f"# HELP {metric} " in text, metric
    assert content_type.startswith("text/plain; version=")


def test_registries_are_private() -> None:
    first, second = Telemetry(), Telemetry()
    first.set_spool_pending(5)
    first.record_measured("web", "booking-5d", 1.0)
    assert value(samples(second), "syncd_spool_pending") == 0
    assert "syncd_sync_last_success_timestamp_seconds" not in names(samples(second))
    global_names = {family.name for family in REGISTRY.collect()}
    assert not any(name.startswith("syncd_") for name in global_names)


def test_a_connectors_own_collector_is_exposed_once():
    from prometheus_client import CollectorRegistry, Gauge

    own = CollectorRegistry()
    Gauge("syncd_vendor_quota_remaining", "Tokens left.", ["property"], registry=own).labels(
        "123"
    ).set(4200)
    telemetry = Telemetry()
    telemetry.add_collector(own)
    telemetry.add_collector(own)  # a reload adds it again: still one series
    body, _ = telemetry.render()
    lines = [line for line in body.decode().splitlines() if line.startswith("syncd_vendor")]
    assert lines == ['syncd_vendor_quota_remaining{property="123"} 4200.0']
