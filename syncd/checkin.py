"""Check-ins: values entered by people for KRs no connector can pull (``syncd checkin``)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from syncd import registry
from syncd.abc import CheckinSource
from syncd.config import LoadedConfig
from syncd.errors import ConfigError, ConfigIssue, QueryError, StoreError
from syncd.store import MeasurementIn, Store, WriteResult


def record_checkin(
    loaded: LoadedConfig,
    store: Store,
    kr_id: str,
    value: float,
    *,
    at: datetime,
    note: str | None = None,
) -> WriteResult:
    """Validate and store a checked-in value as a point-in-time measurement at ``at``.

    Allowed for KRs without a metric and for KRs whose metric reads a manual (push) source;
    the source's query bounds (e.g. NPS between -100 and 100) are enforced.
    """
    config = loaded.config
    try:
        _objective, key_result = config.key_result(kr_id)
    except KeyError:
        known = ", ".join(kr.id for _, kr in config.key_results())
        raise ConfigError(
            ConfigIssue(f"no key result with id {kr_id!r}", hint=f"known: {known}")
        ) from None
    fingerprint = ""
    if key_result.metric is not None:
        metric = config.metrics[key_result.metric]
        connector_cls = (
            registry.load_connector(config.sources[metric.source].type) if metric.source else None
        )
        if connector_cls is None or not issubclass(connector_cls, CheckinSource):
            raise ConfigError(
                ConfigIssue(
                    f"{kr_id} is measured from its metric {key_result.metric!r}; check-ins are "
                    "for KRs without a metric or with a manual source",
                    hint=f"run `syncd sync --kr {kr_id}` to measure it now",
                )
            )
        try:
            value = connector_cls.check_value(value, metric.query)
        except QueryError as exc:
            raise ConfigError(ConfigIssue(f"{kr_id}: {exc}")) from None
        fingerprint = metric.query.fingerprint() if metric.query is not None else ""
    elif not math.isfinite(value):
        raise ConfigError(ConfigIssue(f"{kr_id}: {value} is not a finite number"))
    result = store.record_measurements(
        [
            MeasurementIn(
                key_result_id=kr_id,
                value=value,
                window_start=at,
                window_end=at,
                collected_at=datetime.now(UTC),
                source="manual",
                query_fingerprint=fingerprint,
                run_id=None,
                note=note,
            )
        ]
    )
    if result.refused:
        raise StoreError(
            f"the store {store.url} refused the check-in of {kr_id}: {result.refused[0].reason}"
        )
    return result
