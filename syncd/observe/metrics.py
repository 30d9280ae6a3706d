"""The daemon's Prometheus metrics (``syncd_`` prefix), kept in a registry of their own.

A private :class:`~prometheus_client.CollectorRegistry` rather than the global one: tests and a
reloaded daemon get fresh metrics, and nothing a library registers globally leaks into
``/metrics``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

from syncd import __version__
from syncd.collect import SourceOutcome
from syncd.progress import KRProgress

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Seconds: a local database answers in tens of milliseconds, a paged CRM export in minutes."""


class Telemetry:
    """The metrics one daemon exposes, and the calls that feed them.

    - ``syncd_sync_runs_total{source,outcome}``: source runs by outcome (ok, partial, failed);
    - ``syncd_sync_duration_seconds{source}``: how long a source run took;
    - ``syncd_sync_last_success_timestamp_seconds{source,binding}``: unix time of the last
      successful measurement of a binding (a KR id);
    - ``syncd_upstream_requests_total{source}`` / ``syncd_upstream_retries_total{source}``:
      upstream calls and retries made by the connectors;
    - ``syncd_source_up{source}``: 1 when the source's last run answered (ok or partial), else 0;
    - ``syncd_kr_attainment{kr}``: each KR's raw attainment (not clamped); a ``maintain`` KR has
      none and reports its score, the share of the cycle's measurements in band;
    - ``syncd_kr_value{kr,objective,team}``, ``syncd_kr_target{…}``, ``syncd_kr_expected{…}``
      (the value expected by now on the pace line: baseline + pace × (target - baseline)) and
      ``syncd_kr_score{…}`` (0 to the ceiling): what the Grafana dashboard in ``docs/grafana``
      draws; a ``maintain`` KR has no target and no expected value;
    - ``syncd_spool_pending``: measurements waiting in the local spool for the store;
    - ``syncd_dead_letters``: measurements the store refused, set aside (``syncd dead-letters``);
    - ``syncd_sink_deliveries_total{sink,outcome}``: values handed to a sink by outcome
      (sent, unchanged, older, failed, parked);
    - ``syncd_sink_parked{sink}``: 1 while a sink is parked (its credentials were refused);
    - ``syncd_build_info{version}``: always 1.
    """

    def __init__(self, version: str = __version__) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._extra: set[int] = set()
        self._runs = Counter(
            "syncd_sync_runs",
            "Source runs by outcome (ok, partial, failed).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "syncd_sync_duration_seconds",
            "Duration of one source run.",
            ["source"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._last_success = Gauge(
            "syncd_sync_last_success_timestamp_seconds",
            "Unix time of the last successful measurement of a binding (KR).",
            ["source", "binding"],
            registry=self.registry,
        )
        self._requests = Counter(
            "syncd_upstream_requests",
            "Requests made to the upstream API of a source, retries included.",
            ["source"],
            registry=self.registry,
        )
        self._retries = Counter(
            "syncd_upstream_retries",
            "Upstream requests retried after a retryable error.",
            ["source"],
            registry=self.registry,
        )
        self._up = Gauge(
            "syncd_source_up",
            "1 when the source's last run answered (ok or partial), 0 when it failed.",
            ["source"],
            registry=self.registry,
        )
        self._attainment = Gauge(
            "syncd_kr_attainment",
            "Raw attainment of a KR, (value - baseline) / (target - baseline); "
            "maintain KRs: share of the cycle's measurements in band.",
            ["kr"],
            registry=self.registry,
        )
        labels = ["kr", "objective", "team"]
        self._per_kr = {
            "value": Gauge(
                "syncd_kr_value",
                "Latest value of a KR, in its unit.",
                labels,
                registry=self.registry,
            ),
            "target": Gauge("syncd_kr_target", "Target of a KR.", labels, registry=self.registry),
            "expected": Gauge(
                "syncd_kr_expected",
                "Value a KR is expected to have by now: baseline + pace x (target - baseline).",
                labels,
                registry=self.registry,
            ),
            "score": Gauge(
                "syncd_kr_score",
                "Score of a KR (0 to its ceiling).",
                labels,
                registry=self.registry,
            ),
        }
        self._kr_series: dict[str, set[tuple[str, str, str]]] = {
            name: set() for name in self._per_kr
        }
        self._spool = Gauge(
            "syncd_spool_pending",
            "Measurements waiting in the local spool for the store.",
            registry=self.registry,
        )
        self._dead_letters = Gauge(
            "syncd_dead_letters",
            "Measurements the store refused and that are set aside (see `syncd dead-letters`).",
            registry=self.registry,
        )
        self._sink_deliveries = Counter(
            "syncd_sink_deliveries",
            "Values handed to a sink by outcome (sent, unchanged, older, failed, parked).",
            ["sink", "outcome"],
            registry=self.registry,
        )
        self._sink_parked = Gauge(
            "syncd_sink_parked",
            "1 while a sink is parked because its credentials were refused.",
            ["sink"],
            registry=self.registry,
        )
        Info("syncd_build", "The running syncd.", registry=self.registry).info({"version": version})
        self._krs: set[str] = set()
        self._krs_lock = threading.Lock()

    def record_source(self, outcome: SourceOutcome) -> None:
        """Count one source run: outcome, duration, upstream calls and retries, up/down."""
        source = outcome.source
        self._runs.labels(source=source, outcome=outcome.outcome).inc()
        self._duration.labels(source=source).observe(outcome.duration)
        self._requests.labels(source=source).inc(outcome.stats.calls)
        self._retries.labels(source=source).inc(outcome.stats.retries)
        self._up.labels(source=source).set(0 if outcome.outcome == "failed" else 1)

    def record_measured(self, source: str, binding: str, at: float) -> None:
        """Note that ``binding`` (a KR id) was measured from ``source`` at unix time ``at``."""
        self._last_success.labels(source=source, binding=binding).set(at)

    def record_progress(self, krs: Iterable[KRProgress]) -> None:
        """Publish the KRs' attainment, value, target, expected value and score; the set given
        replaces the previous one.

        KRs absent from ``krs`` (removed by a reload, or without a value yet) disappear from
        ``/metrics`` rather than keep a stale number.
        """
        krs = list(krs)
        values = {kr.id: _attainment_of(kr) for kr in krs}
        current = {kr_id: value for kr_id, value in values.items() if value is not None}
        per_kr: dict[str, dict[tuple[str, str, str], float]] = {name: {} for name in self._per_kr}
        for kr in krs:
            key = (kr.id, kr.objective, kr.team)
            for name, number in _per_kr_numbers(kr).items():
                if number is not None:
                    per_kr[name][key] = number
        with self._krs_lock:
            for name, gauge in self._per_kr.items():
                for key, number in per_kr[name].items():
                    gauge.labels(*key).set(number)
                for series in self._kr_series[name] - per_kr[name].keys():
                    gauge.remove(*series)
                self._kr_series[name] = set(per_kr[name])
            # Set the new values before removing the old series, so a scrape in between never
            # sees a KR missing that is still there.
            for kr_id, value in current.items():
                self._attainment.labels(kr=kr_id).set(value)
            for gone in self._krs - current.keys():
                self._attainment.remove(gone)
            self._krs = set(current)

    def record_sink_delivery(self, sink: str, outcome: str) -> None:
        """Count one value handed to ``sink`` with its outcome."""
        self._sink_deliveries.labels(sink=sink, outcome=outcome).inc()

    def set_sink_parked(self, sink: str, parked: bool) -> None:
        """Whether ``sink`` is parked now."""
        self._sink_parked.labels(sink=sink).set(1 if parked else 0)

    def set_spool_pending(self, count: int) -> None:
        """How many measurements wait in the spool right now."""
        self._spool.set(count)

    def set_dead_letters(self, count: int) -> None:
        """How many refused measurements are set aside right now."""
        self._dead_letters.set(count)

    def add_collector(self, collector: object) -> None:
        """Expose a connector's own collector (once, however often it is added)."""
        if id(collector) in self._extra:
            return
        self.registry.register(collector)  # type: ignore[arg-type]
        self._extra.add(id(collector))

    def render(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text exposition format: body and content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _attainment_of(kr: KRProgress) -> float | None:
    if kr.attainment is not None:
        return kr.attainment
    return kr.score if kr.band is not None else None


def _per_kr_numbers(kr: KRProgress) -> dict[str, float | None]:
    expected = None
    if kr.baseline is not None and kr.target is not None and kr.band is None:
        expected = kr.baseline + kr.expected * (kr.target - kr.baseline)
    return {
        "value": kr.value,
        "target": kr.target if kr.band is None else None,
        "expected": expected,
        "score": kr.score,
    }
