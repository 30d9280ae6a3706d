"""A whole sync of a generated workload across GA4, Salesforce, HubSpot, Zendesk and SQL: the
strategies chosen by cost give every KR the value the request-by-request strategies give, with
fewer upstream calls. Nothing is timed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from syncd import collect, cost

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
import bench_cycle  # noqa: E402
import workload  # noqa: E402

BINDINGS = 150


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from syncd.demo.sample import generate as generate_warehouse

    root = tmp_path_factory.mktemp("strategies")
    generate_warehouse(root / "sample.db")
    with ExitStack() as stack:
        sandboxes = bench_cycle.start_sandboxes(stack, root, latency=0.0)
        endpoints = workload.Endpoints(
            ga4=sandboxes["ga4"].url,
            salesforce=sandboxes["salesforce"].url,
            salesforce_ca=str(root / "salesforce-ca.pem"),
            hubspot=sandboxes["hubspot"].url,
            zendesk=sandboxes["zendesk"].url,
            warehouse=str(root / "sample.db"),
        )
        config = workload.generate(BINDINGS, endpoints)
        (root / "okrs.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        yield root


def sync(root: Path, name: str) -> dict[str, Any]:
    """One ``syncd sync`` pass into a store of its own: values per KR, calls per vendor."""
    from syncd.config import load_config
    from syncd.store import Store
    from syncd.sync import Syncer

    vendor_of = {source: vendor for vendor, source in workload.SOURCE_OF.items()}
    with Store.open(f"sqlite:///{root / name}.db") as store:
        report = Syncer(load_config(root / "okrs.yaml")).run(store, bench_cycle.AS_OF)
    return {
        "values": {r.binding.kr.id: r.evaluated.value for r in report.results},
        "calls": {vendor_of[s]: o.stats.calls for s, o in report.sources.items()},
        "failed": len(report.failures),
    }


def test_cheapest_strategies_give_the_plain_values_with_fewer_calls(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheapest = sync(workspace, "cheapest")
    monkeypatch.setitem(collect.run_connector.__kwdefaults__, "choose", cost.plain)
    plain = sync(workspace, "plain")
    assert len(cheapest["values"]) == BINDINGS
    assert cheapest["values"] == plain["values"]
    assert cheapest["failed"] == plain["failed"] == 0
    for vendor in ("ga4", "salesforce", "hubspot", "zendesk", "sql"):
        assert cheapest["calls"][vendor] < plain["calls"][vendor], vendor
