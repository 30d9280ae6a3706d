"""A faulty upstream under the running daemon: transient errors, bad answers, impossible values,
an expired credential and an outage of the Zendesk sandbox, one after another while
``syncd run`` measures every 5 s. Afterwards every slot is stored once, with the true count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.zendesk.sandbox import ZendeskSandbox
from syncd.store import Store
from tests.chaos import invariants as inv
from tests.chaos.background import BackgroundRun
from tests.chaos.configs import STEP, daemon_config

EMAIL = "ops@acme.example"
SECRET = "zd-chaos-4f1d9b7e-token"
COUNT_PATH = "/api/v2/search/count.json"
JOB = "support@every 5s"
RETRIED = {  # each transient fault armed, and what its retry (or its run's failure) says
    "429": "answered 429",
    "503": "answered 503",
    "cut body": "peer closed connection",
    "html": "returned an HTML page",
    "empty": "returned an empty body",
}
REASONS = {  # each impossible value or lasting fault armed, and what its failed run must say
    "nan": "'NaN' is not a finite number",
    "negative": "the answer -3 cannot be a count",
    "overflow": "'1e400' is not a finite number",
    "fraction": "'2.5' cannot be a count",
    "401": "answered 401",
    "500": "answered 500",
}


def true_count(sandbox: ZendeskSandbox, start: datetime, end: datetime) -> int:
    """Tickets created in [start, end), from the sandbox's raw records (not its search)."""
    return sum(start <= t.created_at < end for t in sandbox.dataset.tickets)


class UpstreamRun(BackgroundRun):
    def drive(self) -> None:
        self.store_url = f"sqlite:///{self.workdir / 'store.db'}"
        with ZendeskSandbox(email=EMAIL, token=SECRET, requests_per_minute=100_000) as sandbox:
            self.sandbox = sandbox
            config, self.port = daemon_config(
                self.workdir,
                store=self.store_url,
                source="support",
                source_spec=(
                    f'{{type: zendesk, url: "{sandbox.url}", email: {EMAIL}, '
                    'token: "${env:CHAOS_ZENDESK_TOKEN}", requests_per_minute: 100000}'
                ),
                query='{search: "type:ticket"}',
            )
            daemon = self.daemon(config, CHAOS_ZENDESK_TOKEN=SECRET)
            # Transient faults, retried within a run (Retry-After honoured).
            asked = len(sandbox.requests_to(COUNT_PATH))
            sandbox.faults.add(COUNT_PATH, status=429, retry_after=1)
            sandbox.faults.add(COUNT_PATH, status=503)
            sandbox.faults.add(COUNT_PATH, status=200, truncate=True)
            self.until(lambda: len(sandbox.requests_to(COUNT_PATH)) >= asked + 4, 30, "the retries")
            # Bad answers and impossible values: each fails its run, and catch-up measures that
            # slot again later.
            sandbox.faults.add(COUNT_PATH, status=200, body="<html><h1>Maintenance</h1></html>")
            sandbox.faults.add(COUNT_PATH, status=200, body="")
            sandbox.raw_counts.extend(["NaN", "-3", "1e400", "2.5"])
            self.until(lambda: not sandbox.raw_counts, 40, "the impossible values asked for")
            sandbox.token = "rotated-elsewhere"  # the credential expires mid-run
            self.until(lambda: self.failed_with("answered 401"), 40, "a run refused with 401")
            sandbox.token = SECRET
            sandbox.faults.add(COUNT_PATH, status=500, times=10**6)  # an outage
            self.until(lambda: self.failed_with("answered 500"), 40, "a run failed by the outage")
            sandbox.faults.clear()
            healed = datetime.now(UTC)

            def gap_filled() -> bool:
                state = self.attempts()
                return max(state) >= healed + STEP and all(
                    outcome == "ok" for _, outcome in state.values()
                )

            self.until(gap_filled, 90, "every slot measured after the upstream healed")
            self.readiness = inv.ready(self.port)
            self.alive = daemon.process.poll() is None
            self.code = daemon.stop()
            self.logs = inv.read(daemon.log_path) + inv.read(daemon.out_path)
            self.events = daemon.events()

    def attempts(self) -> dict[datetime, tuple[int, str | None]]:
        with Store.open(self.store_url, upgrade=False) as store:
            return store.slot_attempts(JOB)

    def failed_with(self, text: str) -> bool:
        with Store.open(self.store_url, upgrade=False) as store:
            return any(text in (run.error or "") for run in store.runs(limit=1000))


RUN = UpstreamRun


@pytest.mark.scenario(
    "zendesk faults under syncd run",
    "429+Retry-After, 503, a cut body, HTML and empty 200s, NaN/-3/1e400/2.5 counts, "
    "a revoked token, 500s until a run fails; then the upstream heals",
)
def test_a_faulty_upstream_loses_nothing_and_stores_nothing_wrong(scenario, background):
    run: UpstreamRun = background
    rows = inv.measured(run.store_url, "measured")
    ends = [end for end, _, _ in rows]
    missing, duplicated = inv.missing_and_duplicated(ends, STEP)
    state = run.attempts()
    with Store.open(run.store_url, upgrade=False) as store:
        runs = store.runs(limit=1000)
        windows = {m.window_end: m.window_start for m in store.measurements("measured")}
    retried = sum(attempts > 1 for attempts, _ in state.values())
    values = [value for _, value, _ in rows]
    wrong = [
        (end, value)
        for end, value, _ in rows
        if value != true_count(run.sandbox, windows[end], end)
    ]
    failed = [r for r in runs if r.outcome == "failed"]
    reasons = {kind for r in failed for kind, text in REASONS.items() if text in (r.error or "")}
    scenario.expect(
        "nothing lost: every slot stored",
        f"{len(set(ends))} slots, {len(missing)} missing{inv.listed(missing)}, "
        f"{retried} retried by catch-up",
        not missing and set(ends) == set(state) and retried >= 3,
    )
    scenario.expect("no duplicate", f"{len(duplicated)} duplicated slots", not duplicated)
    scenario.expect(
        "nothing wrong: each value the true count",
        f"{len(wrong)} wrong of {len(rows)}, {len(inv.impossible(values, count=True))} impossible",
        not wrong and not inv.impossible(values, count=True),
    )
    met = [
        str(event.get("error", ""))
        for event in run.events
        if event.get("event") == "upstream.retry"
    ] + [r.error or "" for r in failed]
    handled = {kind for kind, text in RETRIED.items() if any(text in m for m in met)}
    scenario.expect(
        "transient faults retried (or the run failed, caught up)",
        f"met: {', '.join(sorted(handled))}",
        handled == set(RETRIED),
    )
    scenario.expect(
        "each failure recorded with its reason",
        f"{len(failed)} failed runs ({', '.join(sorted(reasons))}), "
        f"{sum(not r.error for r in failed)} without a reason",
        reasons == set(REASONS) and all(r.error for r in failed),
    )
    scenario.expect(
        "daemon up and ready, clean exit",
        f"alive={run.alive} /readyz={run.readiness} exit={run.code}",
        run.alive and run.readiness == 200 and run.code == 0,
    )
    scenario.expect(
        "no traceback", f"{inv.tracebacks(run.logs)} in the logs", not inv.tracebacks(run.logs)
    )
    leaked = inv.leaks(
        inv.secret_forms(SECRET, EMAIL),
        run.logs,
        inv.store_text(run.store_url),
        *(r.error or "" for r in runs),
    )
    scenario.expect("no secret in logs, store, errors", f"{len(leaked)} leaked", not leaked)
    scenario.verdict()
