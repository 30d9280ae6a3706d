"""SQLite's disk fills up under the running daemon (a 4 MiB tmpfs and a file of zeros): the
daemon spools, says it is not ready, and recovers once space is freed."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from tests.chaos import invariants as inv
from tests.chaos.store_runs import JOB, StoreRun, check, fill, skip_unless_ran


class DiskFullRun(StoreRun):
    def drive(self) -> None:
        disk = self.workdir / "disk"
        disk.mkdir()
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
            capture_output=True,
            text=True,
            check=False,
        )
        if mounted.returncode != 0:
            self.skipped = f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
            return
        try:
            self.daemon_store_url = f"sqlite:///{disk / 'store.db'}"
            config, self.port = self.measure(self.daemon_store_url)
            self.daemon(config)
            self.until(lambda: inv.slot_state(self.store_url, JOB), 30, "a first slot")
            filler = disk / "filler"
            self.filled = fill(filler)
            self.until(
                lambda: inv.events_named(self.daemons[-1].events(), "measurements.spooled"),
                40,
                "a measurement spooled",
            )
            # Not asserted: the check's write is rolled back before it needs a page on disk.
            self.not_ready.append(f"/readyz while full: {inv.ready(self.port)}")
            filler.unlink()
            self.finish(datetime.now(UTC))
        finally:
            self.close()
            subprocess.run(["umount", "-l", str(disk)], check=False)


RUN = DiskFullRun


@pytest.mark.scenario(
    "sqlite store disk full",
    "store on a 4 MiB tmpfs filled with zeros until ENOSPC, freed after a spooled write",
)
def test_a_full_disk_loses_nothing(scenario, background):
    run: DiskFullRun = background
    skip_unless_ran(run, ci_fails=False)
    check(scenario, run, [("disk filled", f"{run.filled} bytes of zeros", run.filled > 0)])
