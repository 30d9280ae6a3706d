"""The CLI as a user runs it: a subprocess in a fresh directory, on the demo's sample data.

Expected KR values are computed here straight from the sample database with sqlite3 and the
standard library, independently of syncd's windows, connectors and evaluator.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from connectors.sheets import data as sheets_data
from syncd.demo.sample import SEED

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "config" / "demo.yaml"
AS_OF = "2026-11-21T10:30"  # Europe/Zurich (CET, UTC+1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def syncd(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["COLUMNS"] = "80"  # piped at 80 columns, as cron mail and less see it
    result = subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"syncd {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's directory and what it printed."""
    workdir = tmp_path_factory.mktemp("demo")
    result = syncd("demo", "--once", "--as-of", AS_OF, cwd=workdir)
    problems = [line for line in result.stderr.splitlines() if "warning" in line or "error" in line]
    assert "backfilled and synced" in result.stdout, result.stderr[-3000:]
    assert "0 failures" in result.stdout, "\n".join(problems[:20])
    # The sandboxes took free ports, printed and written to the config later commands use.
    ports = {
        int(url.rsplit(":", 1)[1])
        for url in re.findall(r"https?://127\.0\.0\.1:\d+", result.stdout)
    }
    assert len(ports) >= 5 and not ports & {
        8701,
        8702,
        8703,
        8704,
        8705,
        8706,
        8707,
        8708,
        8709,
        8710,
        9466,
    }
    written = (workdir / ".syncd-demo" / "demo.yaml").read_text()
    assert all(f"127.0.0.1:{port}" in written for port in ports)
    assert "backfill 2026-10-01 (1/52)" in result.stderr  # progress, one line a day when piped
    return workdir, result.stdout


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


