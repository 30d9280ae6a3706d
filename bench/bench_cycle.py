"""One sync cycle of N generated KR bindings against the vendor sandboxes, vs a cron script.

Run by hand (nothing here is timed in CI; a smoke run with a few bindings is a test):

    .venv/bin/python bench/bench_cycle.py [--bindings 1000] [--latency 0.08]

The sandboxes (GA4, Salesforce, HubSpot, Zendesk; SQL reads a local SQLite warehouse) answer
every request after ``--latency`` seconds and enforce their vendors' documented limits (HubSpot
5 searches/s and 190 calls per 10 s, Zendesk 700 calls/min and 10 exports/min, GA4 10
concurrent requests). ``bench/workload.py`` writes the config. In one invocation it measures,
each in its own process (wall of the work, CPU and peak RSS of the process):

(a) ``syncd``: one sync cycle (config load, plan, collect, store into a fresh SQLite file);
(b) ``baseline``: the official clients called one KR after another, one request per operand,
    as a cron script would (sleeping on a 429 as its Retry-After says);
(c) ``floor`` per source: max(requests × latency / concurrency, requests / rate limit) for the
    requests syncd chose, with the vendor's limits; the cycle's floor is the slowest source's.

Upstream requests are counted by the sandboxes (SQL: statements executed); the ``syncd s`` row
is each source's collect time in the syncd run (the sandboxes share this process's CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload

REPO = Path(__file__).resolve().parents[1]
ZURICH = ZoneInfo("Europe/Zurich")
AS_OF = datetime(2026, 11, 21, 10, 30, tzinfo=ZURICH)
VENDOR_OF = {source: vendor for vendor, source in workload.SOURCE_OF.items()}

# The vendors' documented limits: (concurrency, requests per second); None where the vendor sets
# none (then the source's own concurrency bound, syncd's default, applies).
VENDOR_LIMITS: dict[str, tuple[int | None, float | None]] = {
    "ga4": (10, None),
    "salesforce": (25, None),
    "hubspot": (None, 5.0),
    "zendesk": (None, 700 / 60),
    "sql": (None, None),
}


# ---- the sandboxes --------------------------------------------------------------------------


def _with_latency(sandbox: Any, seconds: float) -> None:
    """Every request to ``sandbox`` waits ``seconds`` (armed faults still come first)."""
    from syncd.testing.sandbox import Fault

    take = sandbox.faults.take

    def slow(path: str, method: str | None = None) -> Fault | None:
        armed = take(path, method)
        return armed if armed is not None else Fault(path, status=None, latency=seconds)

    sandbox.faults.take = slow


def start_sandboxes(
    stack: ExitStack, workdir: Path, latency: float, as_of: datetime = AS_OF
) -> dict[str, Any]:
    """The four vendor sandboxes, started, their clocks at ``as_of``, each with ``latency``."""
    from connectors.ga4.sandbox import Ga4Sandbox
    from connectors.hubspot.sandbox import HubSpotSandbox
    from connectors.salesforce.sandbox import SalesforceSandbox
    from connectors.zendesk.sandbox import ZendeskSandbox

    sandboxes = {
        "ga4": Ga4Sandbox(clock=lambda: as_of),
        "salesforce": SalesforceSandbox(
            ca_file=workdir / "salesforce-ca.pem", today=as_of.date(), daily_limit=1_000_000
        ),
        "hubspot": HubSpotSandbox(),  # 5 searches/s, 190 calls per 10 s
        "zendesk": ZendeskSandbox(now=as_of),  # 700/min, exports 10/min
    }
    for sandbox in sandboxes.values():
        sandbox.start()
        stack.callback(sandbox.stop)
        _with_latency(sandbox, latency)
    return sandboxes


def upstream_counts(sandboxes: dict[str, Any]) -> dict[str, int]:
    return {vendor: len(sandbox.requests) for vendor, sandbox in sandboxes.items()}


# ---- the child processes --------------------------------------------------------------------


def run_syncd(config_path: Path, workdir: Path) -> dict[str, Any]:
    """(a): one ``syncd sync`` cycle, as the CLI runs it."""
    from syncd import logs
    from syncd.config import load_config
    from syncd.store import Store
    from syncd.sync import Syncer

    logs.configure(level="error")
    started = time.perf_counter()
    loaded = load_config(config_path)
    with Store.open(f"sqlite:///{workdir / 'syncd-store.db'}") as store:
        report = Syncer(loaded).run(store, AS_OF)
    wall = time.perf_counter() - started
    calls: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for source, outcome in report.sources.items():
        calls[VENDOR_OF.get(source, source)] = outcome.stats.calls
        seconds[VENDOR_OF.get(source, source)] = outcome.duration
    values = {r.binding.kr.id: r.evaluated.value for r in report.results}
    return {
        "wall": wall,
        "calls": calls,
        "seconds": seconds,
        "values": values,
        "failed": len(report.failures),
    }


class Baseline:
    """The cron script: official clients, one KR at a time, one request per operand."""

    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        from google.analytics.data_v1beta import BetaAnalyticsDataClient
        from google.auth.credentials import AnonymousCredentials
        from hubspot import HubSpot

        self.config = config
        self.sources = config["sources"]
        self.sql_statements = 0
        web = self.sources["web"]
        self.ga4 = BetaAnalyticsDataClient(
            transport="rest",
            client_options={"api_endpoint": web["endpoint"]},
            credentials=AnonymousCredentials(),
        )
        self.hubspot = HubSpot(
            access_token="pat-sandbox-0000-private-app", host=self.sources["crm"]["endpoint"]
        )
        self.warehouse = sqlite3.connect(self.sources["warehouse"]["url"][len("sqlite:///") :])
        self._salesforce: Any = None
        import requests

        self.http = requests.Session()
        self.http.auth = ("ops@acme.example/token", "sandbox-token")
        self.pipelines: dict[str, str] = {}
        self.dispatch: dict[str, Callable[[dict[str, Any], str], float | None]] = {
            "ga4": self.ga4_report,
            "salesforce": self.salesforce_query,
            "hubspot": self.hubspot_search,
            "zendesk": self.zendesk,
            "sql": self.sql,
        }

    @property
    def salesforce(self) -> Any:
        if self._salesforce is None:
            import requests
            from simple_salesforce import Salesforce

            sales = self.sources["sales"]
            # requests lets REQUESTS_CA_BUNDLE override Session.verify (psf/requests#3829).
            os.environ["REQUESTS_CA_BUNDLE"] = sales["ca_bundle"]
            session = requests.Session()
            session.verify = sales["ca_bundle"]
            token = session.post(
                f"{sales['login_url']}/services/oauth2/token",
                data={
                    "grant_type": "password",
                    "username": "bot@syncd.example",
                    "password": "sandbox-password" + "sandboxtoken",
                    "client_id": "syncd-sandbox-app",
                    "client_secret": "sandbox-client-secret",
                },
            ).json()
            self._salesforce = Salesforce(
                instance_url=sales["login_url"], session_id=token["access_token"], session=session
            )
        return self._salesforce

    # -- windows, as a script computes them: whole local days up to today ---------------------

    @staticmethod
    def days(window: str) -> tuple[date, date]:
        today = AS_OF.date()
        if window.startswith("trailing_"):
            return today - timedelta(days=int(window[9:-1])), today
        if window == "calendar_month":
            return today.replace(day=1), today
        return date(2026, 10, 1), today  # cycle_to_date

    def value(self, metric_name: str, window: str | None = None) -> float | None:
        metric = self.config["metrics"][metric_name]
        window = window or metric.get("window", "cycle_to_date")
        if "ratio" in metric:
            numerator = self.value(metric["ratio"]["numerator"], window)
            denominator = self.value(metric["ratio"]["denominator"], window)
            return None if not denominator or numerator is None else numerator / denominator
        return self.dispatch[VENDOR_OF[metric["source"]]](metric["query"], window)

    def ga4_report(self, query: dict[str, Any], window: str) -> float:
        from google.analytics.data_v1beta.types import (
            DateRange,
            Filter,
            FilterExpression,
            FilterExpressionList,
            Metric,
            RunReportRequest,
        )

        first, end = self.days(window)
        name = query["metric"]
        expressions = []
        for dimension, wanted in query.get("filter", {}).items():
            if isinstance(wanted, dict):
                match = Filter.StringFilter(
                    match_type=Filter.StringFilter.MatchType.BEGINS_WITH,
                    value=wanted["begins_with"],
                )
            else:
                match = Filter.StringFilter(value=wanted)
            expressions.append(
                FilterExpression(filter=Filter(field_name=dimension, string_filter=match))
            )
        request = RunReportRequest(
            property=f"properties/{self.sources['web']['property']}",
            date_ranges=[DateRange(start_date=str(first), end_date=str(end - timedelta(days=1)))],
            metrics=[Metric(name=name)],
        )
        if expressions:
            request.dimension_filter = FilterExpression(
                and_group=FilterExpressionList(expressions=expressions)
            )
        report = self.ga4_client_call(request)
        return sum(float(row.metric_values[0].value) for row in report.rows)

    def ga4_client_call(self, request: Any) -> Any:
        return _retrying(lambda: self.ga4.run_report(request))

    def sql(self, query: dict[str, Any], window: str) -> float | None:
        first, end = self.days(window)
        start = datetime.combine(first, datetime.min.time(), ZURICH).astimezone(UTC)
        stop = datetime.combine(end, datetime.min.time(), ZURICH).astimezone(UTC)
        params = {
            **query.get("params", {}),
            "start_date": first.isoformat(),
            "end_date": end.isoformat(),
            "window_start": start.strftime("%Y-%m-%d %H:%M:%S"),
            "window_end": stop.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.sql_statements += 1
        row = self.warehouse.execute(query["sql"], params).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def hubspot_search(self, query: dict[str, Any], window: str) -> float:
        first, end = self.days(window)
        bounds = [
            int(datetime.combine(day, datetime.min.time(), ZURICH).timestamp() * 1000)
            for day in (first, end)
        ]
        filters: list[dict[str, Any]] = [
            {"propertyName": query["date_property"], "operator": "GTE", "value": bounds[0]},
            {"propertyName": query["date_property"], "operator": "LT", "value": bounds[1]},
        ]
        if "pipeline" in query:
            pipeline, stages = self.hubspot_stages(query["pipeline"], query["stages"])
            filters.append({"propertyName": "pipeline", "operator": "EQ", "value": pipeline})
            filters.append({"propertyName": "dealstage", "operator": "IN", "values": stages})
        for extra in query.get("filters", []):
            filters.append({"propertyName": extra["property"], "operator": "EQ", **extra})
            filters[-1].pop("property")
        api = self.hubspot.crm.objects.search_api
        body: dict[str, Any] = {"filterGroups": [{"filters": filters}], "limit": 1}
        if query.get("aggregate", "count") == "count":
            page = _retrying(lambda: api.do_search(query["object"], body))
            return float(page.total)
        body.update(limit=200, properties=[query["property"]])
        total, after = 0.0, None
        while True:
            if after is not None:
                body["after"] = after
            page = _retrying(lambda: api.do_search(query["object"], body))
            total += sum(float(r.properties.get(query["property"]) or 0) for r in page.results)
            if page.paging is None or page.paging.next is None:
                return total
            after = page.paging.next.after

    def hubspot_stages(self, pipeline: str, labels: list[str]) -> tuple[str, list[str]]:
        if not self.pipelines:
            pipelines = _retrying(lambda: self.hubspot.crm.pipelines.pipelines_api.get_all("deals"))
            for found in pipelines.results:
                self.pipelines[found.label] = found.id
                for stage in found.stages:
                    self.pipelines[f"{found.label}/{stage.label}"] = stage.id
        return self.pipelines[pipeline], [self.pipelines[f"{pipeline}/{s}"] for s in labels]

    def zendesk(self, query: dict[str, Any], window: str) -> float | None:
        base = self.sources["support"]["url"].rstrip("/") + "/api/v2"
        first, end = self.days(window)
        start, stop = (_midnight(day) for day in (first, end))
        span = f"{start:%Y-%m-%dT%H:%M:%SZ}"
        measure = query.get("measure", "count")

        def count(search: str) -> int:
            answer = self.zendesk_get(f"{base}/search/count.json", {"query": search})
            return int(answer["count"])

        if measure == "backlog":
            return count(f"type:ticket {query['search']} status<solved")
        if measure in ("count", "solved_created_ratio"):
            by = query.get("by", "created")
            search = query["search"].replace("type:ticket ", "")
            created = count(f"type:ticket {search} {by}>={span} {by}<{stop:%Y-%m-%dT%H:%M:%SZ}")
            if measure == "count":
                return created
            solved = count(f"type:ticket {search} solved>={span} solved<{stop:%Y-%m-%dT%H:%M:%SZ}")
            return solved / created if created else None
        if measure == "csat":
            good = bad = 0
            url: str | None = f"{base}/satisfaction_ratings.json"
            params: dict[str, Any] | None = {
                "score": "received",
                "start_time": int(start.timestamp()),
                "end_time": int(stop.timestamp()) - 1,
                "page[size]": 100,
            }
            while url:
                answer = self.zendesk_get(url, params)
                for rating in answer["satisfaction_ratings"]:
                    good += rating["score"] == "good"
                    bad += rating["score"] == "bad"
                url = answer["links"]["next"] if answer["meta"]["has_more"] else None
                params = None
            return good / (good + bad) if good + bad else None
        # ticket measures: the incremental export from the window's start, every page
        tickets: list[dict[str, Any]] = []
        url = f"{base}/incremental/tickets/cursor.json"
        params = {"start_time": int(start.timestamp()), "include": "metric_sets"}
        while url:
            answer = self.zendesk_get(url, params)
            tickets.extend(answer["tickets"])
            url = None if answer["end_of_stream"] else answer["after_url"]
            params = None
        created = [t for t in tickets if span <= t["created_at"] < f"{stop:%Y-%m-%dT%H:%M:%SZ}"]
        if measure == "tickets":
            tag = query["where"]["tags"][0]
            matching = [t for t in created if tag in t["tags"]]
            return len(matching) / len(created) if created else None
        return float(len(created))

    def zendesk_get(self, url: str, params: dict[str, Any] | None) -> Any:
        while True:
            response = self.http.get(url, params=params)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            response.raise_for_status()
            return response.json()

    def salesforce_query(self, query: dict[str, Any], window: str) -> float | None:
        first, end = self.days(window)
        start, stop = (_midnight(day) for day in (first, end))
        literals = {
            "window_start": first.isoformat(),
            "window_end": end.isoformat(),
            "window_start:datetime": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "window_end:datetime": f"{stop:%Y-%m-%dT%H:%M:%SZ}",
            **{name: f"'{value}'" for name, value in query.get("params", {}).items()},
        }
        soql = re.sub(r"\{([a-z_:]+)\}", lambda m: literals[m.group(1)], query["soql"])
        answer = self.salesforce.query_all(soql)
        if soql.startswith("SELECT COUNT()"):
            return float(answer["totalSize"])
        value = answer["records"][0]["expr0"] if answer["records"] else None
        return float(value) if value is not None else float(query.get("if_null", 0))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZURICH).astimezone(UTC)


def _retrying(call: Callable[[], Any]) -> Any:
    """What a cron script does on a 429: wait a second and try again."""
    from hubspot.crm.objects.exceptions import ApiException

    while True:
        try:
            return call()
        except ApiException as error:
            if error.status != 429:
                raise
            time.sleep(1.0)


def run_baseline(config_path: Path, workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    config = yaml.safe_load(config_path.read_text())
    script = Baseline(config, workdir)
    values: dict[str, float | None] = {}
    for objective in config["objectives"]:
        for kr in objective["key_results"]:
            values[kr["id"]] = script.value(kr["metric"])
    wall = time.perf_counter() - started
    return {"wall": wall, "calls": {"sql": script.sql_statements}, "values": values, "failed": 0}


# ---- the parent -----------------------------------------------------------------------------


def child(role: str, config_path: Path, workdir: Path) -> dict[str, Any]:
    """Run ``role`` in its own process; its result plus the process's CPU and peak RSS."""
    command = [sys.executable, __file__, "--role", role, "--config", str(config_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=workdir)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench_cycle: the {role} run failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(output)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def floor(calls: dict[str, int], latency: float, config: dict[str, Any]) -> dict[str, float]:
    """Per vendor: max(requests × latency / concurrency, requests / rate)."""
    floors: dict[str, float] = {}
    for vendor, requests in calls.items():
        concurrency, rate = VENDOR_LIMITS.get(vendor, (None, None))
        source = config["sources"][workload.SOURCE_OF[vendor]]
        concurrency = concurrency or source.get("concurrency") or 4
        wire = latency if vendor != "sql" else 0.0
        floors[vendor] = max(requests * wire / concurrency, requests / rate if rate else 0.0)
    return floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindings", type=int, default=1000, help="KRs to generate")
    parser.add_argument("--latency", type=float, default=0.08, help="seconds per request")
    parser.add_argument("--skip-baseline", action="store_true", help="measure syncd only")
    parser.add_argument("--role", choices=("syncd", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        runner = run_syncd if args.role == "syncd" else run_baseline
        print(json.dumps(runner(args.config, Path.cwd())))
        return

    from syncd.demo.sample import generate as generate_warehouse

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        generate_warehouse(workdir / "sample.db")
        sandboxes = start_sandboxes(stack, workdir, args.latency)
        endpoints = workload.Endpoints(
            ga4=sandboxes["ga4"].url,
            salesforce=sandboxes["salesforce"].url,
            salesforce_ca=str(workdir / "salesforce-ca.pem"),
            hubspot=sandboxes["hubspot"].url,
            zendesk=sandboxes["zendesk"].url,
            warehouse=str(workdir / "sample.db"),
        )
        config = workload.generate(args.bindings, endpoints)
        config_path = workdir / "okrs.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        results: dict[str, dict[str, Any]] = {}
        for role in ("syncd",) if args.skip_baseline else ("syncd", "baseline"):
            if role == "baseline" and results["syncd"]["requests"]["hubspot"] > 100:
                time.sleep(10.0)  # a fresh HubSpot 10-second window for the script
            before = upstream_counts(sandboxes)
            result = child(role, config_path, workdir)
            after = upstream_counts(sandboxes)
            requests = {vendor: after[vendor] - before[vendor] for vendor in after}
            requests["sql"] = result["calls"].get("sql", 0)
            result["requests"] = requests
            results[role] = result
    report(args, results, floor(results["syncd"]["requests"], args.latency, config))


def report(
    args: argparse.Namespace, results: dict[str, dict[str, Any]], floors: dict[str, float]
) -> None:
    vendors = list(workload.VENDOR_SHARES)
    syncd = results["syncd"]
    print(
        f"bench_cycle: {args.bindings} bindings, latency {args.latency * 1000:.0f} ms, "
        f"as of {AS_OF.isoformat()} ({syncd['failed']} KRs without a value in syncd)"
    )
    print("{:<10}".format("requests") + "".join(f"{v:>11}" for v in vendors) + f"{'total':>9}")
    for role, result in results.items():
        counts = result["requests"]
        print(
            f"{role:<10}"
            + "".join(f"{counts.get(v, 0):>11}" for v in vendors)
            + f"{sum(counts.values()):>9}"
        )
    seconds = syncd.get("seconds", {})
    print(
        f"{'syncd s':<10}"
        + "".join(f"{seconds.get(v, 0):>11.2f}" for v in vendors)
        + f"{max(seconds.values(), default=0):>9.2f}"
    )
    print(
        f"{'floor s':<10}"
        + "".join(f"{floors.get(v, 0):>11.2f}" for v in vendors)
        + f"{max(floors.values()):>9.2f}"
    )
    print(f"{'':<10}{'wall s':>9}{'CPU s':>9}{'RSS MB':>9}{'requests':>10}")
    for role, result in results.items():
        total = sum(result["requests"].values())
        print(
            f"{role:<10}{result['wall']:>9.2f}{result['cpu']:>9.2f}"
            f"{result['rss_mb']:>9.0f}{total:>10}"
        )
    cycle_floor = max(floors.values())
    print(f"{'floor':<10}{cycle_floor:>9.2f}")
    if "baseline" in results:
        base = results["baseline"]
        fewer = sum(base["requests"].values()) / max(1, sum(syncd["requests"].values()))
        print(
            f"baseline/syncd: {fewer:.1f}× requests, {base['wall'] / syncd['wall']:.1f}× wall, "
            f"{base['cpu'] / syncd['cpu']:.1f}× CPU"
        )
        same = sum(
            1
            for kr, value in syncd["values"].items()
            if value is not None
            and base["values"].get(kr) is not None
            and abs(value - base["values"][kr]) <= 1e-6 * max(1.0, abs(value))
        )
        print(f"values equal in syncd and the baseline: {same} of {len(syncd['values'])} KRs")
    print(f"syncd/floor: {syncd['wall'] / cycle_floor if cycle_floor else float('inf'):.2f}× wall")


if __name__ == "__main__":
    main()
