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