@pytest.fixture(scope="module")
def sample(demo_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(demo_dir / ".syncd-demo" / "sample.db")


@pytest.fixture(scope="module")
def status(demo_dir: Path) -> dict:
    # No -c: after `syncd demo` in this directory the demo config is found by itself.
    result = syncd("status", "--format", "json", "--as-of", AS_OF, cwd=demo_dir)
    return {kr["id"]: kr for kr in json.loads(result.stdout)["key_results"]}


def scalar(db: sqlite3.Connection, sql: str, *params: object) -> float:
    return db.execute(sql, params).fetchone()[0]


DEMO_KRS = {
    # GA4 sandbox
    "booking-5d": "web",
    "conversion-rate": "web",
    "blog-organic-traffic": "web",
    # Salesforce sandbox (TLS)
    "newcomer-revenue": "sales",
    "revenue-per-customer": "sales",
    "open-case-backlog": "sales",
    # HubSpot sandbox
    "win-rate": "crm",
    "new-customers": "crm",
    "churn": "crm",
    # Zendesk sandbox
    "first-reply-time": "support",
    "support-csat": "support",
    "ticket-backlog": "support",
    # Matomo sandbox
    "newsletter-signups": "analytics",
    # Mixpanel sandbox
    "activation-7d": "product",
    # Amplitude sandbox
    "report-sharing": "app",
    # Google Sheets sandbox
    "survey-score": "customer_research",
    # Jira sandbox (Cloud)
    "escaped-bugs": "delivery",
    # the sample warehouse and check-ins
    "onboarding-satisfaction": "warehouse",
    "onboarding-support-cost": "warehouse",
    "nps": "manual",
}


def test_every_demo_kr_has_a_value_and_a_status(status: dict) -> None:
    assert sorted(status) == sorted(DEMO_KRS)
    for kr in status.values():
        assert kr["value"] is not None, kr
        assert kr["status"] in {"on_track", "at_risk", "off_track", "achieved"}, kr
        assert set(kr) >= {
            "id",
            "objective",
            "value",
            "baseline",
            "target",
            "attainment",
            "score",
            "expected",
            "status",
            "forecast",
            "as_of",
        }


def test_each_kr_came_from_its_vendor_sandbox(demo_dir: Path) -> None:
    for kr, source in DEMO_KRS.items():
        rows = json.loads(syncd("history", kr, "--format", "json", cwd=demo_dir).stdout)
        assert {m["source"] for m in rows["measurements"]} == {source}, kr


def test_matomo_kr_value_matches_the_raw_visits(status: dict) -> None:
    # Daily slot 00:00 local; trailing 28 days → the site's (Europe/Zurich) days 24 Oct … 20 Nov.
    from connectors.matomo.data import generate
    from syncd.demo.sample import SEED

    zurich = ZoneInfo("Europe/Zurich")
    signups = sum(
        goal == 1
        for visit in generate(SEED)
        if date(2026, 10, 24) <= visit.started_at.astimezone(zurich).date() <= date(2026, 11, 20)
        for goal, _ in visit.conversions
    )
    assert signups > 50
    assert status["newsletter-signups"]["value"] == signups


def test_warehouse_kr_values_match_the_raw_rows(status: dict, sample: sqlite3.Connection) -> None:
    # Daily slot 00:00 local; trailing 28 days → whole local days 24 Oct … 20 Nov.
    satisfaction = scalar(
        sample,
        "SELECT AVG(score) FROM survey_responses WHERE topic = 'onboarding' "
        "AND answered_on BETWEEN '2026-10-24' AND '2026-11-20'",
    )
    assert status["onboarding-satisfaction"]["value"] == pytest.approx(satisfaction)
    # Local midnights 24 Oct (CEST) and 21 Nov (CET) in UTC.
    minutes = scalar(
        sample,
        "SELECT SUM(handling_minutes) FROM tickets WHERE tags = 'onboarding' "
        "AND created_at >= '2026-10-23 22:00:00' AND created_at < '2026-11-20 23:00:00'",
    )
    assert status["onboarding-support-cost"]["value"] == pytest.approx(minutes / 60 * 55)
    assert status["nps"]["value"] == 61.0


def test_mixpanel_activation_matches_the_raw_events(status: dict) -> None:
    # Unique users of each event on the project's (Zurich) days 24 Oct … 20 Nov, from the
    # sandbox's raw seeded events: the data module, plain records, not the connector.
    from connectors.mixpanel.data import generate

    zurich = ZoneInfo("Europe/Zurich")

    def users(name: str) -> set[str]:
        return {
            e.distinct_id
            for e in generate(20261001)
            if e.name == name
            and date(2026, 10, 24) <= e.time.astimezone(zurich).date() <= date(2026, 11, 20)
        }

    expected = len(users("Activated")) / len(users("Signed up"))
    assert status["activation-7d"]["value"] == pytest.approx(expected)


def test_amplitude_kr_matches_the_raw_events(status: dict) -> None:
    # The sandbox's seeded events, counted by hand over the same 28 Zurich days.
    from connectors.amplitude.data import SHARED, generate
    from syncd.demo.sample import SEED

    zurich = ZoneInfo("Europe/Zurich")
    first, last = date(2026, 10, 24), date(2026, 11, 20)
    days = [
        e
        for e in generate(SEED, zurich).events
        if first <= e.time.astimezone(zurich).date() <= last
    ]
    sharers = {e.user.id for e in days if e.type == SHARED}
    assert status["report-sharing"]["value"] == pytest.approx(
        len(sharers) / len({e.user.id for e in days})
    )


def test_sheets_kr_is_the_raw_cell_of_the_month(status: dict) -> None:
    # Daily slot 00:00 on 21 Nov; calendar_month → 1 … 20 Nov; the month's row is dated the 1st.
    survey = next(s for s in sheets_data.generate(SEED).sheets if s.title == "Survey")
    (row,) = [r for (r, c), v in survey.cells.items() if c == 1 and v == 46327]  # 2026-11-01
    assert status["survey-score"]["value"] == survey.cells[(row, 3)]


def test_jira_kr_value_matches_the_raw_issues(status: dict) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from connectors.jira.data import generate

    # Daily slot 00:00 local; trailing 30 days → whole local days 22 Oct … 20 Nov, as JQL
    # reads them in the account's zone (Europe/Zurich).
    zurich = ZoneInfo("Europe/Zurich")
    start, end = datetime(2026, 10, 22, tzinfo=zurich), datetime(2026, 11, 21, tzinfo=zurich)
    escaped = [
        issue
        for issue in generate(20261001).issues
        if issue.project == "ABC"
        and issue.issue_type == "Bug"
        and "escaped" in issue.labels
        and start <= issue.created_at < end
    ]
    assert status["escaped-bugs"]["value"] == len(escaped)


def test_status_numbers_follow_the_progress_rules(status: dict) -> None:
    kr = status["conversion-rate"]
    assert kr["attainment"] == pytest.approx((kr["value"] - 0.032) / (0.055 - 0.032))
    assert kr["score"] == pytest.approx(min(max(kr["attainment"], 0.0), 1.0))
    # 51 days and 10 hours (+1 h for the DST change) of a 92-day cycle have passed.
    elapsed = (51 * 24 + 10 + 1) / (92 * 24 + 1)
    assert kr["expected"] == pytest.approx(elapsed, abs=1e-3)


def test_sync_again_in_the_same_slot_writes_no_new_rows(demo_dir: Path) -> None:
    kr = "onboarding-satisfaction"
    before = json.loads(syncd("history", kr, "--format", "json", cwd=demo_dir).stdout)
    result = syncd("sync", "--kr", kr, "--as-of", "2026-11-21T10:59", cwd=demo_dir)
    assert "1 measured, 0 failed" in result.stdout and " 0 new" in result.stdout
    after = json.loads(syncd("history", kr, "--format", "json", cwd=demo_dir).stdout)
    assert len(after["measurements"]) == len(before["measurements"])
    # One per backfilled day: the ends of 1 Oct … 20 Nov (the 21 Nov daily slot is 00:00).
    assert len(before["measurements"]) == 51


def test_preview_runs_the_query_and_stores_nothing(demo_dir: Path, status: dict) -> None:
    kr = "onboarding-satisfaction"
    before = syncd("history", kr, "--format", "json", cwd=demo_dir).stdout
    result = syncd("preview", kr, "--as-of", AS_OF, cwd=demo_dir)
    assert "SELECT AVG(score) FROM survey_responses" in result.stdout
    assert f"{status[kr]['value']:.6g}" in result.stdout
    assert "nothing stored" in result.stdout
    assert syncd("history", kr, "--format", "json", cwd=demo_dir).stdout == before


def test_checkin_outside_the_declared_range_is_refused(demo_dir: Path) -> None:
    result = syncd("checkin", "nps", "150", cwd=demo_dir, check=False)
    assert result.returncode == 2
    assert "100" in result.stderr
    result = syncd("checkin", "conversion-rate", "0.05", cwd=demo_dir, check=False)
    assert result.returncode == 2
    assert "check-ins are for KRs without a metric or with a manual source" in result.stderr


def test_status_table_shows_every_kr(demo_dir: Path) -> None:
    result = syncd("status", "--as-of", AS_OF, cwd=demo_dir)
    for title in ("Conversion rate from 3.2 % to 5.5 %", "NPS from 50 to 70"):
        assert title in result.stdout


def test_validate_and_schema(demo_dir: Path) -> None:
    result = syncd("validate", "-c", str(DEMO), cwd=demo_dir)
    assert "valid:" in result.stdout
    # The example references production secrets: validate checks their syntax only…
    example = REPO / "config" / "example.yaml"
    result = syncd("validate", str(example), cwd=demo_dir)
    assert "valid: 1 file(s), 5 objectives, 17 key results, 0 warning(s)" in result.stdout
    # …and reads them, as a sync would, with --secrets.
    result = syncd("validate", "--secrets", str(example), cwd=demo_dir, check=False)
    assert result.returncode == 2
    assert "environment variable SYNCD_DB_PASSWORD is not set" in result.stderr
    schema = json.loads(syncd("schema", cwd=demo_dir).stdout)
    assert "objectives" in schema["properties"]


def test_a_bad_config_names_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "okrs.yaml"
    bad.write_text(
        DEMO.read_text().replace("baseline: 0.40, target: 0.70", "baseline: 0.70, target: 0.70")
    )
    result = syncd("validate", "-c", str(bad), cwd=tmp_path, check=False)
    assert result.returncode == 2
    line = next(
        n for n, text in enumerate(bad.read_text().splitlines(), 1) if "id: booking-5d" in text
    )
    assert f"{bad}:{line}" in result.stderr
    assert "objectives[0].key_results[0]" in result.stderr
    assert "nothing to make progress on" in result.stderr


def test_an_unreachable_store_is_exit_3_without_the_password(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("hunter2secret\n")
    config = tmp_path / "syncd.yaml"
    config.write_text(
        DEMO.read_text().replace(
            "store: sqlite:///.syncd-demo/syncd.db",
            f'store: "postgresql+psycopg://syncd:${{file:{password}}}@127.0.0.1:1/syncd"',
        )
    )
    result = syncd("status", "-c", str(config), cwd=tmp_path, check=False)
    assert result.returncode == 3
    assert "127.0.0.1:1" in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_cycle_review_and_export(demo_dir: Path, status: dict) -> None:
    review = json.loads(
        syncd(
            "report", "--cycle", "2026-Q4", "--format", "json", "--as-of", AS_OF, cwd=demo_dir
        ).stdout
    )
    scores = {
        kr["id"]: kr["score"]
        for section in ("committed", "aspirational")
        for objective in review[section]["objectives"]
        for kr in objective["key_results"]
    }
    assert scores.keys() == DEMO_KRS.keys()
    assert scores["conversion-rate"] == pytest.approx(status["conversion-rate"]["score"])
    markdown = syncd("report", "--cycle", "2026-Q4", "--as-of", AS_OF, cwd=demo_dir).stdout
    assert "# Cycle review 2026-Q4" in markdown and "Committed objectives" in markdown
    assert syncd("report", "--cycle", "2027-Q1", cwd=demo_dir, check=False).returncode == 2

    exported = syncd("export", "--format", "csv", "--kr", "nps", cwd=demo_dir)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(row["kr"], float(row["value"]), row["note"]) for row in rows] == [
        ("nps", 54.0, "survey wave 1"),
        ("nps", 61.0, "wave 2"),
    ]
    assert "2 measurements exported" in exported.stderr


def test_weekly_digest_preview(demo_dir: Path) -> None:
    text = syncd("digest", "--team", "support", "--as-of", AS_OF, cwd=demo_dir).stdout
    assert text.startswith("# Weekly OKR digest: support")
    for title in ("Median first reply from 4 h to 2 h", "Good ratings from 78 % to 90 %"):
        assert title in text
    assert syncd("digest", "--team", "nobody", cwd=demo_dir, check=False).returncode == 2


def test_serve_answers_only_with_the_token(demo_dir: Path, status: dict) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["SYNCD_DASHBOARD_TOKEN"] = "dash-token-7"
    server = subprocess.Popen(
        [sys.executable, "-m", "syncd", "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=demo_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert f"dashboard: http://127.0.0.1:{port}/" in server.stdout.readline()
        url = f"http://127.0.0.1:{port}/api/v1/key-results"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(url, headers={"Authorization": "Bearer dash-token-7"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            served = {kr["id"]: kr for kr in json.load(answer)["key_results"]}
        assert served.keys() == DEMO_KRS.keys()
        assert served["nps"]["value"] == status["nps"]["value"]
    finally:
        server.terminate()
        server.wait(10)


def test_the_demo_shows_owners_confidence_and_notes(demo_dir: Path) -> None:
    document = json.loads(syncd("status", "-f", "json", "--as-of", AS_OF, cwd=demo_dir).stdout)
    krs = {kr["id"]: kr for kr in document["key_results"]}
    booking = krs["booking-5d"]
    assert (booking["owner"], booking["confidence"]) == ("Lea Meier", "at_risk")
    assert booking["note"] == "the guided search ships two weeks late"
    assert krs["nps"]["confidence"] == "on_track"
    objectives = {o["id"]: o for o in document["objectives"]}
    assert objectives["fast-support"]["parent"] == "existing-customers"
    assert objectives["existing-customers"]["children"] == ["fast-support"]


ZURICH = ZoneInfo("Europe/Zurich")


def stored_instant(text: str) -> datetime:
    """A time column of the SQLite store (UTC, without its zone)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def check_in_day(start: datetime, end: datetime) -> date:
    """The Zurich day a value is for: the last instant its window covers, a snapshot's own."""
    last = end if start == end else end - timedelta(microseconds=1)
    return last.astimezone(ZURICH).date()


def demo_pushes() -> dict[str, set[str]]:
    """Sink → the KRs config/demo.yaml maps to it, read from the YAML itself."""
    config = yaml.safe_load(DEMO.read_text())
    pushes: dict[str, set[str]] = {name: set() for name in config["sinks"]}
    for objective in config["objectives"]:
        for kr in objective["key_results"]:
            for sink in kr.get("push", {}):
                pushes[sink].add(kr["id"])
    return pushes


def test_the_demo_pushes_each_days_value_once_to_perdoo_and_sheets(
    demo_run: tuple[Path, str], sample: sqlite3.Connection
) -> None:
    workdir, printed = demo_run
    pushes = demo_pushes()
    assert pushes["sheets"] == set(DEMO_KRS)  # every KR to the sheet, several to Perdoo
    assert 4 <= len(pushes["perdoo"]) < len(DEMO_KRS)
    store = sqlite3.connect(workdir / ".syncd-demo" / "syncd.db")
    # Per KR and Zurich day, the day's latest stored measurement: what its check-in must hold.
    latest: dict[str, dict[str, tuple[datetime, float]]] = {}
    for kr, start, end, value in store.execute(
        "SELECT key_result_id, window_start, window_end, value FROM measurements"
    ):
        first, last = stored_instant(start), stored_instant(end)
        key = f"{kr}@{check_in_day(first, last).isoformat()}"
        days = latest.setdefault(kr, {})
        if key not in days or days[key][0] < last:
            days[key] = (last, value)
    sent = dict(re.findall(r"^  (perdoo|sheets) +(\d+) values sent", printed, re.MULTILINE))
    for sink, krs in pushes.items():
        rows = store.execute(
            "SELECT kr_id, key, remote_id, value, window_end FROM sink_receipts WHERE sink = ?",
            (sink,),
        ).fetchall()
        receipts: dict[str, dict[str, tuple[datetime, float]]] = {}
        for kr, key, _, value, end in rows:
            receipts.setdefault(kr, {})[key] = (stored_instant(end), value)
        assert receipts.keys() == krs, sink
        remote = {(kr, remote_id) for kr, _, remote_id, _, _ in rows}
        if sink == "perdoo":  # a check-in per day measured, holding that day's last value
            for kr in krs:
                assert receipts[kr] == latest[kr], (sink, kr)
            assert int(sent[sink]) >= len(rows) > 20 * len(krs)  # a revision updates its own
            assert len({remote_id for _, remote_id in remote}) == len(rows)  # none made twice
        else:  # a row per KR holding its newest value, none appended twice
            for kr in krs:
                assert receipts[kr] == {kr: max(latest[kr].values())}, (sink, kr)
            assert len(krs) <= int(sent[sink]) < 5 * len(krs)  # older values never sent
            rows_of = {kr: {r for k, r in remote if k == kr} for kr in krs}
            assert all(len(held) == 1 for held in rows_of.values()), rows_of
            assert len({next(iter(held)) for held in rows_of.values()}) == len(krs)
    # The latest values, computed here from the raw data.
    ledger = dict(store.execute("SELECT sink || ' ' || key, value FROM sink_receipts"))
    satisfaction = scalar(
        sample,
        "SELECT AVG(score) FROM survey_responses WHERE topic = 'onboarding' "
        "AND answered_on BETWEEN '2026-10-24' AND '2026-11-20'",
    )
    assert ledger["sheets onboarding-satisfaction"] == pytest.approx(satisfaction)
    assert ledger["perdoo nps@2026-11-11"] == ledger["sheets nps"] == 61.0
    assert ledger["perdoo nps@2026-10-14"] == 54.0
    # Where to see them: the sandboxes' addresses and check-sinks, at 80 columns.
    section = printed[printed.index("Pushed to the OKR tools") :]
    assert all(len(line) <= 80 for line in section.splitlines()), section
    urls = dict(re.findall(r"^  (perdoo|sheets) sandbox +(http://\S+)$", printed, re.MULTILINE))
    assert f"    {urls['perdoo']}/graphql/\n" in section
    assert f"    {urls['sheets']}/v4/spreadsheets/{sheets_data.SPREADSHEET_ID}\n" in section
    assert 'to tab "KRs"' in section and " check-sinks " in section and "failed" not in section


def test_the_demos_okr_tools_hold_what_its_push_mappings_name() -> None:
    # Quick: the two OKR tools' sandboxes built as the demo builds them, not started.
    from syncd.config.loader import load_config
    from syncd.demo import sandboxes

    tools = sandboxes.tool_state(load_config(DEMO).config)
    expected = {
        str(kr["push"]["perdoo"]["key_result"]): (kr["title"], kr["baseline"], kr["target"])
        for objective in yaml.safe_load(DEMO.read_text())["objectives"]
        for kr in objective["key_results"]
        if "perdoo" in kr.get("push", {})
    }
    perdoo = sandboxes.build("perdoo", None, tools)
    held = {kr.id: (kr.name, kr.start, kr.target) for kr in perdoo.key_results}
    assert held == expected and len(held) == 8
    # The sheet sink's tab starts with its header only (the seeded rows are the sink tests').
    sheet = sandboxes.build("sheets", None, tools).workbook.sheet("KRs")
    assert sorted(sheet.cells.items()) == [
        ((1, 1), "key"),
        ((1, 2), "value"),
        ((1, 3), "date"),
        ((1, 4), "status"),
        ((1, 5), "note"),
        ((1, 6), "updated"),
    ]
