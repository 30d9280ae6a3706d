"""Owners, check-ins with a confidence, and the JSON a team lead's scripts read: the CLI as a
user runs it (subprocess, piped, 80 columns) on a small config of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
timezone: Europe/Zurich
store: sqlite:///{store}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
objectives:
  - id: company-growth
    title: Grow with newcomers
    team: leadership
    level: company
    owner: Eva Roth
    cycle: 2026-Q4
    key_results:
      - {{id: members, title: "Members from 100 to 200", focus: business, unit: members,
         baseline: 100, target: 200, owner: Eva Roth}}
  - id: onboarding
    title: Onboarding is effortless
    team: growth
    owner: Lea Meier
    parent: company-growth
    cycle: 2026-Q4
    key_results:
      - {{id: satisfaction, title: "Satisfaction from 3 to 4", focus: user, unit: points,
         baseline: 3, target: 4, owner: Tim Graf}}
      - {{id: bookings, title: "Bookings from 10 to 30", focus: business, baseline: 10,
         target: 30}}
"""
AS_OF = "2026-11-16T12:00"


def syncd(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_CONFIG"}
    env["COLUMNS"] = "80"
    result = subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"syncd {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "syncd.yaml").write_text(CONFIG.format(store=tmp_path / "team.db"))
    return tmp_path


def test_checkin_with_confidence_and_note_reaches_status_json(workdir: Path) -> None:
    result = syncd(
        "checkin", "satisfaction", "3.5", "--confidence", "at_risk", "--note", "survey wave 2",
        "--as-of", "2026-11-10T09:00", cwd=workdir,
    )  # fmt: skip
    assert "satisfaction: 3.5, confidence at risk, note" in result.stdout
    # A confidence alone, later: the value stays, the judgement and the note move on.
    syncd("checkin", "satisfaction", "--confidence", "on_track", "--as-of", "2026-11-12T09:00",
          cwd=workdir)  # fmt: skip
    syncd("checkin", "bookings", "20", "--as-of", "2026-11-14T09:00", cwd=workdir)

    document = json.loads(syncd("status", "--format", "json", "--as-of", AS_OF, cwd=workdir).stdout)
    krs = {kr["id"]: kr for kr in document["key_results"]}
    satisfaction = krs["satisfaction"]
    assert satisfaction["owner"] == "Tim Graf"
    assert satisfaction["value"] == 3.5
    assert satisfaction["attainment"] == pytest.approx(0.5)
    assert satisfaction["confidence"] == "on_track"
    assert satisfaction["note"] is None
    assert satisfaction["checked_in_at"] == "2026-11-12T08:00:00+00:00"
    assert (satisfaction["source"], satisfaction["source_types"]) == ("manual", ["manual"])
    assert krs["bookings"]["owner"] is None
    assert krs["bookings"]["confidence"] is None
    objectives = {o["id"]: o for o in document["objectives"]}
    assert objectives["onboarding"]["parent"] == "company-growth"
    assert objectives["onboarding"]["owner"] == "Lea Meier"
    assert objectives["company-growth"]["parent"] is None

    # As of a moment before the second check-in, the first one is the latest.
    early = json.loads(
        syncd("status", "-f", "json", "--as-of", "2026-11-11T00:00", cwd=workdir).stdout
    )
    first = {kr["id"]: kr for kr in early["key_results"]}["satisfaction"]
    assert (first["confidence"], first["note"]) == ("at_risk", "survey wave 2")


def test_bad_checkins_are_refused_in_one_line(workdir: Path) -> None:
    result = syncd("checkin", "satisfaction", cwd=workdir, check=False)
    assert result.returncode == 2
    assert "satisfaction: nothing to check in" in result.stderr
    assert "Traceback" not in result.stderr

    result = syncd("checkin", "satisfaction", "--confidence", "great", cwd=workdir, check=False)
    assert result.returncode == 2
    assert "--confidence" in result.stderr and "on_track" in result.stderr
    assert "Traceback" not in result.stderr


PAST = """\
timezone: Europe/Zurich
store: sqlite:///{store}
cycles:
  2026-Q3: {{start: 2026-07-01, end: 2026-09-30}}
objectives:
  - id: summer
    title: A calm summer
    team: support
    owner: Mia Huber
    cycle: 2026-Q3
    key_results:
      - {{id: backlog, title: "Backlog from 40 to 20", focus: user, unit: tickets,
         baseline: 40, target: 20}}
      - {{id: replies, title: "Replies within a day from 60 to 90", focus: business,
         baseline: 60, target: 90}}
"""


def test_a_past_cycle_stays_reachable_after_it_left_the_config(workdir: Path) -> None:
    config = workdir / "syncd.yaml"
    config.write_text(PAST.format(store=workdir / "team.db"))
    syncd("checkin", "backlog", "35", "--as-of", "2026-08-01T09:00", cwd=workdir)
    # The same moment again: a restatement, the earlier value is kept.
    syncd("checkin", "backlog", "30", "--note", "recount after the migration",
          "--as-of", "2026-08-01T09:00", cwd=workdir)  # fmt: skip
    syncd("checkin", "replies", "75", "--as-of", "2026-09-20T09:00", cwd=workdir)
    # The next quarter: Q3 and its objective leave the config.
    config.write_text(CONFIG.format(store=workdir / "team.db"))

    table = syncd("history", "backlog", cwd=workdir).stdout
    assert "2 (was" in table and "35" in table
    assert "recount" in table and "migration" in table
    document = json.loads(syncd("history", "backlog", "-f", "json", cwd=workdir).stdout)
    [row] = document["measurements"]
    assert (row["value"], row["revision"], row["earlier_values"]) == (30.0, 2, [35.0])
    assert [c["note"] for c in document["checkins"]] == [None, "recount after the migration"]

    exported = json.loads(syncd("export", "-f", "json", "--kr", "replies", cwd=workdir).stdout)
    assert [(r["kr"], r["objective"], r["value"]) for r in exported] == [
        ("replies", "summer", 75.0)
    ]

    review = json.loads(syncd("report", "--cycle", "2026-Q3", "-f", "json", cwd=workdir).stdout)
    text = json.dumps(review)
    assert '"summer"' in text
    # backlog 40 → 20 at 30: 0.5; replies 60 → 90 at 75: 0.5; the objective scores 0.5.
    assert review["committed"]["score"] == pytest.approx(0.5)

    missing = syncd("report", "--cycle", "2025-Q1", cwd=workdir, check=False)
    assert missing.returncode == 2
    assert "2026-Q3" in missing.stderr and "Traceback" not in missing.stderr


SWISS = """\
timezone: Europe/Zurich
locale: de_CH
store: sqlite:///{store}
cycles:
  2026-Q4: {{start: 2026-10-01, end: 2026-12-31}}
objectives:
  - id: revenue
    title: More revenue per member
    team: sales
    cycle: 2026-Q4
    key_results:
      - {{id: per-member, title: "Revenue per member up", focus: business, unit: CHF,
         baseline: 1000, target: 2000, owner: Sara Brunner}}
"""


def test_de_ch_formats_money_in_the_digest_and_the_report(workdir: Path) -> None:
    (workdir / "syncd.yaml").write_text(SWISS.format(store=workdir / "swiss.db"))
    syncd("checkin", "per-member", "1253.19", "--as-of", "2026-11-10T09:00", cwd=workdir)
    digest = syncd("digest", "--team", "sales", "--as-of", AS_OF, cwd=workdir).stdout
    assert "CHF 1'253.19 (new in the last 7 days)" in digest
    assert "Weekly OKR digest: sales, Mo. 16 Nov. 2026" in digest
    report = syncd("report", "--cycle", "2026-Q4", "--as-of", AS_OF, cwd=workdir).stdout
    assert "CHF 1'253.19" in report


def test_export_xlsx_needs_a_file_and_writes_a_workbook(workdir: Path) -> None:
    from openpyxl import load_workbook

    syncd("checkin", "bookings", "20", "--as-of", "2026-11-14T09:00", cwd=workdir)
    refused = syncd("export", "--format", "xlsx", cwd=workdir, check=False)
    assert refused.returncode == 2
    assert "--out" in refused.stderr and "Traceback" not in refused.stderr
    nowhere = syncd("export", "-f", "xlsx", "-o", "/nonexistent/x.xlsx", cwd=workdir, check=False)
    assert nowhere.returncode == 2 and "/nonexistent/x.xlsx" in nowhere.stderr
    syncd("export", "-f", "xlsx", "-o", "okrs.xlsx", cwd=workdir)
    rows = list(load_workbook(workdir / "okrs.xlsx")["measurements"].iter_rows(values_only=True))
    assert [(r[0], r[5]) for r in rows[1:]] == [("bookings", 20.0)]
