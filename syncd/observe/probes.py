"""``/livez`` and ``/readyz``: unauthenticated, because orchestrators call them as they are."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, jsonify

from syncd.observe.health import FAILING, OK, HealthCheck, all_ok, run_checks

UNAVAILABLE = 503


def probes_blueprint(live: Sequence[HealthCheck], ready: Sequence[HealthCheck]) -> Blueprint:
    """A blueprint answering ``/livez`` (plain text) and ``/readyz`` (JSON), 200 or 503."""
    blueprint = Blueprint("probes", __name__)
    live_checks, ready_checks = tuple(live), tuple(ready)

    @blueprint.get("/livez")
    def livez() -> Response:
        results = run_checks(live_checks)
        if all_ok(results):
            return _no_store(Response("ok\n", mimetype="text/plain"))
        lines = [f"{name}: {result}" for name, result in results.items() if result != OK]
        body = "failing\n" + "\n".join(lines) + "\n"
        return _no_store(Response(body, status=UNAVAILABLE, mimetype="text/plain"))

    @blueprint.get("/readyz")
    def readyz() -> Response:
        results = run_checks(ready_checks)
        ready_now = all_ok(results)
        response = jsonify({"status": OK if ready_now else FAILING, "checks": results})
        response.status_code = 200 if ready_now else UNAVAILABLE
        return _no_store(response)

    return blueprint


def _no_store(response: Response) -> Response:
    # A cached probe answer would hide the state change it exists to report.
    response.headers["Cache-Control"] = "no-store"
    return response
