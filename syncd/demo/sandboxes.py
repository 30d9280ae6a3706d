"""The vendor sandboxes the demo talks to, each on a free local port.

``config/demo.yaml`` names the ports 8701–8710; the demo takes free ones instead (a second demo,
or a test run, may hold those) and writes the config with the ports it took (:func:`with_ports`).
Each is the connector's own wire-level sandbox (its ``sandbox.py``), started only when the demo
config has a source or a sink of that type; the OKR tools' sandboxes (Perdoo, the Sheets
sink's tab) start holding what the config's ``push:`` mappings name (:func:`tool_state`).
With ``--as-of`` their clocks stand still at that moment, so
"now" means the same to syncd and to the vendor. The demo's sandboxes are generous with rate
limits: a backfill of the cycle is hundreds of requests, and the limits are tested elsewhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syncd.config.models import Config
from syncd.demo.sample import SEED
from syncd.errors import SyncdError

DEMO_DIR = Path(".syncd-demo")


DEFAULT_PORTS: dict[str, int] = {
    "ga4": 8701,
    "salesforce": 8702,
    "hubspot": 8703,
    "zendesk": 8704,
    "matomo": 8705,
    "mixpanel": 8706,
    "amplitude": 8707,
    "sheets": 8708,
    "jira": 8709,
    "perdoo": 8710,
}
"""The ports ``config/demo.yaml`` names for each vendor's sandbox."""


def _options(vendor: str, moment: datetime | None) -> dict[str, Any]:
    if vendor == "ga4":
        return {"clock": (lambda: moment) if moment else None}
    if vendor == "salesforce":
        return {
            "ca_file": DEMO_DIR / "salesforce-ca.pem",
            "today": moment.date() if moment else None,
        }
    if vendor == "hubspot":
        return {"search_per_second": 100, "burst_limit": None}
    if vendor == "matomo":
        return {"now": moment}
    if vendor == "mixpanel":  # 5 queries at once as at Mixpanel; the hourly budget raised
        return {"now": moment, "queries_per_hour": 100_000}
    if vendor == "amplitude":
        return {"now": moment, "cost_per_5_minutes": 10**9, "cost_per_hour": 10**9}
    if vendor == "sheets":
        # The sandbox writes a service account key whose token_uri is its own token endpoint.
        return {
            "clock": (lambda: moment) if moment else None,
            "key_file": DEMO_DIR / "sheets-service-account.json",
            "reads_per_minute": 100_000,
            "writes_per_minute": 100_000,
        }
    if vendor == "jira":
        return {"now": moment, "deployment": "Cloud"}
    if vendor == "perdoo":
        return {"clock": (lambda: moment) if moment else None}
    return {
        "now": moment,
        "requests_per_minute": 100_000,
        "export_requests_per_minute": 100_000,
    }


SANDBOXES: dict[str, str] = {
    "ga4": "connectors.ga4.sandbox:Ga4Sandbox",
    "salesforce": "connectors.salesforce.sandbox:SalesforceSandbox",
    "hubspot": "connectors.hubspot.sandbox:HubSpotSandbox",
    "zendesk": "connectors.zendesk.sandbox:ZendeskSandbox",
    "matomo": "connectors.matomo.sandbox:MatomoSandbox",
    "mixpanel": "connectors.mixpanel.sandbox:MixpanelSandbox",
    "amplitude": "connectors.amplitude.sandbox:AmplitudeSandbox",
    "sheets": "connectors.sheets.sandbox:SheetsSandbox",
    "jira": "connectors.jira.sandbox:JiraSandbox",
    "perdoo": "connectors.perdoo.sandbox:PerdooSandbox",
}


def _factory(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ToolState:
    """What the OKR tools' sandboxes start with, so the demo config's ``push:`` mappings name
    things they hold: Perdoo's key results (uuid, name, start, target) and the Sheets tabs
    its sinks write, emptied below their header (the sandbox seeds rows for the sink's tests,
    some dated after the demo's day, which the sink would rightly leave alone)."""

    perdoo_key_results: tuple[tuple[str, str, float, float], ...] = ()
    sheets_kr_tabs: tuple[str, ...] = ()


def tool_state(config: Config) -> ToolState:
    """The tools' starting state for ``config``'s sinks and its KRs' mappings."""
    kinds = {name: sink.type for name, sink in config.sinks.items()}
    key_results: dict[str, tuple[str, str, float, float]] = {}
    tabs = {
        str(sink.model_dump().get("sheet"))
        for sink in config.sinks.values()
        if sink.type == "sheets"
    }
    for _, kr in config.key_results():
        for sink, target in kr.push.items():
            mapping = target.model_dump()
            if kinds.get(sink) == "perdoo":
                uuid = str(mapping["key_result"])
                key_results[uuid] = (uuid, kr.title, _number(kr.baseline), _number(kr.target))
            elif kinds.get(sink) == "sheets" and mapping.get("sheet"):
                tabs.add(str(mapping["sheet"]))
    return ToolState(tuple(key_results.values()), tuple(sorted(tabs - {"", "None"})))


def _number(value: float | None) -> float:
    return float(value) if value is not None else 0.0


def _tool_options(vendor: str, tools: ToolState) -> dict[str, Any]:
    if vendor == "perdoo" and tools.perdoo_key_results:
        return {"key_results": tools.perdoo_key_results}
    return {}


def _prepare(vendor: str, sandbox: Any, tools: ToolState) -> None:
    if vendor != "sheets":
        return
    for tab in tools.sheets_kr_tabs:
        sheet = sandbox.workbook.sheet(tab)
        if sheet is not None:
            sheet.cells = {cell: v for cell, v in sheet.cells.items() if cell[0] == 1}


def build(vendor: str, moment: datetime | None, tools: ToolState) -> Any:
    """The sandbox of ``vendor`` as the demo runs it (not started), on a free port."""
    options = _options(vendor, moment) | _tool_options(vendor, tools)
    sandbox = _factory(SANDBOXES[vendor])(seed=SEED, port=0, **options)
    _prepare(vendor, sandbox, tools)
    return sandbox


@contextmanager
def running(
    vendors: set[str], moment: datetime | None, tools: ToolState | None = None
) -> Iterator[dict[str, str]]:
    """Start the sandboxes of ``vendors`` (those syncd has one for), the OKR tools' holding
    ``tools``; yields vendor → URL."""
    tools = tools or ToolState()
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for vendor in sorted(vendors & SANDBOXES.keys()):
            sandbox = build(vendor, moment, tools)
            try:
                urls[vendor] = sandbox.start()
            except OSError as exc:
                raise SyncdError(f"cannot start the {vendor} sandbox: {exc}") from exc
            stack.callback(sandbox.stop)
        yield urls


def with_ports(config_text: str, urls: dict[str, str]) -> str:
    """``config_text`` with each sandbox's default ``127.0.0.1:PORT`` replaced by the one taken."""
    for vendor, url in urls.items():
        taken = urlsplit(url).port
        config_text = config_text.replace(
            f"127.0.0.1:{DEFAULT_PORTS[vendor]}", f"127.0.0.1:{taken}"
        )
    return config_text
