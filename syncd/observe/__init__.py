"""Observability: Prometheus metrics and the HTTP status listener (/livez, /readyz, /metrics)."""

from syncd.observe.health import HealthCheck
from syncd.observe.metrics import Telemetry
from syncd.observe.server import StatusServer, create_app

__all__ = ["HealthCheck", "StatusServer", "Telemetry", "create_app"]
