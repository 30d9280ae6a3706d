"""A small OKR tool for the sink framework's tests: a sandbox over HTTP and its sink.

The tool keeps goals, each with check-ins ``{id, day, value, note, status}``; it authenticates
a bearer token (``revoke`` refuses it from then on), answers 404 for an unknown goal, records
every write it receives (``received``) and serves armed faults (``faults``). The sink updates
the check-in its previous receipt names, and otherwise reads the goal first, so a value the
tool already holds for the day is never written twice.

It runs across processes: ``python -c "import tests.sinks.recording as r; r.main()" ARGS``
runs the ``syncd`` command line with the sink registered as type ``recording``.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from pydantic import SecretStr

from syncd.abc import Delivery, Reading, Receipt, Sink, SinkConfig, TargetModel
from syncd.http import RestClient
from syncd.testing.sandbox import Faults, LocalServer

TOKEN = "rec-token-5f2a9c71e0"
TYPE = "recording"


class RecordingConfig(SinkConfig):
    """The test tool's settings."""

    type: Literal["recording"]
    url: str
    token: SecretStr


class GoalTarget(TargetModel):
    """One KR's goal in the test tool."""

    goal: str


class RecordingSink(Sink[RecordingConfig, GoalTarget]):
    """The test tool's sink (see the module)."""

    config_model = RecordingConfig
    target_model = GoalTarget

    def __init__(self, config: RecordingConfig, context: Any) -> None:
        super().__init__(config, context)
        token = config.token.get_secret_value()
        self.client = RestClient(
            base_url=config.url,
            source=context.source,
            vendor="Recording",
            call=self.call,
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
        )

    def deliver(self, delivery: Delivery[GoalTarget], previous: Receipt | None) -> Receipt:
        body = {
            "day": delivery.day.isoformat(),
            "value": delivery.value,
            "note": delivery.note,
            "status": delivery.status,
        }
        goal = delivery.target.goal
        if previous is not None and previous.remote_id:
            self.client.request(
                "PUT", f"/goals/{goal}/checkins/{previous.remote_id}", what="update", json_body=body
            )
            return Receipt(True, previous.remote_id, "updated")
        held = self.client.get(f"/goals/{goal}", what="read goal")
        assert isinstance(held, dict)
        for checkin in held["checkins"]:
            if checkin["day"] == body["day"]:
                if checkin["value"] == delivery.value:
                    return Receipt(False, str(checkin["id"]), "already there")
                self.client.request(
                    "PUT", f"/goals/{goal}/checkins/{checkin['id']}", what="update", json_body=body
                )
                return Receipt(True, str(checkin["id"]), "updated")
        made = self.client.post(f"/goals/{goal}/checkins", what="add", json_body=body)
        assert isinstance(made, dict)
        return Receipt(True, str(made["id"]), "added")

    def read(self, target: GoalTarget) -> Reading:
        held = self.client.get(f"/goals/{target.goal}", what="read goal")
        assert isinstance(held, dict)
        checkins = held["checkins"]
        if not checkins:
            return Reading(held["title"], None)
        last = checkins[-1]
        return Reading(held["title"], last["value"], date.fromisoformat(last["day"]))

    def check(self) -> str:
        me = self.client.get("/me", what="who am I")
        assert isinstance(me, dict)
        return f"signed in as {me['name']}"

    closed = False

    def close(self) -> None:
        self.client.close()
        self.closed = True


class RecordingSandbox(LocalServer):
    """The test tool (module docstring). ``goals`` maps a goal id to its title."""

    def __init__(self, goals: dict[str, str] | None = None) -> None:
        super().__init__()
        self.faults = Faults()
        self.token = TOKEN
        self.received: list[tuple[str, str, Any]] = []
        self.goals: dict[str, dict[str, Any]] = {
            goal: {"title": title, "checkins": []}
            for goal, title in (goals or {"g-1": "Signups"}).items()
        }
        self._ids = itertools.count(1)
        self.lock = threading.Lock()

    def revoke(self) -> None:
        """Refuse the current token from now on."""
        self.token = "revoked-" + TOKEN

    def checkins(self, goal: str) -> list[tuple[date, float]]:
        """What the tool holds for ``goal``, oldest day first."""
        with self.lock:
            rows = list(self.goals[goal]["checkins"])
        return sorted((date.fromisoformat(c["day"]), c["value"]) for c in rows)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fault = sandbox.faults.take(self.path, self.command)
                if fault is not None and fault.status is not None:
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(int(fault.retry_after))
                    self._send(fault.status, {"error": fault.message or "fault"}, headers)
                    return
                if self.headers.get("Authorization") != f"Bearer {sandbox.token}":
                    self._send(401, {"error": "invalid token"})
                    return
                parts = self.path.strip("/").split("/")
                if parts == ["me"]:
                    self._send(200, {"name": "syncd-bot"})
                    return
                if len(parts) < 2 or parts[0] != "goals" or parts[1] not in sandbox.goals:
                    self._send(404, {"error": "no such goal"})
                    return
                goal = sandbox.goals[parts[1]]
                with sandbox.lock:
                    if self.command != "GET":
                        sandbox.received.append((self.command, self.path, body))
                    if self.command == "GET" and len(parts) == 2:
                        self._send(200, goal)
                    elif self.command == "POST" and parts[2:] == ["checkins"]:
                        made = {"id": next(sandbox._ids), **body}
                        goal["checkins"].append(made)
                        self._send(201, {"id": made["id"]})
                    elif self.command == "PUT" and len(parts) == 4:
                        for checkin in goal["checkins"]:
                            if str(checkin["id"]) == parts[3]:
                                checkin.update(body)
                                self._send(200, checkin)
                                return
                        self._send(404, {"error": "no such check-in"})
                    else:
                        self._send(405, {"error": "not allowed"})

            do_GET = do_POST = do_PUT = _handle

        return Handler


def register() -> None:
    """Make the test sink available as type ``recording`` in this process."""
    from syncd.registry import register_sink

    register_sink(TYPE, RecordingSink, replace=True)


def main() -> None:
    """The ``syncd`` command line with the test sink registered (for subprocess tests)."""
    register()
    from syncd.cli import main as cli_main

    cli_main()


__all__ = ["GoalTarget", "RecordingConfig", "RecordingSandbox", "RecordingSink", "register"]
