"""The provisioned Grafana dashboard (docs/grafana) reads only metrics syncd exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ruamel.yaml import YAML

from syncd.observe.metrics import Telemetry

GRAFANA = Path(__file__).resolve().parents[2] / "docs" / "grafana"


def exposed() -> set[str]:
    body, _ = Telemetry().render()
    names = set(re.findall(r"^# HELP (\S+) ", body.decode(), re.M))
    # Counters and histograms are queried by their sample names.
    return names | {f"{name}_total" for name in names} | {f"{name}_bucket" for name in names}


def test_every_query_names_a_metric_syncd_exposes():
    dashboard = json.loads((GRAFANA / "syncd-dashboard.json").read_text())
    assert dashboard["uid"] == "syncd-okrs"
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    expressions += [
        v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"
    ]
    used = {name for expr in expressions for name in re.findall(r"\bsyncd_[a-z_]+", expr)}
    assert used, "the dashboard queries syncd's metrics"
    assert used <= exposed(), used - exposed()
    assert {"syncd_kr_value", "syncd_kr_expected", "syncd_kr_target", "syncd_kr_score"} <= used
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_provisioning_files_are_valid_yaml_pointing_at_the_dashboard_folder():
    yaml = YAML(typ="safe")
    provider = yaml.load((GRAFANA / "provisioning" / "dashboards" / "syncd.yaml").read_text())
    assert provider["providers"][0]["type"] == "file"
    source = yaml.load((GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    assert source["datasources"][0]["type"] == "prometheus"
