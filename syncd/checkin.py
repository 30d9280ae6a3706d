"""Check-ins (``syncd checkin``): values entered by people for KRs no connector can pull, and
the owner's confidence and note for any KR, shown beside the computed status (DESIGN §1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from syncd import registry
from syncd.abc import CheckinSource
from syncd.config import LoadedConfig
from syncd.config.models import KeyResult
from syncd.errors import ConfigError, ConfigIssue, QueryError
from syncd.lookup import find_kr
from syncd.status import CONFIDENCES
from syncd.store.abc import MeasurementStore
from syncd.store.records import CheckIn, MeasurementIn


def record_checkin(
    loaded: LoadedConfig,
    store: MeasurementStore,
    kr_id: str,
    value: float | None,
    *,
    at: datetime,
    note: str | None = None,
    confidence: str | None = None,
) -> CheckIn:
    """Validate and store a check-in at ``at``: a value, a confidence, a note, or several.

    A value is stored as a point-in-time measurement and is allowed for KRs without a metric
    and for KRs whose metric reads a manual (push) source; the source's query bounds (e.g. NPS
    between -100 and 100) are enforced. A confidence or a note alone fits any KR.
    """
    config = loaded.config
    _objective, key_result = find_kr(config, kr_id)
    if confidence is not None and confidence not in CONFIDENCES:
        raise ConfigError(
            ConfigIssue(
                f"--confidence {confidence!r} is not a confidence",
                hint=f"use one of {', '.join(CONFIDENCES)}",
            )
        )
    if value is None and confidence is None and not note:
        raise ConfigError(
            ConfigIssue(
                f"{kr_id}: nothing to check in",
                hint="give a VALUE, --confidence on_track|at_risk|off_track, or --note",
            )
        )
    measurement = None
    if value is not None:
        checked, fingerprint = _checked_value(loaded, kr_id, key_result, value)
        measurement = MeasurementIn(
            key_result_id=kr_id,
            value=checked,
            window_start=at,
            window_end=at,
            collected_at=datetime.now(UTC),
            source="manual",
            query_fingerprint=fingerprint,
            run_id=None,
            note=note,
        )
    return store.record_checkin(
        kr_id, at=at, confidence=confidence, note=note or None, measurement=measurement
    )


def _checked_value(
    loaded: LoadedConfig, kr_id: str, key_result: KeyResult, value: float
) -> tuple[float, str]:
    """The value as the KR's manual source accepts it, and that query's fingerprint."""
    config = loaded.config
    if key_result.metric is None:
        if not math.isfinite(value):
            raise ConfigError(ConfigIssue(f"{kr_id}: {value} is not a finite number"))
        return value, ""
    metric = config.metrics[key_result.metric]
    connector_cls = (
        registry.load_connector(config.sources[metric.source].type) if metric.source else None
    )
    if connector_cls is None or not issubclass(connector_cls, CheckinSource):
        raise ConfigError(
            ConfigIssue(
                f"{kr_id} is measured from its metric {key_result.metric!r}; check-ins are for "
                "KRs without a metric or with a manual source",
                hint=f"run `syncd sync --kr {kr_id}` to measure it now; a --confidence or "
                "--note alone (no value) fits any KR",
            )
        )
    try:
        checked = connector_cls.check_value(value, metric.query)
    except QueryError as exc:
        raise ConfigError(ConfigIssue(f"{kr_id}: {exc}")) from None
    return checked, metric.query.fingerprint() if metric.query is not None else ""
