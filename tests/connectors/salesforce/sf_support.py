"""Plain helpers of the Salesforce connector tests (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.salesforce.sandbox import SalesforceSandbox
from syncd.abc import ConnectorContext, RetryPolicy

ZURICH = ZoneInfo("Europe/Zurich")
TODAY = date(2026, 11, 21)


def fast_context(source: str = "sales") -> ConnectorContext:
    return ConnectorContext(
        source=source,
        timezone=ZURICH,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, max_retry_after=2.0),
    )


def password_config(sandbox: SalesforceSandbox, **overrides: Any) -> dict[str, Any]:
    """A raw source config logging in to ``sandbox`` with the OAuth password flow."""
    return {
        "type": "salesforce",
        "login_url": sandbox.url,
        "ca_bundle": sandbox.ca_file,
        "auth": {
            "flow": "password",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "username": sandbox.username,
            "password": sandbox.password,
            "security_token": sandbox.security_token,
        },
        **overrides,
    }


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZURICH)
