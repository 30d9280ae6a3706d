"""The status listener on an ephemeral port, answered through a real HTTP client (urllib)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from flask import Blueprint
from prometheus_client.parser import text_string_to_metric_families

from syncd.logs import register_secrets
from syncd.observe import HealthCheck, StatusServer, Telemetry, create_app
from syncd.observe.health import run_checks

SECRET = "pg-pw-7Hq2xLr9"
TOKEN = "scrape-token-4f1c9a"


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def get(url: str, headers: dict[str, str] | None = None) -> Answer:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.headers, error.read())


@dataclass
class State:
    """What the checks report; tests flip it between requests."""

    scheduler: bool | str = True
    alive: bool | str = True
    store_error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def store(self) -> bool:
        self.calls.append("store")
        if self.store_error is not None:
            raise self.store_error
        return True


@pytest.fixture
def state() -> State:
    return State()


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def serve(app) -> Iterator[str]:
    server = StatusServer(app, port=0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture
def base(state: State, telemetry: Telemetry) -> Iterator[str]:
    app = create_app(
        telemetry,
        live=[HealthCheck("loop", lambda: state.alive)],
        ready=[
            HealthCheck("store", state.store),
            HealthCheck("migrations", lambda: True),
            HealthCheck("scheduler", lambda: state.scheduler),
        ],
    )
    yield from serve(app)


@pytest.fixture
def guarded(telemetry: Telemetry) -> Iterator[str]:
    app = create_app(
        telemetry, live=[], ready=[HealthCheck("store", lambda: True)], metrics_token=TOKEN
    )
    yield from serve(app)


def test_livez_ok_then_failing_with_the_reason(base: str, state: State) -> None:
    answer = get(f"{base}/livez")
    assert (answer.status, answer.body) == (200, b"ok\n")
    assert answer.headers["Content-Type"].startswith("text/plain")

    state.alive = "scheduler thread stuck for 312 s"
    answer = get(f"{base}/livez")
    assert answer.status == 503
    assert answer.body == b"failing\nloop: scheduler thread stuck for 312 s\n"


def test_readyz_lists_each_check_and_flips_to_503(base: str, state: State) -> None:
    answer = get(f"{base}/readyz")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json() == {
        "status": "ok",
        "checks": {"store": "ok", "migrations": "ok", "scheduler": "ok"},
    }
    assert list(answer.json()["checks"]) == ["store", "migrations", "scheduler"]

    state.scheduler = "not running"
    answer = get(f"{base}/readyz")
    assert answer.status == 503
    assert answer.json() == {
        "status": "failing",
        "checks": {"store": "ok", "migrations": "ok", "scheduler": "not running"},
    }

    state.scheduler = False
    assert get(f"{base}/readyz").json()["checks"]["scheduler"] == "failing"

    state.scheduler = True
    assert get(f"{base}/readyz").status == 200


def test_a_raising_check_is_failing_with_its_scrubbed_message(base: str, state: State) -> None:
    register_secrets([SECRET])
    state.store_error = ConnectionError(
        f"could not connect to postgresql://syncd:{SECRET}@db.internal/syncd"
    )
    answer = get(f"{base}/readyz")
    assert answer.status == 503
    assert SECRET.encode() not in answer.body
    assert answer.json() == {
        "status": "failing",
        "checks": {
            "store": "ConnectionError: could not connect to postgresql://syncd:***@db.internal/syncd",
            "migrations": "ok",
            "scheduler": "ok",
        },
    }
    # Liveness does not depend on the store.
    assert get(f"{base}/livez").status == 200


def test_checks_run_on_every_request(base: str, state: State) -> None:
    get(f"{base}/readyz")
    get(f"{base}/readyz")
    get(f"{base}/livez")
    assert state.calls == ["store", "store"]


def test_metrics_serves_the_exposition(base: str, telemetry: Telemetry) -> None:
    telemetry.set_spool_pending(7)
    telemetry.record_measured("web", "booking-5d", 1_795_000_000.0)

    answer = get(f"{base}/metrics")
    assert answer.status == 200
    content_type = answer.headers["Content-Type"]
    assert content_type.startswith("text/plain; version=")
    assert "charset=utf-8" in content_type
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.body.decode())
        for sample in family.samples
    }
    assert found[("syncd_spool_pending", ())] == 7
    assert (
        found[
            (
                "syncd_sync_last_success_timestamp_seconds",
                (("binding", "booking-5d"), ("source", "web")),
            )
        ]
        == 1_795_000_000.0
    )


def test_metrics_without_token_is_open(base: str) -> None:
    assert get(f"{base}/metrics").status == 200


def test_bearer_token_protects_metrics_only(guarded: str) -> None:
    missing = get(f"{guarded}/metrics")
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="syncd"'
    assert b"syncd_" not in missing.body
    assert get(f"{guarded}/metrics", {"Authorization": "Bearer wrong-token"}).status == 401
    assert get(f"{guarded}/metrics", {"Authorization": f"Bearer {TOKEN}x"}).status == 401
    assert get(f"{guarded}/metrics", {"Authorization": f"Basic {TOKEN}"}).status == 401
    assert get(f"{guarded}/metrics", {"Authorization": "Bearer"}).status == 401

    allowed = get(f"{guarded}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status == 200
    assert b"syncd_spool_pending 0.0" in allowed.body
    assert get(f"{guarded}/metrics", {"Authorization": f"bearer {TOKEN}"}).status == 200

    # Orchestrators probe without credentials.
    assert get(f"{guarded}/livez").status == 200
    assert get(f"{guarded}/readyz").status == 200


def test_an_empty_token_is_refused(telemetry: Telemetry) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        create_app(telemetry, live=[], ready=[], metrics_token="")


def test_extra_blueprints_join_the_same_listener(telemetry: Telemetry) -> None:
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/hello", "hello", lambda: "hi")
    app = create_app(telemetry, live=[], ready=[], blueprints=[extra])
    for base in serve(app):
        assert get(f"{base}/hello").body == b"hi"
        assert get(f"{base}/livez").status == 200
        assert get(f"{base}/nowhere").status == 404


def test_stop_releases_the_port(telemetry: Telemetry) -> None:
    app = create_app(telemetry, live=[], ready=[])
    server = StatusServer(app, port=0)
    assert server.host == "127.0.0.1"
    server.start()
    port = server.port
    assert port != 0
    assert get(f"http://127.0.0.1:{port}/livez").status == 200
    assert server.running
    server.stop()
    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass

    again = StatusServer(app, port=port)
    again.start()
    try:
        assert get(f"http://127.0.0.1:{port}/livez").status == 200
    finally:
        again.stop()
    server.stop()  # stopping twice is harmless


def test_a_busy_port_raises_on_start(telemetry: Telemetry) -> None:
    app = create_app(telemetry, live=[], ready=[])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            StatusServer(app, port=taken.getsockname()[1]).start()


def test_check_answers_are_normalised() -> None:
    def boom() -> bool:
        raise TimeoutError

    assert run_checks(
        [
            HealthCheck("true", lambda: True),
            HealthCheck("false", lambda: False),
            HealthCheck("empty", lambda: ""),
            HealthCheck("ok-string", lambda: "ok"),
            HealthCheck("reason", lambda: "lease lost"),
            HealthCheck("bare", boom),
        ]
    ) == {
        "true": "ok",
        "false": "failing",
        "empty": "failing",
        "ok-string": "failing",
        "reason": "lease lost",
        "bare": "TimeoutError",
    }
