"""The vendor sandboxes the demo talks to, on the fixed local ports ``config/demo.yaml`` names.

Each is the connector's own wire-level sandbox (its ``sandbox.py``), started only when the demo
config has a source of that type. With ``--as-of`` their clocks stand still at that moment, so
"now" means the same to syncd and to the vendor. The demo's sandboxes are generous with rate
limits: a backfill of the cycle is hundreds of requests, and the limits are tested elsewhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from syncd.demo.sample import SEED
from syncd.errors import SyncdError

DEMO_DIR = Path(".syncd-demo")


def _options(vendor: str, moment: datetime | None) -> dict[str, Any]:
    if vendor == "ga4":
        return {"port": 8701, "clock": (lambda: moment) if moment else None}
    if vendor == "salesforce":
        return {
            "port": 8702,
            "ca_file": DEMO_DIR / "salesforce-ca.pem",
            "today": moment.date() if moment else None,
        }
    if vendor == "hubspot":
        return {"port": 8703, "search_per_second": 100, "burst_limit": None}
    return {
        "port": 8704,
        "now": moment,
        "requests_per_minute": 100_000,
        "export_requests_per_minute": 100_000,
    }


SANDBOXES: dict[str, str] = {
    "ga4": "connectors.ga4.sandbox:Ga4Sandbox",
    "salesforce": "connectors.salesforce.sandbox:SalesforceSandbox",
    "hubspot": "connectors.hubspot.sandbox:HubSpotSandbox",
    "zendesk": "connectors.zendesk.sandbox:ZendeskSandbox",
}


def _factory(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@contextmanager
def running(vendors: set[str], moment: datetime | None) -> Iterator[dict[str, str]]:
    """Start the sandboxes of ``vendors`` (those syncd has one for); yields vendor → URL."""
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for vendor in sorted(vendors & SANDBOXES.keys()):
            sandbox = _factory(SANDBOXES[vendor])(seed=SEED, **_options(vendor, moment))
            try:
                urls[vendor] = sandbox.start()
            except OSError as exc:
                port = _options(vendor, moment)["port"]
                raise SyncdError(
                    f"cannot start the {vendor} sandbox on 127.0.0.1:{port}: {exc}\n"
                    "    hint: another `syncd demo` may be running; stop it first"
                ) from exc
            stack.callback(sandbox.stop)
        yield urls
